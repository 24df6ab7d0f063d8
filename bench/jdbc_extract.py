"""Suite 1, JDBC extract: etl's JdbcSource defaults against the naive read, a hand-tuned read
and the server streaming the table with ``COPY`` (the floor for moving the rows out), on the
benchmark table and on a copy whose key has a gap (ids 1..N-1 and 10^12), where a ``min``/``max``
stride puts every row but one in the first partition.

Every Spark variant materialises all columns of all rows with the ``noop`` sink, so the time is
the extract alone (no file writing).  Two rows split the time that is not moving rows: ``etl
partition plan alone`` times the one catalog query JdbcSource makes before Spark reads, and
``fixed cost`` a 2-partition read whose partitions select nothing.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bench.common import Postgres, Settings
from bench.timing import (
    Section,
    Target,
    Timings,
    console,
    measure,
    process_cpu_seconds,
    ratio,
    seconds,
)

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

CONNECTION = "bench-pg"
USER_ENV = "GLUEPRINT_BENCH_PG_USER"
PASSWORD_ENV = "GLUEPRINT_BENCH_PG_PASSWORD"

NAIVE = "naive spark.read.jdbc(url, table)"
NAIVE_FETCH = "naive + fetchsize=10000"
TUNED = "hand-tuned: 2 partitions + fetchsize=10000"
ETL = "etl JdbcSource(connection, table) defaults"
BINARY = "proposed default: 2 partitions + fetchsize=10000 + prepareThreshold=-1"
COPY = "PostgreSQL \\copy table to /dev/null"
PLAN = "etl partition plan alone (one catalog query)"
FIXED = "fixed cost: 2 partitions reading no rows (schema, Spark job, 2 connections)"
STRIDE = "Spark min/max stride: 2 partitions + fetchsize=10000 + prepareThreshold=-1"
GAP = 1_000_000_000_000

CREATE = """
DROP TABLE IF EXISTS {table};
CREATE UNLOGGED TABLE {table} (
  order_id bigint PRIMARY KEY,
  customer_id integer NOT NULL,
  amount numeric(10,2) NOT NULL,
  status text NOT NULL,
  order_date date NOT NULL,
  created_at timestamp NOT NULL
);
INSERT INTO {table}
SELECT {order_id}, (g * 7919) % 100000, ((g * 31) % 100000) / 100.0,
       (ARRAY['new','paid','shipped','returned'])[1 + (g % 4)::int],
       DATE '2024-01-01' + (g % 365)::int, TIMESTAMP '2024-01-01' + g * INTERVAL '1 second'
