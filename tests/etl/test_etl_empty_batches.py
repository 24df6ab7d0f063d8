"""An incremental run that finds nothing new appends no file (Spark would write an empty one),
and still records the run: the watermark stays, the batch record is written, a retry replays.
Crashes at every point of such a run are in test_etl_crash_points.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CONNECTION
from pyspark.sql import DataFrame, SparkSession

from etl import JdbcSource, S3Sink, S3Source, job
from etl.job import Job
from etl.profile import LocalProfile
from etl.publish import STATE_DIR
from etl.sinks import visible
from etl.testing import local_profile, run_local

pytestmark = pytest.mark.spark
Psql = Callable[[str], str]


@pytest.fixture
def profile(pg_profile: LocalProfile, tmp_path: Path) -> LocalProfile:
    lake = local_profile(tmp_path, ["lake"])
    return LocalProfile(connections=pg_profile.connections, paths=lake.paths)


def _root(profile: LocalProfile) -> Path:
    return Path(profile.local_path("s3://lake/out").removeprefix("file://"))


def _data_files(profile: LocalProfile) -> list[str]:
    root = _root(profile)
    found = (p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())
    return sorted(relative for relative in found if visible(relative))


def _state(profile: LocalProfile, name: str) -> list[str]:
    directory = _root(profile) / STATE_DIR / name
    names = (p.name for p in directory.iterdir()) if directory.is_dir() else ()
    return sorted(name for name in names if not name.startswith("."))  # not the .crc files


def _load(table: str, partition_by: list[str], lookback: float | None) -> Job[..., DataFrame]:
    source = JdbcSource(
        connection=CONNECTION,
        table=table,
        watermark_column="id",
        watermark_lookback=lookback,
        watermark_key=["id"] if lookback else [],
    )

    @job(
        sources={"rows": source},
        sink=S3Sink("s3://lake/out", partition_by=partition_by, mode="append"),
    )
    def load(rows: DataFrame) -> DataFrame:
        return rows

    return load


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("partition_by", "lookback"),
    [([], None), (["day"], None), ([], 5.0)],
    ids=["unpartitioned", "partitioned", "lookback"],
)
def test_a_run_with_nothing_new_appends_no_file_and_records_the_run(
    *,
    spark: SparkSession,
    psql: Psql,
    pg_table: str,
    profile: LocalProfile,
    partition_by: list[str],
    lookback: float | None,
) -> None:
    psql(f"CREATE TABLE {pg_table} (id int PRIMARY KEY, day text)")
    psql(f"INSERT INTO {pg_table} SELECT i, 'd' || (i % 2) FROM generate_series(1, 10) i")
    load = _load(pg_table, partition_by, lookback)
    run_local(load, spark, profile, ["--JOB_RUN_ID", "jr_1"])
    files, marks = _data_files(profile), _state(profile, "rows")

    empty = run_local(load, spark, profile, ["--JOB_RUN_ID", "jr_2"])
    assert _data_files(profile) == files  # no 0-row file appended
    # Without a lookback nothing is committed; with one, the same mark (and window) again.
    assert empty.watermarks == {"rows": "10" if lookback else None}
    assert len(_state(profile, "rows")) == len(marks) + (1 if lookback else 0)
    assert _state(profile, "_batches") == ["jr_1.json", "jr_2.json"]
    assert _state(profile, "_publish") == []
    assert not (_root(profile) / "_glueprint_staging").exists()

    retry = run_local(load, spark, profile, ["--JOB_RUN_ID", "jr_2_attempt_1"])
    assert retry.replayed and retry.watermarks == empty.watermarks
    assert _data_files(profile) == files

    psql(f"INSERT INTO {pg_table} SELECT i, 'd' || (i % 2) FROM generate_series(11, 12) i")
    assert run_local(load, spark, profile, ["--JOB_RUN_ID", "jr_3"]).watermarks == {"rows": "12"}
    published = spark.read.parquet(profile.local_path("s3://lake/out")).collect()
    assert sorted(r.id for r in published) == list(range(1, 13))
    assert len(_data_files(profile)) > len(files)


def test_an_empty_overwrite_still_replaces_the_dataset(spark: SparkSession, tmp_path: Path) -> None:
    profile = local_profile(tmp_path, ["lake"])
    spark.createDataFrame([(1, "a")], "id INT, v STRING").write.parquet(
        profile.local_path("s3://lake/raw")
    )

    def copy_job(keep: bool) -> Job[..., DataFrame]:
        @job(sources={"raw": S3Source("s3://lake/raw")}, sink=S3Sink("s3://lake/out"))
        def copy(raw: DataFrame) -> DataFrame:
            return raw if keep else raw.where("false")

        return copy

    run_local(copy_job(True), spark, profile)
    run_local(copy_job(False), spark, profile)
    out = spark.read.parquet(profile.local_path("s3://lake/out"))
    assert out.count() == 0 and out.columns == ["id", "v"]  # replaced, schema kept
