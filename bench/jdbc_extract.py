"""Suite 1, JDBC extract: etl's JdbcSource defaults against the naive read, a hand-tuned read
and the server streaming the table with ``COPY`` (the floor for moving the rows out).

Every Spark variant materialises all columns of all rows with the ``noop`` sink, so the time is
the extract alone (no file writing).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bench.common import Postgres, Settings
from bench.timing import (
    Section,
    Target,
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
SELECT g, (g * 7919) % 100000, ((g * 31) % 100000) / 100.0,
       (ARRAY['new','paid','shipped','returned'])[1 + (g % 4)::int],
       DATE '2024-01-01' + (g % 365)::int, TIMESTAMP '2024-01-01' + g * INTERVAL '1 second'
FROM generate_series(1::bigint, {rows}) g;
VACUUM ANALYZE {table};
"""


def table_name(rows: int) -> str:
    return "bench_orders" if rows == 5_000_000 else f"bench_orders_{rows}"


def ensure_table(pg: Postgres, rows: int) -> str:
    """Create ``bench_orders`` (6 columns, bigint primary key) with ``rows`` rows unless it
    already holds exactly that many; returns its name."""
    table = table_name(rows)
    exists = pg.psql("-c", f"SELECT to_regclass('{table}') IS NOT NULL") == "t"
    if exists and pg.psql("-c", f"SELECT count(*) FROM {table}") == str(rows):
        console.log(f"jdbc: reusing {table} ({rows:,} rows)")
        return table
    console.log(f"jdbc: creating {table} with {rows:,} rows")
    pg.psql(stdin=CREATE.format(table=table, rows=rows))
    return table


def _drain(frame: DataFrame) -> None:
    frame.write.format("noop").mode("overwrite").save()


def variants(
    spark: SparkSession, pg: Postgres, table: str, rows: int, sweep: bool
) -> dict[str, Callable[[], Any]]:
    import os

    from etl import JdbcSource
    from etl.profile import LocalConnection, LocalProfile
    from etl.runtime import SparkRuntime

    props = {"user": pg.user, "password": pg.password, "driver": "org.postgresql.Driver"}
    os.environ[USER_ENV] = pg.user
    os.environ[PASSWORD_ENV] = pg.password
    profile = LocalProfile(
        connections={CONNECTION: LocalConnection(pg.jdbc_url, USER_ENV, PASSWORD_ENV)}
    )
    runtime = SparkRuntime.local(profile, spark=spark)

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
                    upperBound=str(rows),
                    numPartitions=str(partitions),
                )
            _drain(reader.load())

        return run

    def copy() -> None:
        subprocess.run(
            ["psql", pg.url, "-qAt", "-v", "ON_ERROR_STOP=1", "-c", f"\\copy {table} to /dev/null"],
            check=True,
            capture_output=True,
        )

    found: dict[str, Callable[[], Any]] = {
        NAIVE: lambda: _drain(spark.read.jdbc(pg.jdbc_url, table, properties=props)),
        NAIVE_FETCH: hand(1, 10_000),
        TUNED: hand(2, 10_000),
        ETL: lambda: _drain(JdbcSource(connection=CONNECTION, table=table).read(runtime)),
        BINARY: hand(2, 10_000, binary=True),
        COPY: copy,
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


def run(settings: Settings, spark: SparkSession, sweep: bool = False) -> Section:
    pg = Postgres.from_env()
    rows = settings.jdbc_rows
    table = ensure_table(pg, rows)
    jvm = int(spark.sparkContext._jvm.java.lang.ProcessHandle.current().pid())  # type: ignore[union-attr]
    results = measure(
        variants(spark, pg, table, rows, sweep),
        warmup=settings.warmup,
        repeats=settings.repeats,
        label="jdbc",
        cpu=lambda: process_cpu_seconds([jvm], ["postgres"]),
    )
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
        section.rows.append(
            [
                name,
                seconds(timing.median),
                timing.spread,
                f"{rows / timing.median:,.0f}",
                ratio(naive, timing.median),
                ratio(timing.median, floor),
                f"{timing.cpu_median:.1f}" if timing.cpu_median is not None else "",
            ]
        )
    etl = results[ETL].median
    full = not settings.smoke
    section.targets.append(
        Target(
            "JdbcSource >= 4.5x faster than naive",
            naive / etl >= 4.5 if full else None,
            f"({naive / etl:.2f}x)",
        )
    )
    section.targets.append(
        Target(
            "JdbcSource <= 1.1x the COPY time",
            etl / floor <= 1.1 if full else None,
            f"({etl / floor:.2f}x)",
        )
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
