"""Killed from outside, as a scheduler or a dying worker would: SIGKILL in the middle of the
publish of a two-source incremental job, then a new run in a new process (a new run id, not a
retry), publishes every row exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from pyspark.sql import SparkSession

pytestmark = [pytest.mark.spark, pytest.mark.postgres]
Psql = Callable[[str], str]
SCRIPT = Path(__file__).with_name("sigkill_job.py")


def _run(root: Path, pg_jdbc_url: str, tables: list[str], latency: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(SCRIPT), str(root), pg_jdbc_url, *tables, str(latency)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYSPARK_PYTHON": sys.executable},
    )


def test_sigkill_during_publish_then_a_new_run_publishes_each_row_once(
    *,
    spark: SparkSession,
    psql: Psql,
    pg_table: str,
    pg_jdbc_url: str,
    pg_env: dict[str, str],
    tmp_path: Path,
) -> None:
    tables = [f"{pg_table}_a", f"{pg_table}_b"]
    for offset, table in enumerate(tables):
        psql(
            f"DROP TABLE IF EXISTS {table}; CREATE TABLE {table} (id int PRIMARY KEY, day text);"
            f"INSERT INTO {table} SELECT {offset} * 100000 + i, 'd' || (i % 5) "
            "FROM generate_series(1, 5000) i"
        )
    journals = tmp_path / "lake" / "out" / "_glueprint_state" / "_publish"
    try:
        victim = _run(tmp_path, pg_jdbc_url, tables, latency=0.05)
        deadline = time.monotonic() + 180
        published = tmp_path / "lake" / "out"
        while not (journals.is_dir() and any(published.glob("day=*/*.parquet"))):
            assert victim.poll() is None, victim.communicate()[0][-3000:]
            assert time.monotonic() < deadline, "the run never reached its publish"
            time.sleep(0.01)
        victim.send_signal(signal.SIGKILL)  # some files moved, most not
        victim.wait(30)
        assert victim.returncode == -signal.SIGKILL
        assert any(journals.iterdir()), "killed mid-publish: the journal is still there"

        for table in tables:  # more rows arrive before the next run
            psql(f"INSERT INTO {table} SELECT max(id) + 1, 'd9' FROM {table}")
        rerun = _run(tmp_path, pg_jdbc_url, tables, latency=0.0)
        output = rerun.communicate(timeout=300)[0]
        assert rerun.returncode == 0, output[-3000:]
        assert "done {'a': '5001', 'b': '105001'}" in output
    finally:
        for table in tables:
            psql(f"DROP TABLE IF EXISTS {table}")
    ids = [row.id for row in spark.read.parquet(str(published)).select("id").collect()]
    assert len(ids) == len(set(ids)) == 2 * 5001
    assert not journals.exists() or not any(journals.iterdir())
