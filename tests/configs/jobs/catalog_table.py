"""Test fixture job script (read with ast, never run): registers its output in the catalog,
under a database and table name with hyphens (Glue allows them)."""

from etl import S3Sink, S3Source, job


@job(
    sources={"orders": S3Source("s3://lake/raw/orders/")},
    sink=S3Sink("s3://lake/curated/orders/", catalog_table="sales-db.daily-orders"),
)
def curate(orders):  # type: ignore[no-untyped-def]
    return orders
