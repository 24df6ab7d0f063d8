"""Planning parallel JDBC reads: which rows each of a read's connections reads.

Spark reads a JDBC relation on one connection unless it is given one ``WHERE`` predicate per
partition.  :func:`plan_read` works those predicates out, in this order:

1. ``hashexpression`` (Glue's option of that name: SQL returning a whole number): partition
   ``i`` reads the rows where ``abs(mod(expression, n)) = i``.
2. ``hashfield`` (Glue's option: a column of any type): the same on a hash of the column.
3. ``partition_column``, else a ``table``'s primary key, found in the database's catalog
   (PostgreSQL: ``pg_catalog``, visible to a SELECT-only role; see :mod:`etl.dialects`):

   * a single column with statistics (PostgreSQL ``pg_stats.histogram_bounds``, which a role
     that may SELECT the column can read) is split at quantiles of its histogram, so a key with
     gaps (ids 1..N and one at 10^12) still gives partitions of equal size;
   * a single column leading an index, on MySQL and MariaDB (whose statistics a SELECT-only
     user cannot read: see :mod:`etl.dialects`), is split at quantiles read off the index in one
     more query (``ORDER BY`` the column ``LIMIT 1 OFFSET`` a share of the table's row
     estimate); a stale estimate only moves the bounds, as the first and last partitions
     are open-ended, so every row is still read once.  This query walks the index
     ``(n - 1) / 2`` times for ``n`` partitions, a fraction of the read (docs/etl.md); if it
     fails, the column is planned as one without statistics, after a WARN;
   * a number, date or timestamp without statistics (a table never analyzed, a view, a
     ``query``, an incremental load's new rows) is split into equal steps between its ``min``
     and ``max`` (one more query); on MySQL, where numbers and dates step differently, a
     ``query``'s column (type unknown) is hashed;
   * any other column (``uuid``, text without statistics) and a composite key are hashed.

Every catalog lookup is one query on one driver connection (:func:`etl.jdbc.fetch`).  Planning
never fails a read: when there is nothing to partition on, or planning fails (a permission, a
type without ``min``, an odd view), the relation is read on one connection after a WARN.  Only a
failure of the connection itself (refused, authentication, unknown database, too many
connections) propagates, to be retried or reported as the read's own failure.

Hash partitions make the database scan the relation once per partition (each filters its own
rows); range partitions on an indexed key read only their range.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Mapping, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING

from etl.dialects import Dialect, dialect, quote
from etl.errors import OptionError
from etl.jdbc import fetch, spark_option
from etl.retry import classify_jdbc_error

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger("etl.partitioning")

DEFAULT_MAX_CONNECTIONS = 8
"""Connections one source opens at once unless it says otherwise.  Small RDS instances allow
few: RDS PostgreSQL's default ``max_connections`` is ``LEAST(DBInstanceClassMemory/9531392,
5000)``, fewer than 113 on a 1 GiB db.t3.micro, some reserved for superusers and RDS itself,
and the application, other jobs and this job's other sources share the rest.  8 keeps a source
well inside that and still reads 8 ways at once."""

_STRIDE_TYPES = re.compile(
    r"(?i)^(smallint|integer|bigint|int|tinyint|mediumint|numeric|decimal|real|double|float"
    r"|date|timestamp|datetime)\b"
)
"""Catalog types (PostgreSQL ``format_type``, information_schema ``DATA_TYPE``) whose
``min``/``max`` can be cut into equal steps."""
_TIME_TYPES = re.compile(r"(?i)^(date|timestamp|datetime)\b")
"""The catalog types among those that a dialect's ``time_stride`` steps through."""


_SECRET = re.compile(r"(?i)password|secret|token|credential")
"""Driver property names whose values stay out of URLs."""


class _SerialReadError(Exception):
    """Nothing to partition on: the read uses one connection, after a WARN saying why."""


