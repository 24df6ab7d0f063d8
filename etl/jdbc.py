"""Planning parallel JDBC reads.

By default Spark (and Glue) read a JDBC table through one query on one connection.  Spark reads
in parallel only with ``partitionColumn``/``lowerBound``/``upperBound``/``numPartitions``; this
module works those out: the column is the one given or the table's single-column primary key,
the bounds come from one ``min/max`` query, the partition count from the cluster's parallelism.
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from etl.retry import classify_jdbc_error
from etl.watermark import Watermark

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

log = logging.getLogger("etl.jdbc")


@dataclasses.dataclass(frozen=True)
class Partitioning:
    """Spark's range-partitioning options (bounds only set the stride; no row is filtered)."""

    column: str
    lower: str
    upper: str
    num_partitions: int

    def spark_options(self) -> dict[str, str]:
        return {
            "partitionColumn": self.column,
            "lowerBound": self.lower,
            "upperBound": self.upper,
            "numPartitions": str(self.num_partitions),
        }


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def primary_key_query(table: str) -> str:
    """information_schema query for a table's primary-key columns (PostgreSQL, MySQL, SQL Server,
    Redshift).  Unquoted identifiers are compared case-insensitively."""
    schema, _, name = table.rpartition(".")
    where = f"lower(tc.table_name) = lower({_literal(name.strip(chr(34)))})"
    if schema:
        where += f" AND lower(tc.table_schema) = lower({_literal(schema.strip(chr(34)))})"
    return (
        "SELECT kcu.column_name AS column_name FROM information_schema.table_constraints tc "
        "JOIN information_schema.key_column_usage kcu "
        "ON tc.constraint_name = kcu.constraint_name AND tc.table_schema = kcu.table_schema "
        "AND tc.table_name = kcu.table_name "
        f"WHERE tc.constraint_type = 'PRIMARY KEY' AND {where}"
    )


def _query(spark: SparkSession, options: Mapping[str, str], sql: str) -> Any:
    return spark.read.format("jdbc").options(**options).option("query", sql).load()


def discover_primary_key(spark: SparkSession, options: Mapping[str, str], table: str) -> str | None:
    """The table's primary-key column if it has exactly one, else ``None`` (best effort: a
    database without ``information_schema`` simply gets a single-connection read)."""
    try:
        rows = _query(spark, options, primary_key_query(table)).collect()
    except Exception as exc:  # any driver error: discovery is an optimisation, not a requirement
        if classify_jdbc_error(exc).transient:
            raise  # a connection problem, not a missing information_schema: let retry handle it
        log.warning(
            "could not discover the primary key of %s (%s); reading serially",
            table,
            type(exc).__name__,
        )
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


def plan_partitioning(
    spark: SparkSession,
    options: Mapping[str, str],
    relation: str,
    column: str,
    num_partitions: int,
) -> Partitioning | None:
    """Fetch ``min``/``max`` of ``column`` in one query and build the partitioning, or ``None``
    when the column is not numeric/date/timestamp or the relation is empty or constant."""
    from pyspark.sql import types

    frame = _query(
        spark, options, f"SELECT min({column}) AS lo, max({column}) AS hi FROM {relation}"
    )
    kind = frame.schema["lo"].dataType
    row = frame.collect()[0]
    low, high = row["lo"], row["hi"]
    if low is None or low == high:
        return None
    if isinstance(kind, (types.IntegralType, types.DecimalType, types.FloatType, types.DoubleType)):
        lower, upper = math.floor(low), math.ceil(high)
        num_partitions = min(num_partitions, upper - lower + 1)
        bounds = (str(lower), str(upper))
    elif isinstance(kind, (types.DateType, types.TimestampType)):
        bounds = (str(low), str(high))
    else:
        log.info(
            "column %s of %s is %s, not numeric or date: reading serially",
            column,
            relation,
            kind.simpleString(),
        )
        return None
    return Partitioning(column, bounds[0], bounds[1], num_partitions)


def read_bound(
    spark: SparkSession,
    options: Mapping[str, str],
    query: str,
    column: str,
    since: Watermark | None,
) -> Watermark | None:
    """Run :func:`etl.incremental.bound_query` ``query``: the high mark as a :class:`Watermark`
    (``seq`` 0, no ``run_id`` yet), or ``None`` when nothing is new.  A first load that finds
    only NULLs gets a mark without a value, so that its rows are not read again.

    The value is rendered as text by the database itself, so it compares back exactly (no
    time-zone or float round trip through Spark); it is quoted unless the column is numeric."""
    from pyspark.sql import types

    frame = _query(spark, options, query)
    kind = frame.schema["hi"].dataType
    row = frame.collect()[0]
    numeric = isinstance(
        kind, (types.IntegralType, types.DecimalType, types.FloatType, types.DoubleType)
    )
    if row["hi"] is None:
        return Watermark(column, None, not numeric, 0, "") if since is None else None
    return Watermark(column, str(row["hi_text"]), not numeric, 0, "")


def read_keys(
    spark: SparkSession, options: Mapping[str, str], query: str
) -> tuple[tuple[str, ...], ...]:
    """The rows of ``query`` (a few key columns) as text, for the watermark state."""
    return tuple(
        tuple(str(value) for value in row) for row in _query(spark, options, query).collect()
    )
