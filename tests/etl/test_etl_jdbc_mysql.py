"""Parallel JDBC reads on a real MySQL-protocol server, as a user that may only SELECT.

Each table is created by the administrator in the reader's database and read through
``my-rds-vpc-connection`` logged in as the reader (conftest ``mariadb_reader``: MariaDB 10.11
and MariaDB Connector/J on a ``jdbc:mariadb:`` URL).  Every read is checked row for row and
its partitions are counted.  What differs from PostgreSQL (test_etl_jdbc_keys.py): a user with
SELECT on its own database cannot read MariaDB's column statistics, so an indexed key is cut at
quantiles read off its index (offsets from the table's row estimate; the gapped key, stale
estimates and fallbacks: test_etl_jdbc_mysql_index.py), and an unindexed number or date (a
view's column) into equal steps between its ``min`` and ``max``; a MariaDB user at its
``MAX_USER_CONNECTIONS`` gets error 1226, retried like PostgreSQL's 53300.

Glue reads ``jdbc:mysql:`` URLs with MySQL Connector/J, which is not installed here: the SQL
etl writes is proven on MariaDB, the driver behaviour on MariaDB Connector/J only."""

from __future__ import annotations

import datetime
import logging
import os
import subprocess
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
import throwaway_mariadb
from conftest import CONNECTION, MariaDbReader
from jdbc_reads import assert_rows, local_runtime, partition_sizes, planner_warnings, read
from pyspark.sql import SparkSession

from etl import JdbcSource, RetryPolicy

pytestmark = [pytest.mark.spark]
Sql = Callable[[str], str]


@pytest.mark.parametrize(
    ("name", "columns", "values", "expected"),
    [
        pytest.param(
            "`Orders`",
            "`Id` bigint PRIMARY KEY, `Amount` int",
            "SELECT seq, seq * 2 FROM seq_1_to_400",
            [(i, i * 2) for i in range(1, 401)],
            id="backticked-mixed-case-key",
        ),
        pytest.param(
            "`select`",
            "`order` int PRIMARY KEY, `from` varchar(10)",
            "SELECT seq, CONCAT('r', seq) FROM seq_1_to_400",
            [(i, f"r{i}") for i in range(1, 401)],
            id="reserved-word-key",
        ),
    ],
)
def test_keys_with_awkward_names_are_cut_at_quantiles_of_their_index(
    spark: SparkSession,
    *,
    mariadb_sql: Sql,
    mariadb_reader: MariaDbReader,
    name: str,
    columns: str,
    values: str,
    expected: list[tuple[Any, ...]],
) -> None:
    table = f"{mariadb_reader.database}.{name}"
    mariadb_sql(f"CREATE TABLE {table} ({columns}); INSERT INTO {table} {values}")
    frame = read(spark, mariadb_reader.profile, table=name, num_partitions=4)
    assert partition_sizes(frame) == [100, 100, 100, 100]  # cut at rows 100, 200 and 300
    assert_rows(frame, expected)


def test_text_key_is_cut_at_quantiles_of_its_index_as_no_statistics_describe_it(
    spark: SparkSession,
    mariadb_server: throwaway_mariadb.ThrowawayMariaDb,
    mariadb_reader: MariaDbReader,
    tmp_path: Path,
) -> None:
    table = f"{mariadb_reader.database}.codes"
    stats = (
        "SELECT column_name, hist_size FROM mysql.column_stats WHERE db_name = "
        f"'{mariadb_reader.database}' AND table_name = 'codes' ORDER BY column_name"
    )
    mariadb_server.sql(
        f"CREATE TABLE {table} (code varchar(20) PRIMARY KEY, n int);"
        f"INSERT INTO {table} SELECT CONCAT('c', seq), seq FROM seq_1_to_2000;"
        f"ANALYZE TABLE {table} PERSISTENT FOR ALL"
    )
    # MariaDB keeps no histogram of a unique key, and a reader may not see the others.
    assert mariadb_server.sql(stats) == "code\tNULL\nn\t254"
    denied = _as_reader(mariadb_server, mariadb_reader, tmp_path, stats)
    assert denied.returncode == 1 and "ERROR 1142" in denied.stderr, denied.stderr
    frame = read(spark, mariadb_reader.profile, table="codes", num_partitions=4)
    assert partition_sizes(frame) == [500, 500, 500, 500]  # in the column's collation
    assert_rows(frame, [(f"c{i}", i) for i in range(1, 2001)])