def check_partition_options(
    *,
    partition_column: str | None,
    hashfield: str | None,
    hashexpression: str | None,
    num_partitions: int | None,
    max_connections: int,
) -> None:
    """Reject contradictory partition options of a ``JdbcSource``."""
    given = [
        name
        for name, value in (
            ("partition_column", partition_column),
            ("hashfield", hashfield),
            ("hashexpression", hashexpression),
        )
        if value is not None
    ]
    if len(given) > 1:
        raise OptionError(
            f"JdbcSource: {' and '.join(given)} both say what to partition on; give one "
            "(partition_column: ranges of a column; hashfield: a hash of a column of any type; "
            "hashexpression: your own SQL returning a whole number)"
        )
    if any(value == "" for value in (partition_column, hashfield, hashexpression)):
        raise OptionError(f"JdbcSource: {given[0]} must not be empty")
    if max_connections < 1:
        raise OptionError("JdbcSource: max_connections must be at least 1")
    if num_partitions is not None and num_partitions > max_connections:
        raise OptionError(
            f"JdbcSource: num_partitions={num_partitions} would open more connections than "
            f"max_connections={max_connections}; raise max_connections (if the database "
            "allows that many) or lower num_partitions"
        )


@dataclasses.dataclass(frozen=True)
class PartitionRequest:
    """What a source asks of a parallel read."""

    relation: str
    """What goes after ``FROM``."""
    table: str | None
    """The table or view behind ``relation``, whose catalog may name a key (``None``: a
    ``query``)."""
    partitions: int
    """At most this many partitions (1: one connection)."""
    column: str | None = None
    hashfield: str | None = None
    hashexpression: str | None = None
    subset: bool = False
    """``relation`` holds some of ``table``'s rows (an incremental load), so the table's
    statistics do not describe it."""


@dataclasses.dataclass(frozen=True)
class ReadPlan:
    """How a JDBC read is split: one ``WHERE`` predicate per partition (none: one connection)."""

    predicates: tuple[str, ...] = ()
    description: str = "one connection"

    def load(
        self, spark: SparkSession, options: Mapping[str, str], relation: str, vendor: str
    ) -> DataFrame:
        """Read ``relation``.  Spark's read with predicates lower-cases the names of driver
        properties (SPARK-55830), which drivers then ignore (``prepareThreshold``, MySQL's
        ``sslMode``), so those names go into the URL, as written; a database whose URL cannot
        carry them, or a property that looks secret, is read on one connection instead."""
        reader = spark.read.format("jdbc")
        if self.predicates:
            cased = {k: v for k, v in options.items() if k != k.lower() and not spark_option(k)}
            url = dialect(vendor).url_with(options["url"], cased)
            secret = sorted(k for k in cased if _SECRET.search(k))
            if url is not None and not secret:
                kept = {k: v for k, v in options.items() if k not in cased}
                return reader.options(**kept).jdbc(url, relation, predicates=list(self.predicates))
            why = f"{secret} look secret" if secret else f"a {vendor} URL cannot carry them"
            log.warning(
                "reading %s with one connection: a partitioned read would lose the driver "
                "properties %s (Spark lower-cases their names) and %s",
                relation,
                sorted(cased),
                why,
            )
        return reader.options(**options).option("dbtable", relation).load()


@dataclasses.dataclass(frozen=True)
class _Column:
    """A column as the catalog describes it (``type`` and ``bounds`` may be unknown)."""

    name: str
    type: str | None = None
    key_position: int | None = None
    bounds: tuple[str, ...] = ()
    indexed_rows: int | None = None
    """The table's estimated rows when the column leads an index (see
    :attr:`Dialect.index_quantile`)."""


def plan_read(
    spark: SparkSession, options: Mapping[str, str], vendor: str, request: PartitionRequest
) -> ReadPlan:
    """The partitions of a read (see the module doc); never fails but for the connection."""
    if request.partitions < 2:
        return ReadPlan(description="one connection (one partition requested)")
    try:
        return _Planner(spark, options, vendor, request).plan()
    except _SerialReadError as reason:
        log.warning("reading %s with one connection: %s", request.relation, reason)
    except Exception as exc:  # planning is an optimisation: any failure falls back
        failure = classify_jdbc_error(exc)
        if failure.about_connection:
            raise  # the read would fail the same way: let the retry policy decide
        log.warning(
            "reading %s with one connection: planning partitions failed (%s)",
            request.relation,
            failure.reason,
        )
    return ReadPlan()


