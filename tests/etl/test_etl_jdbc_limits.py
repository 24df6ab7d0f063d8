"""Connection limits: a source opens at most ``max_connections`` at once, and a database out of
connections (PostgreSQL 53300, MySQL 1040/1203) is retried, not failed."""

from __future__ import annotations

import logging
import os
import subprocess
import time
from collections.abc import Callable, Iterator
from urllib.parse import urlsplit

import pytest
from conftest import CONNECTION, PgReader
from jdbc_reads import local_runtime
from pyspark.sql import SparkSession

from etl import JdbcSource, OptionError, RetryPolicy
from etl.retry import classify_jdbc_error

Psql = Callable[[str], str]


def _orders(psql: Psql, reader: PgReader, rows: int) -> str:
    table = f"{reader.schema}.orders"
    psql(f"CREATE TABLE {table} (id int PRIMARY KEY);")
    psql(f"INSERT INTO {table} SELECT generate_series(1, {rows})")
    return table


def test_num_partitions_beyond_max_connections_is_refused() -> None:
    with pytest.raises(OptionError, match=r"num_partitions=12.*max_connections=8"):
        JdbcSource(connection=CONNECTION, table="t", num_partitions=12)
    with pytest.raises(OptionError, match="max_connections must be at least 1"):
        JdbcSource(connection=CONNECTION, table="t", max_connections=0)
    assert JdbcSource(connection=CONNECTION, table="t", num_partitions=12, max_connections=12)


@pytest.mark.spark
@pytest.mark.postgres
def test_max_connections_caps_the_default_partitions(
    spark: SparkSession, psql: Psql, pg_reader: PgReader, caplog: pytest.LogCaptureFixture
) -> None:
    table = _orders(psql, pg_reader, 90)
    runtime = local_runtime(spark, pg_reader.profile)
    caplog.set_level(logging.INFO, logger="etl.sources")
    assert spark.sparkContext.defaultParallelism == 2
    assert JdbcSource(connection=CONNECTION, table=table).read(runtime).rdd.getNumPartitions() == 2
    capped = JdbcSource(connection=CONNECTION, table=table, max_connections=1).read(runtime)
    assert capped.rdd.getNumPartitions() == 1 and capped.count() == 90
    assert any("one partition requested" in r.getMessage() for r in caplog.records)


@pytest.fixture
def held_connection(pg_url: str, pg_reader: PgReader, psql: Psql) -> Iterator[None]:
    """The reader's only connection (``CONNECTION LIMIT 1``), taken by a sleeping psql session
    (whose backend ``pg_reader``'s teardown ends)."""
    psql(f"ALTER ROLE {pg_reader.role} CONNECTION LIMIT 1")
    parts = urlsplit(pg_url)
    url = f"postgresql://{pg_reader.role}@{parts.hostname}:{parts.port}{parts.path}"
    env = {**os.environ, "PGPASSWORD": os.environ["TEST_PG_READER_PASSWORD"]}
    holder = subprocess.Popen(
        ["psql", url, "-qAtc", "SELECT pg_sleep(600)"], env=env, stderr=subprocess.DEVNULL
    )
    active = f"SELECT count(*) FROM pg_stat_activity WHERE usename = '{pg_reader.role}'"
    deadline = time.monotonic() + 30
    while psql(active) != "1":
        assert holder.poll() is None and time.monotonic() < deadline, "psql did not connect"
        time.sleep(0.1)
    try:
        yield
    finally:
        holder.terminate()
        holder.wait(timeout=30)


@pytest.mark.spark
@pytest.mark.postgres
@pytest.mark.usefixtures("held_connection")
def test_too_many_connections_is_retried_until_the_database_admits_one(
    spark: SparkSession, psql: Psql, pg_reader: PgReader, caplog: pytest.LogCaptureFixture
) -> None:
    table = _orders(psql, pg_reader, 50)

    # Lifting the limit, rather than ending the holder, admits the next attempt for sure: a
    # backend that is exiting may still count against the limit for a moment.
    class LiftLimitOnFirstRetry(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            psql(f"ALTER ROLE {pg_reader.role} CONNECTION LIMIT -1")

    handler = LiftLimitOnFirstRetry(logging.WARNING)
    logging.getLogger("etl.retry").addHandler(handler)
    caplog.set_level(logging.WARNING, logger="etl.retry")
    policy = RetryPolicy(attempts=5, initial_delay=0.2, budget=30)
    try:
        frame = JdbcSource(connection=CONNECTION, table=table, retry=policy).read(
            local_runtime(spark, pg_reader.profile)
        )
    finally:
        logging.getLogger("etl.retry").removeHandler(handler)
    assert frame.count() == 50
    retries = [r.getMessage() for r in caplog.records if r.name == "etl.retry"]
    assert len(retries) == 1 and "SQLSTATE 53300" in retries[0], retries
    assert "transient" in retries[0] and f"connection '{CONNECTION}'" in retries[0]


class _JavaSqlError:
    """Stands in for the ``java.sql.SQLException`` py4j hands over (MySQL is not run here)."""

    def __init__(self, driver_class: str, sqlstate: str, code: int, message: str) -> None:
        self._class, self._state, self._code, self._message = driver_class, sqlstate, code, message

    def getClass(self) -> _JavaSqlError:  # noqa: N802 - Java's names
        return self

    def getName(self) -> str:  # noqa: N802
        return self._class

    def getMessage(self) -> str:  # noqa: N802
        return self._message

    def getSQLState(self) -> str:  # noqa: N802
        return self._state

    def getErrorCode(self) -> int:  # noqa: N802
        return self._code

    def getCause(self) -> None:  # noqa: N802
        return None


class _Py4JError(Exception):
    def __init__(self, java_exception: _JavaSqlError) -> None:
        super().__init__("An error occurred while calling o42.load")
        self.java_exception = java_exception


@pytest.mark.parametrize(
    ("sqlstate", "code", "message", "transient"),
    [
        ("08004", 1040, "Too many connections", True),
        ("HY000", 1040, "Too many connections", True),  # refused before the handshake
        ("42000", 1203, "User app already has more than 'max_user_connections'", True),
        ("42000", 1064, "You have an error in your SQL syntax", False),
        ("S0001", 1203, "Process ID 7 attempted to unlock a resource it does not own", False),
    ],
)
def test_mysql_connection_limits_are_transient(
    sqlstate: str, code: int, message: str, transient: bool
) -> None:
    # Connector/J raises these as plain java.sql exceptions; the SQL Server error shares 1203.
    error = _JavaSqlError("java.sql.SQLException", sqlstate, code, message)
    failure = classify_jdbc_error(_Py4JError(error))
    assert failure.transient is transient
    assert failure.sqlstate == sqlstate and message in failure.reason
