"""Helpers for testing etl jobs; the ``spark`` fixture lives in :mod:`etl.testing.plugin`.

Unit-test a transform by calling the job like the function it wraps::

    result = my_job(orders=spark.createDataFrame(rows, "id INT, amount DOUBLE"))

Run a whole job against local files and a real database with :func:`run_local`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from etl.job import Job, JobResult
from etl.loading import load_job
from etl.profile import LocalConnection, LocalProfile
from etl.runtime import SparkRuntime

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

__all__ = ["load_job", "local_profile", "run_local"]


def local_profile(
    root: Path,
    buckets: Iterable[str] = (),
    connections: Mapping[str, LocalConnection] | None = None,
) -> LocalProfile:
    """A profile mapping each ``s3://bucket`` to ``root/bucket`` (created), e.g. ``tmp_path``."""
    paths = {}
    for bucket in buckets:
        (root / bucket).mkdir(parents=True, exist_ok=True)
        paths[f"s3://{bucket}"] = (root / bucket).resolve()
    return LocalProfile(connections=dict(connections or {}), paths=paths)


def run_local(
    job: Job[..., Any],
    spark: SparkSession,
    profile: LocalProfile | None = None,
    argv: Sequence[str] = (),
) -> JobResult:
    """Run ``job`` end to end on ``spark`` with ``profile`` (the local runtime)."""
    return job.run(SparkRuntime.local(profile, spark=spark), argv)