FROM generate_series(1::bigint, {rows}) g;
VACUUM ANALYZE {table};
"""


def table_name(rows: int, gapped: bool = False) -> str:
    name = "bench_orders_gapped" if gapped else "bench_orders"
    return name if rows == 5_000_000 else f"{name}_{rows}"


def ensure_table(pg: Postgres, rows: int, gapped: bool = False) -> str:
    """Create ``bench_orders`` (6 columns, bigint primary key, analyzed) with ``rows`` rows
    unless it already holds exactly that many; returns its name.  ``gapped``: the last row's
    key is 10^12 instead of ``rows``."""
    table = table_name(rows, gapped)
    exists = pg.psql("-c", f"SELECT to_regclass('{table}') IS NOT NULL") == "t"
    if exists and pg.psql("-c", f"SELECT count(*) FROM {table}") == str(rows):
        console.log(f"jdbc: reusing {table} ({rows:,} rows)")
        return table
    console.log(f"jdbc: creating {table} with {rows:,} rows")
    order_id = f"CASE WHEN g = {rows} THEN {GAP} ELSE g END" if gapped else "g"
    pg.psql(stdin=CREATE.format(table=table, rows=rows, order_id=order_id))
    return table


def _drain(frame: DataFrame) -> None:
    frame.write.format("noop").mode("overwrite").save()


def _runtime(spark: SparkSession, pg: Postgres) -> Any:
    """A local runtime whose ``bench-pg`` connection is the benchmark database."""
    import os

    from etl.profile import LocalConnection, LocalProfile
    from etl.runtime import SparkRuntime

    os.environ[USER_ENV] = pg.user
    os.environ[PASSWORD_ENV] = pg.password
    profile = LocalProfile(
        connections={CONNECTION: LocalConnection(pg.jdbc_url, USER_ENV, PASSWORD_ENV)}
    )
    runtime = SparkRuntime.local(profile, spark=spark)
    runtime.start("bench", [], {})
    return runtime


def _hand(
    spark: SparkSession, pg: Postgres, table: str, upper: int
) -> Callable[[int, int, bool], Callable[[], None]]:
    """Hand-written Spark reads of ``table``: partitions on ``order_id`` from 1 to ``upper``."""
    props = {"user": pg.user, "password": pg.password, "driver": "org.postgresql.Driver"}

    def hand(partitions: int, fetchsize: int, binary: bool = False) -> Callable[[], None]:
        url = pg.jdbc_url + ("?prepareThreshold=-1" if binary else "")

        def run() -> None:
            reader = spark.read.format("jdbc").options(
                url=url, dbtable=table, fetchsize=str(fetchsize), **props
            )
            if partitions > 1:
                reader = reader.options(
                    partitionColumn="order_id",
                    lowerBound="1",
                    upperBound=str(upper),
                    numPartitions=str(partitions),
                )
            _drain(reader.load())

        return run

    return hand


def _copy(pg: Postgres, table: str) -> Callable[[], None]:
    def copy() -> None:
        subprocess.run(
            ["psql", pg.url, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", f"\\copy {table} to /dev/null"],
            check=True,
            capture_output=True,
        )

    return copy


def _etl(runtime: Any, table: str) -> Callable[[], None]:
    from etl import JdbcSource

    return lambda: _drain(JdbcSource(connection=CONNECTION, table=table).read(runtime))


def _plan_alone(runtime: Any, table: str) -> Callable[[], Any]:
    from etl import JdbcSource
    from etl.partitioning import PartitionRequest, plan_read

    options = JdbcSource(connection=CONNECTION, table=table).reader_options(
        runtime.connection(CONNECTION)
    )
    request = PartitionRequest(relation=table, table=table, partitions=2)
    return lambda: plan_read(runtime.spark, options, "postgresql", request)


def variants(
    spark: SparkSession, pg: Postgres, table: str, rows: int, sweep: bool
) -> dict[str, Callable[[], Any]]:
    props = {"user": pg.user, "password": pg.password, "driver": "org.postgresql.Driver"}
    runtime = _runtime(spark, pg)
    hand = _hand(spark, pg, table, rows)
    empty = spark.read.format("jdbc").options(fetchsize="10000", prepareThreshold="-1", **props)
    found: dict[str, Callable[[], Any]] = {
        NAIVE: lambda: _drain(spark.read.jdbc(pg.jdbc_url, table, properties=props)),
        NAIVE_FETCH: hand(1, 10_000, False),
        TUNED: hand(2, 10_000, False),
        ETL: _etl(runtime, table),
        PLAN: _plan_alone(runtime, table),
        FIXED: lambda: _drain(empty.jdbc(pg.jdbc_url, table, predicates=["1 = 0", "1 = 0"])),
        BINARY: hand(2, 10_000, True),
        COPY: _copy(pg, table),
    }
    if sweep:
        for partitions, fetchsize, binary in (
            (2, 50_000, False),
            (4, 10_000, False),
            (1, 10_000, True),
            (4, 10_000, True),
        ):
            extra = " + prepareThreshold=-1" if binary else ""
            found[f"sweep: {partitions} partitions + fetchsize={fetchsize}{extra}"] = hand(
                partitions, fetchsize, binary
            )
    return found


def run(settings: Settings, spark: SparkSession, sweep: bool = False) -> list[Section]:
    """The benchmark table's section, then the gapped-key table's."""
    pg = Postgres.from_env()
    return [_main_section(settings, spark, pg, sweep), _gapped_section(settings, spark, pg)]


def _measure(
    settings: Settings, spark: SparkSession, found: dict[str, Callable[[], Any]]
) -> dict[str, Timings]:
    jvm = int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())  # type: ignore[union-attr]
    return measure(
        found,
        warmup=settings.warmup,
        repeats=settings.repeats,
        label="jdbc",
        cpu=lambda: process_cpu_seconds([jvm], ["postgres"]),
    )


def _copy_target(settings: Settings, etl: float, floor: float, where: str) -> Target:
    return Target(
        f"JdbcSource <= 1.1x the COPY time{where}",
        etl / floor <= 1.1 if not settings.smoke else None,
        f"({etl / floor:.2f}x)",
    )


def _main_section(settings: Settings, spark: SparkSession, pg: Postgres, sweep: bool) -> Section:
    rows = settings.jdbc_rows
    table = ensure_table(pg, rows)
    results = _measure(settings, spark, variants(spark, pg, table, rows, sweep))
    naive = results[NAIVE].median
    floor = results[COPY].median
    section = Section(
        f"JDBC extract: {rows:,} rows of {table}, PostgreSQL on loopback, Spark local[2] "
        f"(median of {settings.repeats}, after {settings.warmup} warm-up)",
        [
            "variant",
            "median s",
            "min-max s",
            "rows/s",
            "speed-up vs naive",
            "time vs COPY",
            "CPU s (JVM+PG)",
        ],
    )
    for name, timing in results.items():
        moved = name not in {PLAN, FIXED}
        section.rows.append(
            [
                name,
                seconds(timing.median),
                timing.spread,
                f"{rows / timing.median:,.0f}" if moved else "",
                ratio(naive, timing.median) if moved else "",
                ratio(timing.median, floor),
                f"{timing.cpu_median:.1f}" if timing.cpu_median is not None else "",
            ]
        )
    etl = results[ETL].median
    section.targets.append(
        Target(
            "JdbcSource >= 4.5x faster than naive",
            naive / etl >= 4.5 if not settings.smoke else None,
            f"({naive / etl:.2f}x)",
        )
    )
    section.targets.append(_copy_target(settings, etl, floor, ""))
    return section


def _partition_sizes(frame: DataFrame) -> list[int]:
    from pyspark.sql import functions as fn

    counts: dict[int, int] = dict(frame.groupBy(fn.spark_partition_id()).count().collect())
    return [counts.get(i, 0) for i in range(frame.rdd.getNumPartitions())]


def _gapped_section(settings: Settings, spark: SparkSession, pg: Postgres) -> Section:
    """JdbcSource (statistics' quantiles) against Spark's own ``min``/``max`` stride on a key
    with a gap, and COPY; the rows each partition read are a note."""
    from etl import JdbcSource

    rows = settings.jdbc_rows
    table = ensure_table(pg, rows, gapped=True)
    runtime = _runtime(spark, pg)
    props = {"user": pg.user, "password": pg.password, "driver": "org.postgresql.Driver"}
    stride = spark.read.format("jdbc").options(
        url=pg.jdbc_url + "?prepareThreshold=-1",
        dbtable=table,
        fetchsize="10000",
        partitionColumn="order_id",
        lowerBound="1",
        upperBound=str(GAP),
        numPartitions="2",
        **props,
    )
    results = _measure(
        settings,
        spark,
        {ETL: _etl(runtime, table), STRIDE: lambda: _drain(stride.load()), COPY: _copy(pg, table)},
    )
    floor = results[COPY].median
    section = Section(
        f"JDBC extract, gapped key: {rows:,} rows of {table} (order_id 1..{rows - 1:,} and "
        f"{GAP:,}), PostgreSQL on loopback, Spark local[2] (median of {settings.repeats}, "
        f"after {settings.warmup} warm-up)",
        ["variant", "median s", "min-max s", "rows/s", "time vs COPY", "CPU s (JVM+PG)"],
    )
    for name, timing in results.items():
        section.rows.append(
            [
                name,
                seconds(timing.median),
                timing.spread,
                f"{rows / timing.median:,.0f}",
                ratio(timing.median, floor),
                f"{timing.cpu_median:.1f}" if timing.cpu_median is not None else "",
            ]
        )
    section.targets.append(_copy_target(settings, results[ETL].median, floor, " (gapped key)"))
    etl_sizes = _partition_sizes(JdbcSource(connection=CONNECTION, table=table).read(runtime))
    section.notes.append(
        f"rows per partition: JdbcSource {etl_sizes}, Spark stride "
        f"{_partition_sizes(stride.load())}"
    )
    return section


def write_note() -> Section:
    """Suite 5, JDBC write: not measured, because etl has no JDBC sink to compare."""
    section = Section("JDBC write", ["variant", "status"])
    section.rows.append(["etl JDBC sink vs df.write.jdbc", "skipped"])
    section.notes.append(
        "etl's sinks write files only (S3Sink); there is no JDBC target to compare with "
        "df.write.jdbc, so this comparison is not run."
    )
    return section
