"""Local runs are in UTC, as Glue's are, whatever the machine's time zone: the Spark session,
the JVM (JDBC reads of ``timestamp without time zone``) and the Python process (collected
timestamps).  A fresh ``glueprint run --local`` under ``TZ=America/Los_Angeles`` proves it: the
test session's own Spark is already in UTC."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CONNECTION, PG_JAR

pytestmark = [pytest.mark.spark, pytest.mark.postgres]

JOB = """
from pyspark.sql import DataFrame, functions as fn

from etl import JdbcSource, S3Sink, job


@job(
    sources={{"events": JdbcSource(connection="{connection}", table="{table}")}},
    sink=S3Sink("s3://lake/out", format="json"),
)
def dates(events: DataFrame) -> DataFrame:
    collected = events.select("at_utc").first()[0]  # a Python datetime, in this process's zone
    return events.select(
        fn.to_date("at_utc").cast("string").alias("date_utc"),
        fn.hour("at_utc").alias("hour_utc"),
        fn.to_date("at_local").cast("string").alias("date_local"),
        fn.hour("at_local").alias("hour_local"),
        fn.lit(collected.strftime("%Y-%m-%d %H:%M")).alias("collected"),
    )
"""


def test_run_local_is_in_utc_on_a_machine_in_another_zone(
    tmp_path: Path,
    psql: Callable[[str], str],
    pg_table: str,
    pg_jdbc_url: str,
    pg_env: dict[str, str],
) -> None:
    psql(f"CREATE TABLE {pg_table} (at_utc timestamptz, at_local timestamp)")
    psql(f"INSERT INTO {pg_table} VALUES ('2025-01-02 03:00+00', '2025-01-02 03:00')")
    (tmp_path / "dates.py").write_text(JOB.format(connection=CONNECTION, table=pg_table))
    (tmp_path / "local.toml").write_text(
        f'[connections.{CONNECTION}]\nurl = "{pg_jdbc_url}"\n'
        'user_env = "TEST_PG_USER"\npassword_env = "TEST_PG_PASSWORD"\n'
        '[paths]\n"s3://lake" = "lake"\n'
        f'[spark]\n"spark.jars" = "{PG_JAR}"\n'
    )
    glueprint = shutil.which("glueprint", path=str(Path(sys.executable).parent))
    assert glueprint is not None
    env = {**os.environ, **pg_env, "TZ": "America/Los_Angeles", "PYSPARK_PYTHON": sys.executable}
    done = subprocess.run(
        [glueprint, "run", "dates.py", "--local", "--profile", "local.toml"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [part] = [p for p in (tmp_path / "lake" / "out").glob("part-*") if p.stat().st_size]
    assert json.loads(part.read_text()) == {
        "date_utc": "2025-01-02",  # 2025-01-01 in Los Angeles
        "hour_utc": 3,
        "date_local": "2025-01-02",
        "hour_local": 3,  # 11 when the JVM reads it in Los Angeles time
        "collected": "2025-01-02 03:00",
    }
