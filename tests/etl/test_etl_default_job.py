"""The built-in default job (`my-glue-job`, also what `glueprint init` writes) end to end:
its own unit test passes, and it runs locally against the real PostgreSQL and local "S3"
directories, joining a JDBC table read in parallel with S3 parquet into partitioned parquet."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pytest
from chispa import assert_df_equality
from pyspark.sql import SparkSession
from pyspark.sql import functions as fn

from etl import LocalProfile
from etl.testing import load_job, run_local
from generator.config.loader import default_config_dir

DEFAULTS = default_config_dir()
ROWS = 200_000


def test_the_default_jobs_unit_test_passes(spark: SparkSession) -> None:
    spec = importlib.util.spec_from_file_location(
        "default_job_test", DEFAULTS / "tests" / "test_my_glue_job.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.test_orders_get_their_customers_country_and_a_date(spark)


@pytest.mark.postgres
def test_default_job_joins_jdbc_and_s3_into_partitioned_parquet(
    spark: SparkSession,
    psql: Callable[[str], str],
    pg_table: str,
    etl_profile: Callable[..., LocalProfile],
) -> None:
    psql(
        f"CREATE TABLE {pg_table} (order_id int PRIMARY KEY, customer_id int NOT NULL, "
        "amount numeric(10,2) NOT NULL, ordered_at timestamp NOT NULL);"
        f"INSERT INTO {pg_table} SELECT i, i % 1000, (i % 997) / 10.0, "
        f"timestamp '2026-01-01' + (i % 30) * interval '1 day' + (i % 86400) * interval '1 second' "
        f"FROM generate_series(1, {ROWS}) i"
    )
    profile = etl_profile("lake")
    lake = Path(profile.paths["s3://lake"])
    countries = ["DE", "FR", "JP"]
    customers = spark.range(0, 1000).select(
        fn.col("id").cast("int").alias("customer_id"),
        fn.concat(fn.lit("customer "), fn.col("id")).alias("name"),
        fn.element_at(fn.array(*map(fn.lit, countries)), (fn.col("id") % 3 + 1).cast("int")).alias(
            "country"
        ),
    )
    customers.write.parquet(str(lake / "raw" / "customers"))

    job = load_job(DEFAULTS / "jobs" / "my_glue_job.py")
    run_local(job, spark, profile, ["--data_bucket", "lake", "--source_table", pg_table])

    out_dir = lake / "curated" / "orders"
    assert len(list(out_dir.glob("order_date=*"))) == 30
    written = spark.read.parquet(str(out_dir))
    assert written.count() == ROWS
    per_day = written.groupBy("order_date", "country").agg(
        fn.count("*").alias("orders"), fn.sum("amount").alias("amount")
    )
    # The same figures computed by PostgreSQL itself, independently of Spark.
    rows = psql(
        f"SELECT ordered_at::date, (ARRAY['DE','FR','JP'])[customer_id % 3 + 1], count(*), "
        f"sum(amount) FROM {pg_table} GROUP BY 1, 2"
    ).splitlines()
    expected = spark.createDataFrame(
        [(r.split("|")[0], r.split("|")[1], int(r.split("|")[2]), r.split("|")[3]) for r in rows],
        "d STRING, country STRING, orders LONG, amount STRING",
    ).select(
        fn.to_date("d").alias("order_date"),
        "country",
        "orders",
        fn.col("amount").cast("decimal(20,2)").alias("amount"),
    )
    assert_df_equality(per_day, expected, ignore_row_order=True, ignore_nullable=True)
