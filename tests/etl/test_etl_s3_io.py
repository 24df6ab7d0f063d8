"""S3Source/S3Sink against local directories mapped by a profile (S3 stand-in)."""

from __future__ import annotations

from pathlib import Path

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as fn

from etl import S3Sink, S3Source, SchemaMismatchError, SparkRuntime, job
from etl.profile import LocalProfile
from etl.sinks import STAGING_DIR
from etl.testing import local_profile, run_local

pytestmark = pytest.mark.spark

SCHEMA = "id INT, amount DOUBLE, dt STRING"


@pytest.fixture
def profile(tmp_path: Path) -> LocalProfile:
    return local_profile(tmp_path, ["lake"])


def _runtime(spark: SparkSession, profile: LocalProfile) -> SparkRuntime:
    runtime = SparkRuntime.local(profile, spark=spark)
    runtime.start("test", [], {})
    return runtime


def test_partition_filter_is_pushed_down_to_the_file_listing(
    spark: SparkSession, profile: LocalProfile
) -> None:
    rows = [(1, 1.0, "2024-01-01"), (2, 2.0, "2024-01-02"), (3, 3.0, "2024-01-02")]
    spark.createDataFrame(rows, SCHEMA).write.partitionBy("dt").parquet(
        profile.local_path("s3://lake/raw")
    )

    source = S3Source("s3://lake/raw", partition_filter="dt = '2024-01-02'")
    frame = source.read(_runtime(spark, profile))

    plan = frame._jdf.queryExecution().executedPlan().toString()
    assert "PartitionFilters: [isnotnull(dt" in plan and "2024-01-02" in plan
    assert sorted(r.id for r in frame.collect()) == [2, 3]


def test_csv_is_read_with_the_declared_schema(
    spark: SparkSession, profile: LocalProfile, tmp_path: Path
) -> None:
    (tmp_path / "lake" / "csv").mkdir()
    (tmp_path / "lake" / "csv" / "a.csv").write_text("id,amount,dt\n1,2.5,2024-01-01\n")
    frame = S3Source("s3://lake/csv/", format="csv", schema=SCHEMA).read(_runtime(spark, profile))
    assert_df_equality(frame, spark.createDataFrame([(1, 2.5, "2024-01-01")], SCHEMA))


def test_parquet_schema_mismatch_lists_every_difference(
    spark: SparkSession, profile: LocalProfile
) -> None:
    spark.createDataFrame([(1, "x")], "id LONG, name STRING").write.parquet(
        profile.local_path("s3://lake/p")
    )
    source = S3Source("s3://lake/p", schema="id INT, name STRING, amount DOUBLE")
    with pytest.raises(
        SchemaMismatchError, match="column id is bigint, expected int; missing column amount"
    ):
        source.read(_runtime(spark, profile))


def test_parquet_schema_selects_declared_columns(
    spark: SparkSession, profile: LocalProfile
) -> None:
    spark.createDataFrame([(1, "x", 2.0)], "id INT, name STRING, extra DOUBLE").write.parquet(
        profile.local_path("s3://lake/q")
    )
    frame = S3Source("s3://lake/q", schema="name STRING, id INT").read(_runtime(spark, profile))
    assert frame.columns == ["name", "id"]


def _copy_job(partition_by: list[str]) -> object:
    @job(
        sources={"raw": S3Source("s3://lake/raw")},
        sink=S3Sink("s3://lake/out", partition_by=partition_by),
    )
    def copy(raw: DataFrame) -> DataFrame:
        return raw

    return copy


def _write_raw(
    spark: SparkSession, profile: LocalProfile, rows: list[tuple[int, float, str]]
) -> None:
    spark.createDataFrame(rows, SCHEMA).write.mode("overwrite").parquet(
        profile.local_path("s3://lake/raw")
    )


def _published(spark: SparkSession, profile: LocalProfile) -> list[tuple[int, str]]:
    frame = spark.read.parquet(profile.local_path("s3://lake/out"))
    return sorted((r.id, r.dt) for r in frame.collect())


def test_rerun_replaces_partitions_instead_of_duplicating(
    spark: SparkSession, profile: LocalProfile
) -> None:
    copy = _copy_job(["dt"])
    _write_raw(spark, profile, [(1, 1.0, "d1"), (2, 2.0, "d2")])
    run_local(copy, spark, profile)  # type: ignore[arg-type]
    run_local(copy, spark, profile)  # type: ignore[arg-type]
    assert _published(spark, profile) == [(1, "d1"), (2, "d2")]

    # Only d2 arrives again, corrected: d2 is replaced, d1 is kept.
    _write_raw(spark, profile, [(20, 2.0, "d2")])
    run_local(copy, spark, profile)  # type: ignore[arg-type]
    assert _published(spark, profile) == [(1, "d1"), (20, "d2")]


def test_unpartitioned_sink_replaces_the_dataset(
    spark: SparkSession, profile: LocalProfile
) -> None:
    copy = _copy_job([])
    _write_raw(spark, profile, [(1, 1.0, "d1"), (2, 2.0, "d2")])
    run_local(copy, spark, profile)  # type: ignore[arg-type]
    _write_raw(spark, profile, [(3, 3.0, "d3")])
    run_local(copy, spark, profile)  # type: ignore[arg-type]
    assert _published(spark, profile) == [(3, "d3")]


@pytest.mark.parametrize("partition_by", [["dt"], []])
def test_failed_write_leaves_published_output_untouched(
    spark: SparkSession, profile: LocalProfile, tmp_path: Path, partition_by: list[str]
) -> None:
    _write_raw(spark, profile, [(1, 1.0, "d1")])
    run_local(_copy_job(partition_by), spark, profile)  # type: ignore[arg-type]
    before = _published(spark, profile)

    @job(
        sources={"raw": S3Source("s3://lake/raw")},
        sink=S3Sink("s3://lake/out", partition_by=partition_by),
    )
    def explode(raw: DataFrame) -> DataFrame:
        # Fails inside the Spark write (lazily), after some output may already exist.
        return raw.withColumn("id", fn.assert_true(fn.lit(False), "boom").cast("int"))

    with pytest.raises(Exception, match="boom"):
        run_local(explode, spark, profile)
    assert _published(spark, profile) == before
    assert not (tmp_path / "lake" / "out" / STAGING_DIR).exists()


def test_catalog_table_is_registered_with_partitions(
    spark: SparkSession, profile: LocalProfile
) -> None:
    spark.sql("CREATE DATABASE IF NOT EXISTS etl_catalog_test")

    @job(
        sources={"raw": S3Source("s3://lake/raw")},
        sink=S3Sink("s3://lake/cat", partition_by=["dt"], catalog_table="etl_catalog_test.orders"),
    )
    def register(raw: DataFrame) -> DataFrame:
        return raw

    _write_raw(spark, profile, [(1, 1.0, "d1")])
    run_local(register, spark, profile)
    _write_raw(spark, profile, [(2, 2.0, "d2")])
    run_local(register, spark, profile)

    rows = spark.table("etl_catalog_test.orders").collect()
    assert sorted((r.id, r.dt) for r in rows) == [(1, "d1"), (2, "d2")]
    partitions = [r[0] for r in spark.sql("SHOW PARTITIONS etl_catalog_test.orders").collect()]
    assert sorted(partitions) == ["dt=d1", "dt=d2"]
