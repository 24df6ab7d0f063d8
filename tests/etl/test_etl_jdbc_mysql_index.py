"""Partitions read off an index on a real MySQL-protocol server, as a user that may only SELECT.

MySQL and MariaDB show such a user no column statistics, so etl cuts a key or
``partition_column`` that leads a B-tree index at quantiles read off the index, at offsets from
the table's row estimate (``information_schema.TABLES.TABLE_ROWS``).  These tests prove the
partitions are near-equal where min/max steps would not be (a gapped key), that a stale
estimate still reads every row exactly once, and the fallbacks.  Setup and helpers as in
test_etl_jdbc_mysql.py (MariaDB 10.11, MariaDB Connector/J, conftest ``mariadb_reader``)."""

from __future__ import annotations

import datetime
import logging
from collections.abc import Mapping
from typing import Any

import pytest
from conftest import CONNECTION, MariaDbReader
from jdbc_reads import assert_rows, partition_sizes, planner_warnings, read
from pyspark.sql import SparkSession
from pyspark.sql import functions as fn
from test_etl_jdbc_mysql import Sql

from etl import partitioning
from etl.jdbc import fetch

pytestmark = [pytest.mark.spark]


_GAPPED = [(i, i % 7) for i in range(1, 4001)] + [(10**12, 0), (2**63 - 1, 1)]
"""Ids 1..4000, then two far beyond: equal steps between min and max would put 4001 rows in the
first partition and none in the next two."""


def _create_gapped(sql: Sql, table: str) -> None:
    """:data:`_GAPPED` in ``table``, whose statistics InnoDB keeps until told otherwise."""
    sql(
        f"CREATE TABLE {table} (id bigint PRIMARY KEY, v int) STATS_AUTO_RECALC=0;"
        f"INSERT INTO {table} SELECT seq, seq % 7 FROM seq_1_to_4000;"
        f"INSERT INTO {table} VALUES (1000000000000, 0), (9223372036854775807, 1)"
    )


def test_gapped_key_is_cut_at_quantiles_of_its_index(
    spark: SparkSession, mariadb_sql: Sql, mariadb_reader: MariaDbReader
) -> None:
    _create_gapped(mariadb_sql, f"{mariadb_reader.database}.gapped")
    frame = read(spark, mariadb_reader.profile, table="gapped", num_partitions=4)
    assert partition_sizes(frame) == [1000, 1001, 1000, 1001]  # rows 1000, 2001, 3001 of 4002
    assert_rows(frame, _GAPPED)
    hashed = read(spark, mariadb_reader.profile, table="gapped", num_partitions=4, hashfield="id")
    sizes = partition_sizes(hashed)
    assert len(sizes) == 4 and all(size > 500 for size in sizes), sizes
    assert_rows(hashed, _GAPPED)


@pytest.mark.parametrize(
    ("estimate", "sizes"),
    [
        pytest.param(100, [25, 25, 25, 3927], id="estimate-too-low"),  # rows 25, 50 and 75
        pytest.param(6000, [1500, 1500, 1002], id="estimate-too-high"),  # row 4500 is past the end
        pytest.param(10**6, [4001, 0, 0, 1], id="estimate-past-every-row"),  # min/max steps
    ],
)
def test_stale_row_estimate_still_reads_every_row_once(
    spark: SparkSession,
    *,
    mariadb_sql: Sql,
    mariadb_reader: MariaDbReader,
    estimate: int,
    sizes: list[int],
) -> None:
    database = mariadb_reader.database
    _create_gapped(mariadb_sql, f"{database}.gapped")
    # InnoDB reads its persistent statistics again when the table is next opened.
    mariadb_sql(
        f"ANALYZE TABLE {database}.gapped; UPDATE mysql.innodb_table_stats SET n_rows = {estimate}"
        f" WHERE database_name = '{database}' AND table_name = 'gapped';"
        f"RENAME TABLE {database}.gapped TO {database}.moved;"
        f"RENAME TABLE {database}.moved TO {database}.gapped"
    )
    rows = "SELECT TABLE_ROWS FROM information_schema.TABLES WHERE TABLE_NAME = 'gapped'"
    assert mariadb_sql(f"{rows} AND TABLE_SCHEMA = '{database}'") == str(estimate)
    frame = read(spark, mariadb_reader.profile, table="gapped", num_partitions=4)
    assert partition_sizes(frame) == sizes
    assert_rows(frame, _GAPPED)