@dataclasses.dataclass(frozen=True)
class _Planner:
    """One request's plan: the queries it takes and the predicates it makes."""

    spark: SparkSession
    options: Mapping[str, str]
    vendor: str
    request: PartitionRequest

    @property
    def sql(self) -> Dialect:
        return dialect(self.vendor)

    def plan(self) -> ReadPlan:
        request, sql = self.request, self.sql
        if request.hashexpression is not None:
            return self._hashed(f"({request.hashexpression})", "hashexpression")
        if request.hashfield is not None:
            field = quote(self.vendor, request.hashfield)
            return self._hashed(self._hash(field), f"hashfield {field}")
        columns = self._catalog()
        if request.column is not None:
            wanted = sql.unquoted(request.column)
            found = [c for c in columns if c.name == wanted]
            return self._on_column(found[0] if found else _Column(wanted))
        key = [c for c in columns if c.key_position is not None]
        if not key:
            what = "a query has no key" if request.table is None else f"{request.table} has no key"
            raise _SerialReadError(
                f"{what} to partition on; set partition_column (ranges of a column), hashfield "
                "(a hash of any column) or hashexpression (SQL returning a whole number)"
            )
        if len(key) > 1:
            names = ", ".join(sql.identifier(c.name) for c in key)
            if sql.row is None:
                raise _SerialReadError(f"etl cannot hash a composite key on {self.vendor}")
            value = self._hash(sql.row.format(columns=names))
            return self._hashed(value, f"a hash of the primary key ({names})")
        return self._on_column(key[0])

    def _catalog(self) -> list[_Column]:
        """The primary-key columns of the request's table and its ``column``, in key order;
        ``[]`` for a ``query`` and, with a ``column``, on a database without a catalog query."""
        request, sql = self.request, self.sql
        if request.table is None:
            return []
        if sql.catalog is None:
            if request.column is not None:
                return []
            raise _SerialReadError(f"etl cannot look up primary keys on {self.vendor}")
        schema, _, name = request.table.rpartition(".")
        query = sql.catalog.format(
            table=sql.literal(request.table),
            schema=sql.literal(sql.unquoted(schema)) if schema else "NULL",
            name=sql.literal(sql.unquoted(name)),
            column=sql.literal(sql.unquoted(request.column)) if request.column else "NULL",
        )
        result = fetch(self.spark, self.options, query)
        columns = []
        for i in range(len(result.rows)):
            position, bounds = result.value("key_position", i), result.value("bounds", i)
            indexed_rows = result.value("indexed_rows", i)
            columns.append(
                _Column(
                    name=str(result.value("name", i)),
                    type=result.value("type", i),
                    key_position=None if position is None else int(position),
                    bounds=tuple(json.loads(bounds)) if bounds else (),
                    indexed_rows=None if indexed_rows is None else int(indexed_rows),
                )
            )
        return columns

    def _on_column(self, column: _Column) -> ReadPlan:
        name = self.sql.identifier(column.name)
        if column.bounds and not self.request.subset:
            bounds = _quantiles(column.bounds, self.request.partitions)
            return self._ranges(name, bounds, "at quantiles of the database's statistics")
        rows = column.indexed_rows or 0
        if self.sql.index_quantile and rows >= self.request.partitions and not self.request.subset:
            return self._index_quantiles(name, column, rows)
        return self._without_statistics(name, column)

    def _without_statistics(self, name: str, column: _Column) -> ReadPlan:
        """Equal steps between ``min`` and ``max`` for a number, date or time; else a hash."""
        if column.type is None or _STRIDE_TYPES.match(column.type):
            return self._strides(name, column.type)
        return self._hashed(self._hash(name), f"a hash of {name} ({column.type})")

    def _strides(self, name: str, type_: str | None) -> ReadPlan:
        """Equal steps between ``min`` and ``max``, computed by the database in the column's
        own type (one query); fewer partitions when the range has fewer distinct steps."""
        stride, n = self.sql.stride, self.request.partitions
        if self.sql.time_stride is not None:
            if type_ is None:  # a number's steps on a date would be nonsense, and vice versa
                return self._hashed(self._hash(name), f"a hash of {name} (type unknown)")
            if _TIME_TYPES.match(type_):
                stride = self.sql.time_stride
        if stride is None:
            return self._hashed(self._hash(name), f"a hash of {name}")
        steps = ", ".join(stride.format(k=k, n=n) for k in range(n))
        query = (
            f"SELECT {steps} FROM (SELECT min({name}) AS lo, max({name}) AS hi "
            f"FROM {self.request.relation}) glueprint_bounds"
        )
        low, *cuts = fetch(self.spark, self.options, query).rows[0]
        bounds = _increasing(cuts, after=low)
        if not bounds:
            return ReadPlan(description=f"one connection ({name} is empty, NULL or constant)")
        return self._ranges(name, bounds, "in equal steps between its min and max")

    def _index_quantiles(self, name: str, column: _Column, rows: int) -> ReadPlan:
        """Bounds at equal row counts read off the column's index (one query walking it, MySQL),
        at offsets from the table's row estimate.  A wrong estimate cannot lose or repeat a row:
        it moves the bounds, the first and last partitions are open-ended, and offsets past the
        last row give no bound.  NULLs sort first, so they count and go to the first partition.
        A failed walk (a timeout, say) is planned as without statistics, after a WARN."""
        assert self.sql.index_quantile is not None  # only called when the dialect has one
        n, relation = self.request.partitions, self.request.relation
        values = ", ".join(
            self.sql.index_quantile.format(column=name, relation=relation, offset=rows * k // n)
            for k in range(1, n)
        )
        try:
            bounds = _increasing(fetch(self.spark, self.options, f"SELECT {values}").rows[0])
        except Exception as exc:  # planning is an optimisation: any failure falls back
            failure = classify_jdbc_error(exc)
            if failure.about_connection:
                raise
            log.warning(
                "partitioning %s on %s without its quantiles: reading them off its index "
                "failed (%s)",
                relation,
                name,
                failure.reason,
            )
            return self._without_statistics(name, column)
        if not bounds:  # the estimate is far above the rows there are
            return self._without_statistics(name, column)
        return self._ranges(name, bounds, f"at quantiles read off its index (~{rows} rows)")

    def _ranges(self, name: str, bounds: Sequence[str], how: str) -> ReadPlan:
        """One partition below the first boundary (with the NULLs), one per gap, one above."""
        cuts = [self.sql.literal(bound) for bound in bounds]
        predicates = [f"{name} < {cuts[0]} OR {name} IS NULL"]
        predicates += [f"{name} >= {low} AND {name} < {high}" for low, high in pairwise(cuts)]
        predicates.append(f"{name} >= {cuts[-1]}")
        return ReadPlan(tuple(predicates), f"{len(predicates)} ranges of {name} {how}")

    def _hash(self, value: str) -> str:
        if self.sql.hash is None:
            raise _SerialReadError(f"etl cannot hash values on {self.vendor}; set hashexpression")
        return self.sql.hash.format(value=value)

    def _hashed(self, value: str, what: str) -> ReadPlan:
        """Partition ``i`` reads the rows whose integer ``value`` is ``i`` modulo ``n`` (and
        partition 0 those where it is NULL)."""
        modulo, n = self.sql.modulo, self.request.partitions
        if modulo is None:
            raise _SerialReadError(f"etl cannot split rows by a modulo on {self.vendor}")
        predicates = [f"{modulo.format(value=value, n=n)} = {i}" for i in range(n)]
        predicates[0] += f" OR {value} IS NULL"
        return ReadPlan(tuple(predicates), f"{n} partitions by {what}")


def _increasing(values: Sequence[str | None], after: str | None = None) -> list[str]:
    """Non-decreasing ``values`` without NULLs, repeats and the value ``after`` (a minimum,
    which would leave the first partition empty)."""
    bounds: list[str] = []
    for value in values:
        if value is not None and value != after and (not bounds or value != bounds[-1]):
            bounds.append(value)
    return bounds


def _quantiles(histogram: Sequence[str], n: int) -> list[str]:
    """``n - 1`` boundaries at equal row counts (a histogram's bounds are quantiles), fewer
    when the histogram repeats a value."""
    last = len(histogram) - 1
    picked = [histogram[round(i * last / n)] for i in range(1, n)]
    return [b for i, b in enumerate(picked) if i == 0 or b != picked[i - 1]]
