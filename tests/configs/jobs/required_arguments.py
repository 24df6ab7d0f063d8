"""Test fixture job script (read with ast, never run): typed arguments, one of them required
and passed by no one (`data_bucket` is required too, but glueprint passes it to every job)."""

import dataclasses
import datetime as dt

from etl import S3Sink, S3Source, job


@dataclasses.dataclass(frozen=True)
class Args:
    data_bucket: str
    run_date: dt.date
    region: str = "eu-west-1"
    limit: int | None = None


@job(
    sources={"orders": S3Source("s3://${data_bucket}/raw/${run_date}/")},
    sink=S3Sink("s3://${data_bucket}/curated/orders/"),
    arguments=Args,
)
def curate(orders, args):  # type: ignore[no-untyped-def]
    return orders
