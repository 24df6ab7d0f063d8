"""Parallel JDBC reads for every key shape, as a role that may only CONNECT and SELECT.

Each table is created by the owner (``psql``) in the reader's schema and read through
``my-rds-vpc-connection`` logged in as the reader (conftest ``pg_reader``).  Every read is
checked row for row, and its partitions are counted: parallel where a key allows it (ranges
of a number, quantiles of the statistics, a hash otherwise), one connection after a WARN where
nothing does."""

from __future__ import annotations

import datetime
import hashlib
import logging
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from conftest import CONNECTION, PgReader
from jdbc_reads import assert_rows, partition_sizes, planner_warnings, read
from pyspark.sql import SparkSession

from etl import JdbcSource, OptionError

pytestmark = [pytest.mark.spark, pytest.mark.postgres]
Psql = Callable[[str], str]


def _md5_uuid(i: int) -> str:
    """PostgreSQL's ``md5(i::text)::uuid``."""
    return str(uuid.UUID(hashlib.md5(str(i).encode()).hexdigest()))


@pytest.mark.parametrize(
    ("name", "columns", "values", "expected"),
    [
        pytest.param(
            '"Orders"',
            '"Id" bigint PRIMARY KEY, "Amount" int',
            "SELECT i, i * 2 FROM generate_series(1, 400) i",
            [(i, i * 2) for i in range(1, 401)],
            id="quoted-mixed-case-key",
        ),
        pytest.param(
            '"select"',
            '"order" int PRIMARY KEY, "from" text',
            "SELECT i, 'r' || i FROM generate_series(1, 400) i",
            [(i, f"r{i}") for i in range(1, 401)],
            id="reserved-word-key",
        ),
    ],
)
def test_numeric_keys_with_awkward_names_are_read_in_equal_steps(
    spark: SparkSession,
    *,
    psql: Psql,
    pg_reader: PgReader,
    name: str,
    columns: str,
    values: str,
    expected: list[tuple[Any, ...]],
) -> None:
    table = f"{pg_reader.schema}.{name}"
    psql(f"CREATE TABLE {table} ({columns}); INSERT INTO {table} {values}")
    frame = read(spark, pg_reader.profile, table=table, num_partitions=4)
    assert partition_sizes(frame) == [99, 100, 100, 101]  # cut at 100, 200 and 300
    assert_rows(frame, expected)


def test_uuid_key_without_statistics_is_hashed(
    spark: SparkSession, psql: Psql, pg_reader: PgReader
) -> None:
    table = f"{pg_reader.schema}.events"
    psql(
        f"CREATE TABLE {table} (id uuid PRIMARY KEY, n int);"
        f"INSERT INTO {table} SELECT md5(i::text)::uuid, i FROM generate_series(1, 400) i"
    )
    frame = read(spark, pg_reader.profile, table=table, num_partitions=4)
    sizes = partition_sizes(frame)
    assert len(sizes) == 4 and all(size > 50 for size in sizes), sizes
    assert_rows(frame, [(_md5_uuid(i), i) for i in range(1, 401)])


def test_text_key_with_statistics_is_split_at_its_quantiles(
    spark: SparkSession, psql: Psql, pg_reader: PgReader
) -> None:
    table = f"{pg_reader.schema}.codes"
    psql(
        f"CREATE TABLE {table} (code text PRIMARY KEY, n int);"
        f"INSERT INTO {table} SELECT 'c' || i, i FROM generate_series(1, 2000) i;"
        f"ANALYZE {table}"
    )
    frame = read(spark, pg_reader.profile, table=table, num_partitions=4)
    sizes = partition_sizes(frame)
    assert len(sizes) == 4 and max(sizes) <= 2 * 500, sizes
    assert_rows(frame, [(f"c{i}", i) for i in range(1, 2001)])


