"""Buckets the stack does not own that the jobs read or write: an existing data lake, a landing
bucket another team fills, `storage.external_buckets`.

The stack creates nothing for such a bucket but the paths to it: the S3 gateway endpoint admits it
(reads only, or object reads and writes, as configured) and the job role gets the same S3 actions
on it, plus use of the bucket's KMS key through S3 only. The bucket's own policy and key policy
belong to its owner, who must admit the job role too.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field

from generator.config.errors import Problem
from generator.config.external import KmsKeyArn, arn_region
from generator.config.strict import STRICT

if TYPE_CHECKING:
    from generator.config.schema import GlueprintConfig

BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
"""S3's rule for general purpose bucket names: 3-63 characters of a-z, 0-9, '.' and '-',
starting and ending with a letter or digit."""
RESERVED_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
RESERVED_SUFFIXES = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
PLATFORM_PURPOSES = ("scripts", "data", "temp", "access-logs")
"""The purposes in the stack's default bucket names, `<project>-<purpose>-<account id>`."""


def bucket_name_problem(name: str) -> str | None:
    """Why S3 would never have created a bucket called `name`, or None."""
    if not BUCKET_NAME.fullmatch(name):
        return (
            "not an S3 bucket name: 3-63 characters of lower-case letters, digits, '.' and '-', "
            "starting and ending with a letter or digit"
        )
    if ".." in name:
        return "two adjacent periods, which S3 bucket names never have"
    if re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name):
        return "formatted as an IP address, which S3 bucket names never are"
    reserved = [p for p in RESERVED_PREFIXES if name.startswith(p)]
    reserved += [s for s in RESERVED_SUFFIXES if name.endswith(s)]
    if reserved:
        return (
            f"S3 reserves bucket names with {reserved[0]!r} (an access point alias or another "
            "bucket type): pick another name"
        )
    return None


def _bucket_name(name: str) -> str:
    problem = bucket_name_problem(name)
    if problem:
        raise ValueError(f"{problem}; give the name of the existing bucket, not an ARN or URI")
    return name


ExternalBucketName = Annotated[
    str,
    AfterValidator(_bucket_name),
    Field(description="Name of the existing bucket (not its ARN or s3:// URI)."),
]


class ExternalBucketConfig(BaseModel):
    """A bucket the stack does not own, in the stack's region, that jobs read or write."""

    model_config = STRICT

    name: ExternalBucketName
    access: Literal["read", "read_write"]
    """`read`: get and list objects. `read_write`: also put, delete and multipart uploads; never
    the bucket's configuration, policy or replication."""
    kms_key_arn: KmsKeyArn | None = None
    """ARN of the customer managed KMS key the bucket's objects are encrypted with (its default
    encryption); the job role may use it through S3 only. Omit it for SSE-S3 or the AWS
    managed key."""


def external_bucket_problems(config: GlueprintConfig) -> Iterator[Problem]:
    """What AWS would refuse, or what would confuse the stack's own buckets with external ones."""
    buckets = config.storage.external_buckets
    for name, n in Counter(bucket.name for bucket in buckets).items():
        if n > 1:
            yield Problem(
                "storage.external_buckets",
                f"bucket {name!r} is listed {n} times",
                "list each bucket once, with the widest access the jobs need",
            )
    own = _platform_bucket_names(config)
    default = re.compile(
        rf"{re.escape(config.project)}-({'|'.join(PLATFORM_PURPOSES)})-[0-9]{{12}}"
    )
    for i, bucket in enumerate(buckets):
        path = f"storage.external_buckets[{i}]"
        if bucket.name in own or default.fullmatch(bucket.name):
            yield Problem(
                f"{path}.name",
                f"{bucket.name!r} is one of the stack's own buckets, which the jobs already use",
                "remove it from external_buckets",
            )
        if bucket.kms_key_arn is not None and arn_region(bucket.kms_key_arn) != config.region:
            yield Problem(
                f"{path}.kms_key_arn",
                f"the key is in {arn_region(bucket.kms_key_arn)}, but the S3 gateway endpoint "
                f"reaches buckets of {config.region} only, whose keys are in {config.region}",
                "give the key of the bucket's default encryption (`aws s3api "
                "get-bucket-encryption`), in the stack's region",
            )


def _platform_bucket_names(config: GlueprintConfig) -> set[str]:
    storage = config.storage
    named = (storage.scripts_bucket, storage.data_bucket, storage.temp_bucket, storage.logs_bucket)
    return {name for name in named if name is not None}
