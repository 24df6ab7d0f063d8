"""Incremental JDBC loads: a watermark stored next to the output, advanced with the data.

Crashes at every point of a run are in test_etl_crash_points.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from chispa import assert_df_equality
from conftest import CONNECTION
from pyspark.sql import DataFrame, SparkSession

from etl import JdbcSource, OptionError, S3Sink, job
from etl.job import Job
from etl.profile import LocalProfile
from etl.publish import STATE_DIR
from etl.testing import local_profile, run_local

pytestmark = [pytest.mark.spark, pytest.mark.postgres]
Psql = Callable[[str], str]


def _insert(psql: Psql, table: str, first: int, last: int) -> None:
    psql(
        f"INSERT INTO {table} SELECT i, DATE '2024-01-01' + (i % 4),"
        f" TIMESTAMP '2024-01-01 00:00:00.000001' + i * INTERVAL '1 minute 1.5 second', 'v' || i"
        f" FROM generate_series({first}, {last}) i"
    )


def _jobs(table: str, column: str) -> tuple[Job[..., DataFrame], Job[..., DataFrame]]:
    @job(
        sources={"rows": JdbcSource(connection=CONNECTION, table=table, watermark_column=column)},
        sink=S3Sink("s3://lake/inc", partition_by=["day"], mode="append"),
    )
    def incremental(rows: DataFrame) -> DataFrame:
        return rows

    @job(
        sources={"rows": JdbcSource(connection=CONNECTION, table=table)},
        sink=S3Sink("s3://lake/full", partition_by=["day"]),
    )
    def full(rows: DataFrame) -> DataFrame:
        return rows

    return incremental, full


def _read(spark: SparkSession, profile: LocalProfile, where: str) -> DataFrame:
    return spark.read.parquet(profile.local_path(where)).orderBy("id")


@pytest.fixture
def profile(pg_profile: LocalProfile, tmp_path: Path) -> LocalProfile:
    lake = local_profile(tmp_path, ["lake"])
    return LocalProfile(connections=pg_profile.connections, paths=lake.paths)


@pytest.mark.parametrize("column", ["id", "updated_at"])
def test_three_incremental_runs_equal_one_full_run(
    spark: SparkSession, psql: Psql, pg_table: str, profile: LocalProfile, column: str
) -> None:
    psql(f"CREATE TABLE {pg_table} (id int PRIMARY KEY, day date, updated_at timestamp, v text)")
    incremental, full = _jobs(pg_table, column)
    _insert(psql, pg_table, 1, 100)
    assert run_local(incremental, spark, profile).watermarks["rows"] is not None
    _insert(psql, pg_table, 101, 130)
    run_local(incremental, spark, profile)
    _insert(psql, pg_table, 131, 200)
    result = run_local(incremental, spark, profile)
    expected_mark = psql(f"SELECT max({column})::text FROM {pg_table}")
    assert result.watermarks == {"rows": expected_mark}
    assert run_local(incremental, spark, profile).watermarks == {"rows": None}  # nothing new

    run_local(full, spark, profile)
    assert_df_equality(
        _read(spark, profile, "s3://lake/inc"), _read(spark, profile, "s3://lake/full")
    )
    state = Path(profile.local_path("s3://lake/inc")[7:], STATE_DIR, "rows")
    assert sorted(p.name for p in state.iterdir() if not p.name.startswith(".")) == [
        "0000000001.json", "0000000002.json", "0000000003.json",
    ]  # fmt: skip


def test_watermark_options_are_checked() -> None:
    with pytest.raises(OptionError, match="did you mean 'watermark_column'"):
        JdbcSource(connection="c", table="t", watermark_colum="id")  # type: ignore[call-arg]
    with pytest.raises(OptionError, match="watermark_state needs watermark_column"):
        JdbcSource(connection="c", table="t", watermark_state="s3://b/state")
    with pytest.raises(OptionError, match="did you mean 'append'"):
        S3Sink("s3://b/o", mode="apend")