def test_composite_key_is_hashed(spark: SparkSession, psql: Psql, pg_reader: PgReader) -> None:
    table = f"{pg_reader.schema}.lines"
    psql(
        f'CREATE TABLE {table} ("Order" int, line text, qty int, PRIMARY KEY ("Order", line));'
        f"INSERT INTO {table} SELECT i / 4, 'l' || (i % 4), i FROM generate_series(0, 399) i"
    )
    frame = read(spark, pg_reader.profile, table=table, num_partitions=3)
    sizes = partition_sizes(frame)
    assert len(sizes) == 3 and all(size > 50 for size in sizes), sizes
    assert_rows(frame, [(i // 4, f"l{i % 4}", i) for i in range(400)])


def test_gapped_key_with_statistics_gives_balanced_partitions(
    spark: SparkSession, psql: Psql, pg_reader: PgReader
) -> None:
    table = f"{pg_reader.schema}.gapped"
    psql(
        f"CREATE TABLE {table} (id bigint PRIMARY KEY, v int);"
        f"INSERT INTO {table} SELECT i, i % 7 FROM generate_series(1, 4000) i;"
        f"INSERT INTO {table} VALUES (1000000000000, 0); ANALYZE {table}"
    )
    frame = read(spark, pg_reader.profile, table=table, num_partitions=4)
    sizes = partition_sizes(frame)
    mean = 4001 / 4
    assert len(sizes) == 4 and max(sizes) <= 2 * mean, sizes  # a min/max stride: [4000, 0, 0, 1]
    assert_rows(frame, [(i, i % 7) for i in range(1, 4001)] + [(10**12, 0)])


def test_hashfield_and_hashexpression_split_any_column_nulls_included(
    spark: SparkSession, psql: Psql, pg_reader: PgReader
) -> None:
    table = f"{pg_reader.schema}.notes"
    psql(
        f"CREATE TABLE {table} (n int, tag text);"
        f"INSERT INTO {table} SELECT i, CASE WHEN i % 10 = 0 THEN NULL ELSE 't' || i END"
        f" FROM generate_series(1, 300) i; INSERT INTO {table} VALUES (NULL, 'none')"
    )
    expected = [(i, None if i % 10 == 0 else f"t{i}") for i in range(1, 301)] + [(None, "none")]
    for option in ({"hashfield": "tag"}, {"hashexpression": "n * 7"}):
        frame = read(spark, pg_reader.profile, table=table, num_partitions=3, **option)
        sizes = partition_sizes(frame)
        assert len(sizes) == 3 and all(size > 50 for size in sizes), (option, sizes)
        assert_rows(frame, expected)


def test_partition_column_of_a_view_with_nulls(
    spark: SparkSession, psql: Psql, pg_reader: PgReader
) -> None:
    table, view = f"{pg_reader.schema}.base", f"{pg_reader.schema}.recent"
    psql(
        f"CREATE TABLE {table} (id int PRIMARY KEY, day date);"
        f"INSERT INTO {table} SELECT i, CASE WHEN i % 50 = 0 THEN NULL"
        f" ELSE DATE '2024-01-01' + i END FROM generate_series(1, 400) i;"
        f"CREATE VIEW {view} AS SELECT id, day FROM {table} WHERE id > 100"
    )
    frame = read(spark, pg_reader.profile, table=view, partition_column="day", num_partitions=3)
    sizes = partition_sizes(frame)
    assert len(sizes) == 3 and all(size > 50 for size in sizes), sizes
    first = datetime.date(2024, 1, 1)
    expected = [
        (i, None if i % 50 == 0 else first + datetime.timedelta(days=i)) for i in range(101, 401)
    ]
    assert_rows(frame, expected)


@pytest.mark.parametrize(
    ("kind", "warning"),
    [
        ("no key", "has no key to partition on"),
        ("view", "has no key to partition on"),
        ("query", "a query has no key to partition on"),
        ("uuid partition_column of a query", "planning partitions failed"),
    ],
)
def test_serial_read_with_a_warning_when_nothing_to_partition_on(
    spark: SparkSession,
    *,
    psql: Psql,
    pg_reader: PgReader,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    warning: str,
) -> None:
    table = f"{pg_reader.schema}.plain"
    psql(
        f"CREATE TABLE {table} (id uuid, n int);"
        f"INSERT INTO {table} SELECT md5(i::text)::uuid, i FROM generate_series(1, 120) i;"
        f"CREATE VIEW {table}_v AS SELECT * FROM {table}"
    )
    source: dict[str, Any] = {
        "no key": {"table": table},
        "view": {"table": f"{table}_v"},
        "query": {"query": f"SELECT * FROM {table}"},
        "uuid partition_column of a query": {
            "query": f"SELECT * FROM {table}",
            "partition_column": "id",
        },
    }[kind]
    caplog.set_level(logging.WARNING, logger="etl.partitioning")
    frame = read(spark, pg_reader.profile, num_partitions=4, **source)
    assert partition_sizes(frame) == [120]
    assert_rows(frame, [(_md5_uuid(i), i) for i in range(1, 121)])
    warnings = planner_warnings(caplog)
    assert len(warnings) == 1 and "with one connection" in warnings[0], warnings
    assert warning in warnings[0]


def test_driver_properties_reach_every_partition_as_written(
    spark: SparkSession, psql: Psql, pg_reader: PgReader
) -> None:
    # Spark's partitioned read lower-cases driver property names (SPARK-55830): pgjdbc would
    # then ignore ApplicationName, and the prepareThreshold=-1 JdbcSource sets for PostgreSQL.
    table, view = f"{pg_reader.schema}.base", f"{pg_reader.schema}.sessions"
    psql(
        f"CREATE TABLE {table} (id int PRIMARY KEY);"
        f"INSERT INTO {table} SELECT generate_series(1, 60);"
        f"CREATE VIEW {view} AS SELECT id, current_setting('application_name') AS app,"
        f" (SELECT count(*) FROM pg_prepared_statements) AS prepared FROM {table}"
    )
    frame = read(
        spark,
        pg_reader.profile,
        table=view,
        partition_column="id",
        num_partitions=3,
        options={"ApplicationName": "etl test & co"},
    )
    assert frame.rdd.getNumPartitions() == 3
    rows = frame.collect()
    assert sorted(r.id for r in rows) == list(range(1, 61))
    assert {r.app for r in rows} == {"etl test & co"}
    assert all(r.prepared > 0 for r in rows)  # binary transfer: a named server-side statement


def test_secret_looking_driver_property_keeps_the_read_on_one_connection(
    spark: SparkSession, psql: Psql, pg_reader: PgReader, caplog: pytest.LogCaptureFixture
) -> None:
    table = f"{pg_reader.schema}.orders"
    psql(f"CREATE TABLE {table} (id int PRIMARY KEY);")
    psql(f"INSERT INTO {table} SELECT generate_series(1, 40)")
    caplog.set_level(logging.WARNING, logger="etl.partitioning")
    frame = read(spark, pg_reader.profile, table=table, options={"vaultToken": "s3cr3t-value"})
    assert partition_sizes(frame) == [40]
    warnings = planner_warnings(caplog)
    assert len(warnings) == 1 and "['vaultToken'] look secret" in warnings[0], warnings
    assert "s3cr3t-value" not in warnings[0]


def test_partition_options_are_checked() -> None:
    with pytest.raises(OptionError, match="partition_column and hashfield both say"):
        JdbcSource(connection=CONNECTION, table="t", partition_column="id", hashfield="code")
    with pytest.raises(OptionError, match="hashfield and hashexpression both say"):
        JdbcSource(connection=CONNECTION, table="t", hashfield="a", hashexpression="b")
    with pytest.raises(OptionError, match="hashfield must not be empty"):
        JdbcSource(connection=CONNECTION, table="t", hashfield="")
    # Glue's spelling in the options dictionary points to the fields.
    with pytest.raises(OptionError, match=r"\['hashpartitions'\].*num_partitions \(Glue's"):
        JdbcSource(connection=CONNECTION, table="t", options={"hashpartitions": "5"})
