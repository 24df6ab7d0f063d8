"""The driver's own JDBC queries: small metadata lookups before a read, and watermark bounds.

A partition plan (:mod:`etl.partitioning`) and an incremental load's bounds need one row or a
few before Spark reads.  Running them as Spark reads costs a schema probe, a Spark job and two
connections each (about 0.25 s on loopback); :func:`fetch` runs them on one connection of the
driver JVM's own JDBC driver (about 0.03 s).  It passes the same connection properties Spark
would (URL, credentials, TLS, driver options) and runs ``sessionInitStatement`` first, so it
sees what the read sees.  Bulk results (the keys of a lookback window) still go through Spark.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from etl.errors import EtlError
from etl.watermark import Watermark

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# Spark's own JDBC options: Spark does not pass them to the driver as connection properties.
_SPARK_OPTIONS = frozenset(
    name.lower()
    for name in (
        "url", "dbtable", "query", "driver", "partitionColumn", "lowerBound", "upperBound",
        "numPartitions", "queryTimeout", "fetchsize", "truncate", "cascadeTruncate",
        "createTableOptions", "createTableColumnTypes", "customSchema", "batchsize",
        "isolationLevel", "sessionInitStatement", "pushDownPredicate", "pushDownAggregate",
        "pushDownLimit", "pushDownOffset", "pushDownTableSample", "keytab", "principal",
        "tableComment", "refreshKrb5Config", "connectionProvider", "prepareQuery",
        "preferTimestampNTZ", "hint",
    )
)  # fmt: skip

# java.sql.Types of numbers (TINYINT .. DOUBLE): a watermark of these is compared unquoted.
_NUMERIC_TYPES = frozenset({-6, -5, 2, 3, 4, 5, 6, 7, 8})


def spark_option(name: str) -> bool:
    """``name`` is one of Spark's own JDBC options (case-insensitive), not a driver property."""
    return name.lower() in _SPARK_OPTIONS


@dataclasses.dataclass(frozen=True)
class Result:
    """A small result set: column labels, their ``java.sql.Types`` and the rows as text."""

    columns: tuple[str, ...]
    types: tuple[int, ...]
    rows: tuple[tuple[str | None, ...], ...]

    def numeric(self, column: str) -> bool:
        return self.types[self.columns.index(column)] in _NUMERIC_TYPES

    def value(self, column: str, row: int = 0) -> str | None:
        return self.rows[row][self.columns.index(column)]


def _connect(spark: SparkSession, options: Mapping[str, str]) -> Any:
    """A ``java.sql.Connection`` as Spark's read would open it."""
    jvm = spark.sparkContext._jvm
    gateway = spark.sparkContext._gateway
    assert jvm is not None and gateway is not None  # a live SparkContext has both
    properties = jvm.java.util.Properties()
    for key, value in options.items():
        if not spark_option(key):
            properties.setProperty(key, value)
    url = options["url"]
    driver_class = options.get("driver")
    if not driver_class:
        return jvm.java.sql.DriverManager.getConnection(url, properties)
    # The context class loader sees jars added with spark.jars/--jars, as Spark's tasks do.
    loader = jvm.java.lang.Thread.currentThread().getContextClassLoader()
    found = jvm.java.lang.Class.forName(driver_class, True, loader)
    constructor = found.getDeclaredConstructor(gateway.new_array(jvm.java.lang.Class, 0))
    driver = constructor.newInstance(gateway.new_array(jvm.java.lang.Object, 0))
    connection = driver.connect(url, properties)
    if connection is None:
        raise EtlError(f"JDBC driver {driver_class} does not accept the connection's URL")
    return connection


def fetch(spark: SparkSession, options: Mapping[str, str], sql: str) -> Result:
    """Run ``sql`` on one new connection of the driver JVM and return every row as text (for
    small results: each value is one py4j call)."""
    connection = _connect(spark, options)
    try:
        statement = connection.createStatement()
        statement.setQueryTimeout(int(options.get("queryTimeout", "0")))
        init = options.get("sessionInitStatement")
        if init:
            statement.execute(init)
        results = statement.executeQuery(sql)
        meta = results.getMetaData()
        indexes = range(1, meta.getColumnCount() + 1)
        columns = tuple(str(meta.getColumnLabel(i)) for i in indexes)
        types = tuple(int(meta.getColumnType(i)) for i in indexes)
        rows = []
        while results.next():
            rows.append(tuple(_text(results.getString(i)) for i in indexes))
        return Result(columns, types, tuple(rows))
    finally:
        connection.close()


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


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
    time-zone or float round trip); it is quoted unless the column is numeric."""
    result = fetch(spark, options, query)
    quoted = not result.numeric("hi")
    if result.value("hi") is None:
        return Watermark(column, None, quoted, 0, "") if since is None else None
    return Watermark(column, result.value("hi_text"), quoted, 0, "")


def read_keys(
    spark: SparkSession, options: Mapping[str, str], query: str
) -> tuple[tuple[str, ...], ...]:
    """The rows of ``query`` (a few key columns, possibly many rows) as text, for the
    watermark state: a Spark read, not :func:`fetch`, because the window may be large.

    Spark renders the text (a cast in the session time zone, UTC at run time), the way the
    next load casts it back to compare: a collected timestamp would be a Python ``datetime``
    in this process's local zone, and name another instant wherever that zone is not UTC."""
    from pyspark.sql import functions as fn

    frame = spark.read.format("jdbc").options(**options).option("query", query).load()
    text = frame.select(*[fn.col(f"`{name}`").cast("string") for name in frame.columns])
    return tuple(tuple(str(value) for value in row) for row in text.collect())
