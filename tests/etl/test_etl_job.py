"""The job model: declarations are checked at import time; the transform stays a function."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as fn

from etl import OptionError, S3Sink, S3Source, job
from etl.testing import local_profile, run_local

SINK = S3Sink("s3://out/orders/")


@dataclasses.dataclass(frozen=True)
class Args:
    min_amount: float = 0.0


@job(sources={"orders": S3Source("s3://in/orders/")}, sink=SINK, arguments=Args)
def big_orders(orders: DataFrame, args: Args) -> DataFrame:
    return orders.where(fn.col("amount") >= args.min_amount)


@pytest.mark.spark
def test_job_is_callable_as_its_pure_transform(spark: SparkSession) -> None:
    orders = spark.createDataFrame([(1, 5.0), (2, 50.0)], "id INT, amount DOUBLE")
    result = big_orders(orders=orders, args=Args(min_amount=10.0))
    assert_df_equality(result, spark.createDataFrame([(2, 50.0)], "id INT, amount DOUBLE"))


def test_parameter_not_matching_a_source_suggests_the_source() -> None:
    with pytest.raises(
        OptionError, match=r"parameter 'order' is not a source.*did you mean 'orders'"
    ):

        @job(sources={"orders": S3Source("s3://b/o")}, sink=SINK)
        def bad(order: DataFrame) -> DataFrame:
            return order


def test_source_without_parameter_is_reported() -> None:
    with pytest.raises(OptionError, match=r"add parameter.*customers"):

        @job(sources={"orders": S3Source("s3://b/o"), "customers": S3Source("s3://b/c")}, sink=SINK)
        def bad(orders: DataFrame) -> DataFrame:
            return orders


def test_args_parameter_requires_declared_arguments() -> None:
    with pytest.raises(OptionError, match="needs job\\(arguments="):

        @job(sources={"orders": S3Source("s3://b/o")}, sink=SINK)
        def bad(orders: DataFrame, args: Any) -> DataFrame:
            return orders


@pytest.mark.parametrize("kwargs", [{}, {"sink": SINK, "sinks": {"a": SINK}}])
def test_exactly_one_of_sink_or_sinks(kwargs: dict[str, Any]) -> None:
    with pytest.raises(OptionError, match="exactly one of 'sink' or 'sinks'"):
        job(sources={}, **kwargs)


@pytest.mark.spark
def test_multiple_sinks_need_a_dict_with_their_names(spark: SparkSession, tmp_path: Path) -> None:
    profile = local_profile(tmp_path, ["in", "out"])
    spark.createDataFrame([(1, 5.0)], "id INT, amount DOUBLE").write.parquet(
        profile.local_path("s3://in/orders")
    )

    @job(
        sources={"orders": S3Source("s3://in/orders")},
        sinks={"small": S3Sink("s3://out/small"), "large": S3Sink("s3://out/large")},
    )
    def split(orders: DataFrame) -> dict[str, DataFrame]:
        return {"small": orders.where("amount < 10"), "larg": orders.where("amount >= 10")}

    with pytest.raises(OptionError, match=r"dict with keys \['large', 'small'\]"):
        run_local(split, spark, profile)
    # Nothing was published: the transform's output was rejected before any write (the run's
    # lease came and went; local disk may keep the empty directories S3 would not have).
    assert not [p for p in (tmp_path / "out").rglob("*") if p.is_file()]


@pytest.mark.spark
def test_arguments_fill_placeholders_and_reach_the_transform(
    spark: SparkSession, tmp_path: Path
) -> None:
    profile = local_profile(tmp_path, ["in", "out"])
    frame = spark.createDataFrame(
        [(1, 5.0, "a"), (2, 50.0, "b")], "id INT, amount DOUBLE, region STRING"
    )
    frame.write.partitionBy("region").parquet(profile.local_path("s3://in/orders"))

    @dataclasses.dataclass(frozen=True)
    class RegionArgs:
        region: str
        min_amount: float = 0.0

    @job(
        sources={"orders": S3Source("s3://in/orders", partition_filter="region = '${region}'")},
        sink=S3Sink("s3://out/${region}/orders"),
        arguments=RegionArgs,
    )
    def by_region(orders: DataFrame, args: RegionArgs) -> DataFrame:
        return orders.where(fn.col("amount") >= args.min_amount)

    result = run_local(by_region, spark, profile, ["--region", "b", "--min_amount", "1"])

    assert result.outputs["output"].endswith("out/b/orders")
    written = spark.read.parquet(profile.local_path("s3://out/b/orders"))
    assert [r.id for r in written.collect()] == [2]
