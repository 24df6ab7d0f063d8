"""JdbcSource against the real PostgreSQL from .ci/run, through a local profile, as a role that
may only CONNECT and SELECT (conftest ``pg_reader``; every key shape: test_etl_jdbc_keys.py)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from conftest import PgReader
from pyspark.sql import DataFrame, SparkSession

from etl import JdbcSource, SparkRuntime
from etl.profile import LocalConnection, LocalProfile

pytestmark = [pytest.mark.spark, pytest.mark.postgres]

CONNECTION = "my-rds-vpc-connection"
Psql = Callable[[str], str]


def _read(spark: SparkSession, profile: LocalProfile, source: JdbcSource) -> DataFrame:
    runtime = SparkRuntime.local(profile, spark=spark)
    runtime.start("test", [], {})
    return source.read(runtime)


def _seed(psql: Psql, table: str, rows: int = 1000) -> None:
    psql(
        f"CREATE TABLE {table} (id int PRIMARY KEY, day date NOT NULL, code text, amount numeric);"
        f"INSERT INTO {table} SELECT i, DATE '2024-01-01' + (i % 60), 'c' || i, i * 1.5"
        f" FROM generate_series(1, {rows}) i"
    )


def _sizes(frame: DataFrame) -> list[int]:
    return frame.rdd.glom().map(len).collect()


def test_table_is_read_in_parallel_on_its_discovered_primary_key(
    spark: SparkSession, psql: Psql, pg_reader: PgReader
) -> None:
    table = f"{pg_reader.schema}.orders"
    _seed(psql, table)
    frame = _read(spark, pg_reader.profile, JdbcSource(connection=CONNECTION, table=table))
    sizes = _sizes(frame)
    assert len(sizes) == spark.sparkContext.defaultParallelism == 2
    assert all(size > 0 for size in sizes)  # really split, not one partition plus an empty one
    assert sum(sizes) == 1000
    assert frame.select("id").distinct().count() == 1000


def test_query_source_is_partitioned_on_a_date_column(
    spark: SparkSession, psql: Psql, pg_reader: PgReader
) -> None:
    table = f"{pg_reader.schema}.orders"
    _seed(psql, table)
    expected = int(psql(f"SELECT count(*) FROM {table} WHERE amount > 300"))
    source = JdbcSource(
        connection=CONNECTION,
        query=f"SELECT id, day FROM {table} WHERE amount > 300",
        partition_column="day",
        num_partitions=3,
    )
    sizes = _sizes(_read(spark, pg_reader.profile, source))
    assert len(sizes) == 3
    assert all(size > 0 for size in sizes)
    assert sum(sizes) == expected


@pytest.mark.parametrize(
    ("ddl", "options"),
    [
        ("code int PRIMARY KEY", {"num_partitions": 1}),  # explicitly one connection
        ("code int", {}),  # no primary key to discover
    ],
)
def test_serial_read_when_no_usable_partition_column(
    spark: SparkSession,
    *,
    psql: Psql,
    pg_reader: PgReader,
    ddl: str,
    options: dict[str, int],
) -> None:
    table = f"{pg_reader.schema}.codes"
    psql(f"CREATE TABLE {table} ({ddl})")
    psql(f"INSERT INTO {table} SELECT i FROM generate_series(1, 50) i")
    source = JdbcSource(connection=CONNECTION, table=table, **options)
    assert _sizes(_read(spark, pg_reader.profile, source)) == [50]


def test_empty_table_reads_as_one_empty_partition(
    spark: SparkSession, psql: Psql, pg_reader: PgReader
) -> None:
    table = f"{pg_reader.schema}.empty"
    psql(f"CREATE TABLE {table} (id int PRIMARY KEY)")
    frame = _read(spark, pg_reader.profile, JdbcSource(connection=CONNECTION, table=table))
    assert _sizes(frame) == [0]


def test_enforced_tls_is_not_silently_downgraded(
    spark: SparkSession, psql: Psql, pg_connection: LocalConnection
) -> None:
    # The test server runs without TLS: requiring it must fail, not fall back to plaintext.
    assert psql("SHOW ssl") == "off"
    conn = pg_connection
    tls = LocalConnection(conn.url, conn.user_env, conn.password_env, ssl=True)
    profile = LocalProfile(connections={CONNECTION: tls})
    source = JdbcSource(connection=CONNECTION, query="SELECT 1 AS one")
    with pytest.raises(Exception, match=r"(?i)ssl|connect"):  # Spark 4 hides the cause
        _read(spark, profile, source).collect()
    assert _read(spark, LocalProfile(connections={CONNECTION: conn}), source).count() == 1
