"""glueprint etl: write a Glue job once, test its transform in milliseconds, run it locally,
deploy the same file to Glue.

Importing etl needs only the standard library and boto3; pyspark is imported when a job runs
and ``awsglue`` only on Glue.
"""

from etl.catalog_source import CatalogSource
from etl.connections import JdbcConnection
from etl.errors import (
    ArgumentError,
    ConnectionResolutionError,
    DataQualityError,
    EtlError,
    JdbcConnectError,
    OptionError,
    SchemaMismatchError,
    StateError,
)
from etl.job import Job, JobResult, job
from etl.profile import LocalProfile
from etl.quarantine import Quarantine, SourceStats
from etl.retry import RetryPolicy
from etl.runtime import GlueRuntime, Runtime, SparkRuntime
from etl.sinks import S3Sink
from etl.sources import JdbcSource, S3Source

__all__ = [
    "ArgumentError",
    "CatalogSource",
    "ConnectionResolutionError",
    "DataQualityError",
    "EtlError",
    "GlueRuntime",
    "JdbcConnectError",
    "JdbcConnection",
    "JdbcSource",
    "Job",
    "JobResult",
    "LocalProfile",
    "OptionError",
    "Quarantine",
    "RetryPolicy",
    "Runtime",
    "S3Sink",
    "S3Source",
    "SchemaMismatchError",
    "SourceStats",
    "SparkRuntime",
    "StateError",
    "job",
]
