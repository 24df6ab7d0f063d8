"""Test fixture job script (read with ast, never run): one incremental JDBC source."""

from etl import JdbcSource, S3Sink, job


@job(
    sources={"orders": JdbcSource(connection="db", table="orders", watermark_column="id")},
    sink=S3Sink("s3://lake/orders", mode="append"),
)
def load(orders):  # type: ignore[no-untyped-def]
    return orders