def test_failed_index_walk_falls_back_to_min_max_steps_with_a_warning(
    spark: SparkSession,
    *,
    mariadb_sql: Sql,
    mariadb_reader: MariaDbReader,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The walk of 300 000 index entries (offsets 50 000 + 100 000 + 150 000) outlives a 1 ms
    # statement timeout on the server; min and max read one entry each and do not.
    mariadb_sql(
        f"CREATE TABLE {mariadb_reader.database}.wide (id bigint PRIMARY KEY);"
        f"INSERT INTO {mariadb_reader.database}.wide SELECT seq FROM seq_1_to_200000;"
        f"INSERT INTO {mariadb_reader.database}.wide VALUES (1000000000000)"
    )

    def timed_out_walk(spark: SparkSession, options: Mapping[str, str], sql: str) -> Any:
        if "OFFSET" in sql:
            sql = f"SET STATEMENT max_statement_time = 0.001 FOR {sql}"
        return fetch(spark, options, sql)

    monkeypatch.setattr(partitioning, "fetch", timed_out_walk)
    caplog.set_level(logging.WARNING, logger="etl.partitioning")
    frame = read(spark, mariadb_reader.profile, table="wide", num_partitions=4)
    assert partition_sizes(frame) == [200_000, 0, 0, 1]
    assert frame.agg(fn.count("id"), fn.count_distinct("id")).first() == (200_001, 200_001)
    warnings = planner_warnings(caplog)
    assert len(warnings) == 1 and "reading them off its index failed" in warnings[0], warnings
    assert "max_statement_time" in warnings[0]


def test_indexed_partition_column_with_nulls_and_repeats(
    spark: SparkSession, mariadb_sql: Sql, mariadb_reader: MariaDbReader
) -> None:
    # NULLs sort first in the index and go to the first partition; a repeated value stays whole.
    table = f"{mariadb_reader.database}.visits"
    mariadb_sql(
        f"CREATE TABLE {table} (id int PRIMARY KEY, day date, KEY by_day (day));"
        f"INSERT INTO {table} SELECT seq, CASE WHEN seq <= 300 THEN NULL"
        f" ELSE DATE '2024-01-01' + INTERVAL (seq - 1) DIV 100 DAY END FROM seq_1_to_1200"
    )
    frame = read(
        spark, mariadb_reader.profile, table="visits", partition_column="day", num_partitions=4
    )
    # Rows 300, 600 and 900 (from 0, NULLs first) are the first of 2024-01-04, 01-07, 01-10.
    assert partition_sizes(frame) == [300, 300, 300, 300]
    first = datetime.date(2024, 1, 1)
    expected = [
        (i, None if i <= 300 else first + datetime.timedelta((i - 1) // 100))
        for i in range(1, 1201)
    ]
    assert_rows(frame, expected)


def test_prefix_index_is_not_walked_as_it_does_not_order_the_column(
    spark: SparkSession,
    mariadb_sql: Sql,
    mariadb_reader: MariaDbReader,
    caplog: pytest.LogCaptureFixture,
) -> None:
    table = f"{mariadb_reader.database}.notes"
    mariadb_sql(
        f"CREATE TABLE {table} (id int PRIMARY KEY, title varchar(40), KEY by_title (title(3)));"
        f"INSERT INTO {table} SELECT seq, CONCAT('note ', seq) FROM seq_1_to_400"
    )
    caplog.set_level(logging.INFO, logger="etl.sources")
    frame = read(
        spark, mariadb_reader.profile, table="notes", partition_column="title", num_partitions=4
    )
    plans = [r.getMessage() for r in caplog.records if r.name == "etl.sources"]
    assert plans == [f"jdbc notes via {CONNECTION}: 4 partitions by a hash of `title` (varchar)"]
    assert_rows(frame, [(i, f"note {i}") for i in range(1, 401)])
