"""Suite 2, framework overhead: one job (parquet -> transform -> parquet partitioned by date)
run through etl's ``@job`` API against the same transform written directly in PySpark.

Both write the same output with the same semantics: each written date partition replaces the
published one and other partitions are kept (etl: staging + publish; hand-written: Spark's
dynamic partition overwrite).  Both run in the same SparkSession.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from pyspark.sql import DataFrame
from pyspark.sql import functions as fn

from bench.common import Settings
from bench.timing import Section, Target, console, measure, ratio, seconds
from etl import S3Sink, S3Source, job

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

DAYS = 31


@dataclasses.dataclass(frozen=True)
class Args:
    min_amount: float = 10.0


def transform(orders: DataFrame, min_amount: float) -> DataFrame:
    """A typical curation step: filter, derive columns, no shuffle."""
    return (
        orders.where(fn.col("amount") >= min_amount)
        .withColumn("amount_eur", fn.round(fn.col("amount") * 0.92, 2))
        .withColumn(
            "size",
            fn.when(fn.col("amount") >= 500, "large")
            .when(fn.col("amount") >= 100, "medium")
            .otherwise("small"),
        )
        .withColumn("status", fn.upper("status"))
    )


@job(
    name="bench-curate-orders",
    sources={"orders": S3Source("s3://bench-raw/orders/", format="parquet")},
    sink=S3Sink("s3://bench-curated/orders/", partition_by=["order_date"]),
    arguments=Args,
)
def curate_orders(orders: DataFrame, args: Args) -> DataFrame:
    return transform(orders, args.min_amount)


def write_input(spark: SparkSession, target: Path, rows: int) -> None:
    """``rows`` orders over ``DAYS`` dates as parquet (8 files)."""
    if (target / "_SUCCESS").is_file():
        return
    console.log(f"overhead: writing {rows:,} input rows to {target}")
    (
        spark.range(1, rows + 1, numPartitions=8)
        .select(
            fn.col("id").alias("order_id"),
            ((fn.col("id") * 7919) % 100_000).cast("int").alias("customer_id"),
            (((fn.col("id") * 31) % 100_000) / 100).cast("decimal(10,2)").alias("amount"),
            fn.element_at(
                fn.array(*[fn.lit(s) for s in ("new", "paid", "shipped", "returned")]),
                (fn.col("id") % 4 + 1).cast("int"),
            ).alias("status"),
            fn.date_add(fn.lit("2024-01-01").cast("date"), (fn.col("id") % DAYS).cast("int")).alias(
                "order_date"
            ),
        )
        .write.mode("overwrite")
        .parquet(str(target))
    )


def run(settings: Settings, spark: SparkSession) -> Section:
    from etl.testing import local_profile, run_local

    root = settings.work_dir / "overhead"
    raw = root / "bench-raw" / "orders"
    write_input(spark, raw, settings.overhead_rows)
    profile = local_profile(root, buckets=["bench-raw", "bench-curated", "bench-hand"])
    hand_out = root / "bench-hand" / "orders"
    shutil.rmtree(root / "bench-curated" / "orders", ignore_errors=True)
    shutil.rmtree(hand_out, ignore_errors=True)

    def with_etl() -> None:
        run_local(curate_orders, spark, profile, ["--min_amount", "10"])

    def hand_written() -> None:
        out = transform(spark.read.parquet(raw.as_uri()), 10.0)
        (
            out.write.mode("overwrite")
            .option("partitionOverwriteMode", "dynamic")
            .partitionBy("order_date")
            .parquet(hand_out.as_uri())
        )

    etl_name = "etl @job (run_local: read, transform, stage, publish)"
    hand_name = "hand-written PySpark (dynamic partition overwrite)"
    results = measure(
        {hand_name: hand_written, etl_name: with_etl},
        warmup=settings.warmup,
        repeats=settings.repeats,
        label="overhead",
    )
    _check_same_output(spark, root / "bench-curated" / "orders", hand_out)
    base = results[hand_name].median
    rows = settings.overhead_rows
    section = Section(
        f"Framework overhead: {rows:,} parquet rows -> filter/derive -> parquet partitioned "
        f"into {DAYS} dates (median of {settings.repeats}, after {settings.warmup} warm-up)",
        ["variant", "median s", "min-max s", "rows/s", "time vs hand-written"],
    )
    for name, timing in results.items():
        section.rows.append(
            [
                name,
                seconds(timing.median),
                timing.spread,
                f"{rows / timing.median:,.0f}",
                ratio(timing.median, base),
            ]
        )
    overhead = results[etl_name].median / base - 1
    section.targets.append(
        Target(
            "etl <= 3 % slower than hand-written",
            overhead <= 0.03 if not settings.smoke else None,
            f"({overhead:+.1%})",
        )
    )
    return section


def _check_same_output(spark: SparkSession, etl_out: Path, hand_out: Path) -> None:
    left = spark.read.parquet(etl_out.as_uri())
    right = spark.read.parquet(hand_out.as_uri())
    if left.count() != right.count() or left.exceptAll(right).limit(1).count():
        raise AssertionError("etl and hand-written outputs differ")