def test_composite_key_is_hashed(
    spark: SparkSession, mariadb_sql: Sql, mariadb_reader: MariaDbReader
) -> None:
    table = f"{mariadb_reader.database}.`lines`"
    mariadb_sql(
        f"CREATE TABLE {table} (`Order` int, line varchar(5), qty int,"
        " PRIMARY KEY (`Order`, line));"
        f"INSERT INTO {table} SELECT seq DIV 4, CONCAT('l', seq % 4), seq FROM seq_0_to_399"
    )
    frame = read(spark, mariadb_reader.profile, table="`lines`", num_partitions=3)
    sizes = partition_sizes(frame)
    assert len(sizes) == 3 and all(size > 50 for size in sizes), sizes
    assert_rows(frame, [(i // 4, f"l{i % 4}", i) for i in range(400)])


def test_date_partition_column_of_a_view_with_nulls(
    spark: SparkSession, mariadb_sql: Sql, mariadb_reader: MariaDbReader
) -> None:
    base, view = f"{mariadb_reader.database}.base", f"{mariadb_reader.database}.recent"
    mariadb_sql(
        f"CREATE TABLE {base} (id int PRIMARY KEY, day date);"
        f"INSERT INTO {base} SELECT seq, CASE WHEN seq % 50 = 0 THEN NULL"
        f" ELSE DATE '2024-01-01' + INTERVAL seq DAY END FROM seq_1_to_400;"
        f"CREATE VIEW {view} AS SELECT id, day FROM {base} WHERE id > 100"
    )
    frame = read(
        spark, mariadb_reader.profile, table="recent", partition_column="day", num_partitions=3
    )
    sizes = partition_sizes(frame)
    assert len(sizes) == 3 and all(size > 50 for size in sizes), sizes
    first = datetime.date(2024, 1, 1)
    expected = [
        (i, None if i % 50 == 0 else first + datetime.timedelta(days=i)) for i in range(101, 401)
    ]
    assert_rows(frame, expected)


def test_partition_column_of_a_query_is_hashed(
    spark: SparkSession, mariadb_sql: Sql, mariadb_reader: MariaDbReader
) -> None:
    # A query's column has no catalog type: steps for a number would be nonsense on a date.
    mariadb_sql(
        f"CREATE TABLE {mariadb_reader.database}.events (id int PRIMARY KEY, at datetime);"
        f"INSERT INTO {mariadb_reader.database}.events"
        f" SELECT seq, TIMESTAMP '2024-01-01 00:00:00' + INTERVAL seq MINUTE FROM seq_1_to_300"
    )
    query = "SELECT id, at FROM events WHERE id > 0"
    for column in ("id", "at"):
        frame = read(
            spark, mariadb_reader.profile, query=query, partition_column=column, num_partitions=3
        )
        sizes = partition_sizes(frame)
        assert len(sizes) == 3 and all(size > 50 for size in sizes), (column, sizes)
        assert sorted(r.id for r in frame.collect()) == list(range(1, 301))


@pytest.mark.parametrize(
    ("kind", "warning"),
    [
        ("no key", "has no key to partition on"),
        ("view", "has no key to partition on"),
        ("query", "a query has no key to partition on"),
    ],
)
def test_serial_read_with_a_warning_when_nothing_to_partition_on(
    spark: SparkSession,
    *,
    mariadb_sql: Sql,
    mariadb_reader: MariaDbReader,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    warning: str,
) -> None:
    database = mariadb_reader.database
    mariadb_sql(
        f"CREATE TABLE {database}.plain (code varchar(10), n int);"
        f"INSERT INTO {database}.plain SELECT CONCAT('p', seq), seq FROM seq_1_to_120;"
        f"CREATE VIEW {database}.plain_v AS SELECT * FROM {database}.plain"
    )
    source: dict[str, Any] = {
        "no key": {"table": "plain"},
        "view": {"table": f"{database}.plain_v"},
        "query": {"query": "SELECT * FROM plain"},
    }[kind]
    caplog.set_level(logging.WARNING, logger="etl.partitioning")
    frame = read(spark, mariadb_reader.profile, num_partitions=4, **source)
    assert partition_sizes(frame) == [120]
    assert_rows(frame, [(f"p{i}", i) for i in range(1, 121)])
    warnings = planner_warnings(caplog)
    assert len(warnings) == 1 and "with one connection" in warnings[0], warnings
    assert warning in warnings[0]


def test_max_connections_caps_the_default_partitions(
    spark: SparkSession, mariadb_sql: Sql, mariadb_reader: MariaDbReader
) -> None:
    mariadb_sql(
        f"CREATE TABLE {mariadb_reader.database}.orders (id int PRIMARY KEY);"
        f"INSERT INTO {mariadb_reader.database}.orders SELECT seq FROM seq_1_to_90"
    )
    assert spark.sparkContext.defaultParallelism == 2
    assert read(spark, mariadb_reader.profile, table="orders").rdd.getNumPartitions() == 2
    capped = read(spark, mariadb_reader.profile, table="orders", max_connections=1)
    assert capped.rdd.getNumPartitions() == 1 and capped.count() == 90


def _reader_options(
    server: throwaway_mariadb.ThrowawayMariaDb, reader: MariaDbReader, tmp_path: Path
) -> Path:
    """A client option file logging in as the reader (its password stays off command lines)."""
    options = tmp_path / "reader.cnf"
    options.write_text(
        f"[client]\nhost=127.0.0.1\nport={server.port}\nuser={reader.user}\n"
        f"password={os.environ['TEST_MARIADB_READER_PASSWORD']}\n",
        encoding="utf-8",
    )
    return options


def _as_reader(
    server: throwaway_mariadb.ThrowawayMariaDb, reader: MariaDbReader, tmp_path: Path, sql: str
) -> subprocess.CompletedProcess[str]:
    """Run ``sql`` as the reader with the ``mariadb`` client."""
    options = _reader_options(server, reader, tmp_path)
    return subprocess.run(
        ["mariadb", f"--defaults-extra-file={options}", "--batch", "-e", sql],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def held_connection(
    mariadb_server: throwaway_mariadb.ThrowawayMariaDb,
    mariadb_reader: MariaDbReader,
    tmp_path: Path,
) -> Iterator[None]:
    """The reader's only connection (``MAX_USER_CONNECTIONS 1``), taken by a sleeping client."""
    mariadb_server.sql(f"ALTER USER '{mariadb_reader.user}'@'%' WITH MAX_USER_CONNECTIONS 1")
    options = _reader_options(mariadb_server, mariadb_reader, tmp_path)
    holder = subprocess.Popen(
        ["mariadb", f"--defaults-extra-file={options}", "-e", "SELECT SLEEP(600)"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    active = (
        f"SELECT count(*) FROM information_schema.PROCESSLIST WHERE USER = '{mariadb_reader.user}'"
    )
    deadline = time.monotonic() + 30
    while mariadb_server.sql(active) != "1":
        assert holder.poll() is None and time.monotonic() < deadline, "mariadb did not connect"
        time.sleep(0.1)
    try:
        yield
    finally:
        holder.terminate()
        holder.wait(timeout=30)


@pytest.mark.usefixtures("held_connection")
def test_user_connection_limit_is_retried_until_the_server_admits_one(
    spark: SparkSession,
    mariadb_sql: Sql,
    mariadb_reader: MariaDbReader,
    caplog: pytest.LogCaptureFixture,
) -> None:
    mariadb_sql(
        f"CREATE TABLE {mariadb_reader.database}.orders (id int PRIMARY KEY);"
        f"INSERT INTO {mariadb_reader.database}.orders SELECT seq FROM seq_1_to_50"
    )

    class LiftLimitOnFirstRetry(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            mariadb_sql(f"ALTER USER '{mariadb_reader.user}'@'%' WITH MAX_USER_CONNECTIONS 0")

    handler = LiftLimitOnFirstRetry(logging.WARNING)
    logging.getLogger("etl.retry").addHandler(handler)
    caplog.set_level(logging.WARNING, logger="etl.retry")
    policy = RetryPolicy(attempts=5, initial_delay=0.2, budget=30)
    try:
        frame = read(spark, mariadb_reader.profile, table="orders", retry=policy)
    finally:
        logging.getLogger("etl.retry").removeHandler(handler)
    assert frame.count() == 50
    retries = [r.getMessage() for r in caplog.records if r.name == "etl.retry"]
    assert len(retries) == 1 and "max_user_connections" in retries[0], retries
    assert "transient" in retries[0] and f"connection '{CONNECTION}'" in retries[0]


def _probe_server(
    client_options: str, user: str
) -> Callable[[Iterable[Any]], Iterator[tuple[str, int]]]:
    """A partition function that, on the first row it gets, asks the server how many of the
    reader's SELECTs of ``big`` are still running, then counts the rows: ``[(running, rows)]``."""

    def probe(rows: Iterable[Any]) -> Iterator[tuple[str, int]]:
        iterator = iter(rows)
        count = 1 if next(iterator, None) is not None else 0
        running = subprocess.run(
            [
                "mariadb", f"--defaults-extra-file={client_options}", "--batch",
                "--skip-column-names", "-e",
                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE COMMAND = 'Query'"
                f" AND USER = '{user}' AND INFO LIKE 'SELECT%big%'",
            ],
            capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        yield running, count + sum(1 for _ in iterator)

    return probe


def test_rows_stream_from_the_server_as_they_are_read(
    spark: SparkSession,
    mariadb_server: throwaway_mariadb.ThrowawayMariaDb,
    mariadb_sql: Sql,
    mariadb_reader: MariaDbReader,
) -> None:
    # 20 000 rows of 1.6 kB (32 MB) are far more than the socket buffers on the way: while the
    # first row is in Python, a streamed SELECT is still sending, a buffered one is done.
    rows = 20_000
    mariadb_sql(
        f"CREATE TABLE {mariadb_reader.database}.big (id int PRIMARY KEY, pad varchar(1600));"
        f"INSERT INTO {mariadb_reader.database}.big SELECT seq, REPEAT('x', 1600)"
        f" FROM seq_1_to_{rows}"
    )
    probe = _probe_server(str(mariadb_server.client_options), mariadb_reader.user)
    streamed = read(spark, mariadb_reader.profile, table="big", num_partitions=1)
    assert streamed.rdd.mapPartitions(probe).collect() == [("1", rows)]
    # The same read without a fetch size: the driver reads every row before handing one over.
    options = JdbcSource(connection=CONNECTION, table="big").reader_options(
        local_runtime(spark, mariadb_reader.profile).connection(CONNECTION)
    )
    del options["fetchsize"]
    buffered = spark.read.format("jdbc").options(**options).option("dbtable", "big").load()
    assert buffered.rdd.mapPartitions(probe).collect() == [("0", rows)]
