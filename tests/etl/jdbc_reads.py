"""What the JDBC read tests of every database share: start a local runtime for a reader's
profile, read one source through the profile's connection, and look at what was read (the rows,
the rows per partition, the planner's warnings)."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from conftest import CONNECTION
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as fn

from etl import JdbcSource, SparkRuntime
from etl.profile import LocalProfile


def local_runtime(spark: SparkSession, profile: LocalProfile) -> SparkRuntime:
    """A started local runtime whose connections are the profile's."""
    runtime = SparkRuntime.local(profile, spark=spark)
    runtime.start("test", [], {})
    return runtime


def read(spark: SparkSession, profile: LocalProfile, **source: Any) -> DataFrame:
    """``JdbcSource(**source)`` on the profile's test connection."""
    return JdbcSource(connection=CONNECTION, **source).read(local_runtime(spark, profile))


def assert_rows(frame: DataFrame, expected: list[tuple[Any, ...]]) -> None:
    """The frame holds exactly ``expected``, in any order."""
    assert sorted(map(tuple, frame.collect()), key=repr) == sorted(expected, key=repr)


def partition_sizes(frame: DataFrame) -> list[int]:
    """Rows per partition actually read (empty partitions included)."""
    counts = dict(frame.groupBy(fn.spark_partition_id()).count().collect())
    return [counts.get(i, 0) for i in range(frame.rdd.getNumPartitions())]


def planner_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    """The WARNs of the read planner (a serial read, a fallback) captured so far."""
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == "etl.partitioning" and r.levelno == logging.WARNING
    ]
