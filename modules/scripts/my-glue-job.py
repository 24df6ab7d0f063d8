"""Glue job my-glue-job: orders from PostgreSQL, enriched with customers from S3.

Reads the `public.orders` table through the Glue connection `my-rds-vpc-connection` (URL and
credentials come from the connection and its Secrets Manager secret, never from arguments), in
parallel on its primary key; joins the customers dataset (parquet) from the data bucket; writes
the enriched orders as parquet partitioned by order date. A rerun replaces the partitions it
writes; a failed run leaves the published data as it was.

Run locally:  glueprint run jobs/my_glue_job.py --local --profile glueprint.local.toml \\
                  --data_bucket lake
Test:         pytest tests/test_my_glue_job.py
"""

from __future__ import annotations

import dataclasses

from pyspark.sql import DataFrame
from pyspark.sql import functions as fn

from etl import JdbcSource, S3Sink, S3Source, job


@dataclasses.dataclass(frozen=True)
class Args:
    data_bucket: str  # set by glueprint on Glue (--data_bucket); locally a bucket in the profile
    source_table: str = "public.orders"


@job(
    name="my-glue-job",
    arguments=Args,
    sources={
        "orders": JdbcSource(connection="my-rds-vpc-connection", table="${source_table}"),
        "customers": S3Source("s3://${data_bucket}/raw/customers/", format="parquet"),
    },
    sink=S3Sink("s3://${data_bucket}/curated/orders/", partition_by=["order_date"]),
)
def my_glue_job(orders: DataFrame, customers: DataFrame) -> DataFrame:
    """Orders with their customer's country, partitioned by the day they were placed."""
    return orders.join(customers.select("customer_id", "country"), "customer_id", "left").select(
        "order_id",
        "customer_id",
        "country",
        "amount",
        fn.to_date("ordered_at").alias("order_date"),
    )


if __name__ == "__main__":
    my_glue_job.main()
