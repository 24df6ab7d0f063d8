"""Retries: the backoff/budget policy (injected clock), real transient and permanent failures."""

from __future__ import annotations

import logging
import os
import threading
import time
from pathlib import Path

import pytest
from conftest import CONNECTION, ScratchCluster
from pyspark.sql import SparkSession

from etl import JdbcConnectError, JdbcSource, OptionError, RetryPolicy, SparkRuntime
from etl.profile import LocalConnection, LocalProfile
from etl.retry import Failure, call_with_retry


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def _flaky(failures: int, transient: bool = True) -> tuple[list[int], object]:
    calls: list[int] = []

    def operation() -> str:
        calls.append(1)
        if len(calls) <= failures:
            raise ConnectionRefusedError("refused") if transient else ValueError("bad")
        return "ok"

    return calls, operation


def _classify(exc: BaseException) -> Failure:
    return Failure(isinstance(exc, ConnectionError), str(exc), None)


def test_backoff_is_exponential_capped_and_succeeds_within_budget() -> None:
    fake = FakeClock()
    calls, operation = _flaky(4)
    policy = RetryPolicy(attempts=6, initial_delay=1, multiplier=2, max_delay=5, jitter=0)
    result = call_with_retry(
        operation,  # type: ignore[arg-type]
        policy=policy,
        connection="c",
        what="connect",
        classify=_classify,
        sleep=fake.sleep,
        clock=fake.clock,
    )
    assert result == "ok" and len(calls) == 5
    assert fake.sleeps == [1, 2, 4, 5]


def test_budget_stops_retrying_before_a_wait_would_overrun_it() -> None:
    fake = FakeClock()
    calls, operation = _flaky(100)
    policy = RetryPolicy(attempts=100, initial_delay=1, multiplier=2, max_delay=60, budget=10)
    with pytest.raises(JdbcConnectError, match=r"connection 'c'.*after 4 attempt.*budget 10s"):
        call_with_retry(
            operation,  # type: ignore[arg-type]
            policy=policy,
            connection="c",
            what="connect",
            classify=_classify,
            sleep=fake.sleep,
            clock=fake.clock,
            rng=lambda: 0.0,
        )
    assert fake.sleeps == [1, 2, 4]  # the next wait (8s) would end past 10s
    assert len(calls) == 4


def test_jitter_only_shortens_waits() -> None:
    waits = list(RetryPolicy(attempts=4, jitter=0.5).delays(rng=lambda: 1.0))
    assert waits == [0.5, 1.0, 2.0]


def test_permanent_failure_is_not_retried() -> None:
    fake = FakeClock()
    calls, operation = _flaky(1, transient=False)
    with pytest.raises(JdbcConnectError, match="connection 'c': connect failed permanently"):
        call_with_retry(
            operation,  # type: ignore[arg-type]
            policy=RetryPolicy(),
            connection="c",
            what="connect",
            classify=_classify,
            sleep=fake.sleep,
            clock=fake.clock,
        )
    assert len(calls) == 1 and fake.sleeps == []


def test_retry_policy_options_are_checked() -> None:
    with pytest.raises(OptionError, match="did you mean 'attempts'"):
        RetryPolicy(atempts=3)  # type: ignore[call-arg]
    with pytest.raises(OptionError, match="at least 1"):
        RetryPolicy(attempts=0)
    with pytest.raises(OptionError, match="RetryPolicy"):
        JdbcSource(connection="c", table="t", retry=3)  # type: ignore[arg-type]


def _runtime(spark: SparkSession, profile: LocalProfile) -> SparkRuntime:
    runtime = SparkRuntime.local(profile, spark=spark)
    runtime.start("test", [], {})
    return runtime


@pytest.mark.spark
@pytest.mark.postgres
def test_transient_refusal_is_retried_until_the_server_comes_up(
    spark: SparkSession,
    scratch_running: ScratchCluster,
    scratch_profile: LocalProfile,
    caplog: pytest.LogCaptureFixture,
) -> None:
    cluster = scratch_running
    cluster.psql(
        "DROP TABLE IF EXISTS late; CREATE TABLE late (id int PRIMARY KEY);"
        f"INSERT INTO late SELECT generate_series(1, 10); ALTER TABLE late OWNER TO {cluster.user}"
    )
    cluster.stop()  # the first attempt is refused for sure
    # The server comes back (in the background) only once the first failure was seen, so the
    # test is deterministic however long the JVM takes to make its first attempt.
    starter = threading.Thread(target=cluster.start)

    class StartOnFirstRetry(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if not starter.is_alive() and starter.ident is None:
                starter.start()

    handler = StartOnFirstRetry(logging.WARNING)
    logging.getLogger("etl.retry").addHandler(handler)
    policy = RetryPolicy(attempts=40, initial_delay=0.3, multiplier=1.5, max_delay=2, budget=90)
    source = JdbcSource(connection=CONNECTION, table="public.late", retry=policy)
    caplog.set_level(logging.WARNING, logger="etl.retry")
    try:
        frame = source.read(_runtime(spark, scratch_profile))
    finally:
        logging.getLogger("etl.retry").removeHandler(handler)
        if starter.ident is not None:
            starter.join()
    assert frame.count() == 10
    retries = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert retries and all(f"connection '{CONNECTION}'" in m for m in retries)
    assert all("SQLSTATE 08001" in m or "SQLSTATE 57P03" in m for m in retries), retries


@pytest.mark.spark
@pytest.mark.postgres
@pytest.mark.parametrize(
    ("case", "pattern"),
    [
        ("password", r"authentication failed.*SQLSTATE 28P01|SQLSTATE 28P01.*authentication"),
        ("database", r"SQLSTATE 3D000.*unknown database"),
        ("table", r"SQLSTATE 42P01.*unknown table"),
    ],
)
def test_permanent_errors_fail_fast_naming_the_connection(
    spark: SparkSession,
    *,
    pg_connection: LocalConnection,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    case: str,
    pattern: str,
) -> None:
    wrong = "not-the-password-" + tmp_path.name
    url, table = pg_connection.url, "public.glueprint_no_such_table"
    if case == "password":
        monkeypatch.setenv("WRONG_PG_PASSWORD", wrong)
        conn = LocalConnection(url, pg_connection.user_env, "WRONG_PG_PASSWORD")
    elif case == "database":
        conn = LocalConnection(
            url.rsplit("/", 1)[0] + "/no_such_db", pg_connection.user_env, "TEST_PG_PASSWORD"
        )
    else:
        conn = pg_connection
    source = JdbcSource(connection=CONNECTION, table=table, retry=RetryPolicy(initial_delay=5))
    started = time.monotonic()
    with pytest.raises(JdbcConnectError, match=pattern) as info:
        source.read(_runtime(spark, LocalProfile(connections={CONNECTION: conn})))
    assert time.monotonic() - started < 5  # no backoff wait happened
    assert info.value.attempts == 1 and not info.value.transient
    message = str(info.value)
    assert message.startswith(f"connection '{CONNECTION}': ")
    assert wrong not in message
    assert os.environ["TEST_PG_PASSWORD"] not in message
    assert info.value.__cause__ is None and info.value.__suppress_context__
