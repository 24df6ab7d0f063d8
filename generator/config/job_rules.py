"""Rules of the `jobs:` section: scripts (and what their code needs, in `code_rules`),
connections, capacity, arguments and wheels.

Each rule returns `Problem`s naming the field, the AWS failure it prevents, and the fix.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from generator.config.catalog import (
    FLEX_WORKER_TYPES,
    PYTHONSHELL_GLUE_VERSION,
    RESERVED_JOB_ARGUMENTS,
    WORKER_TYPES,
    version_key,
)
from generator.config.code_rules import code_problems
from generator.config.errors import Problem
from generator.config.schema import GlueprintConfig, JobConfig
from generator.config.secrets import find_secret


def job_problems(config: GlueprintConfig, base_dir: Path) -> Iterator[Problem]:
    """Problems of the `jobs:` section: scripts, connections, capacity, arguments, wheels."""
    yield from unique_names([j.name for j in config.jobs], "job", "jobs")
    known = {c.name for c in config.connections}
    for i, job in enumerate(config.jobs):
        path = f"jobs[{i}]"
        yield from _script(job, base_dir, path)
        yield from code_problems(job, base_dir, path)
        yield from _job_connections(config, job, known, path)
        yield from _job_capacity(job, path)
        yield from _job_timeout(job, path)
        yield from _job_arguments(job, path)
        yield from _python_wheels(job, base_dir, path)
    yield from _wheel_names(config)


def _script(job: JobConfig, base_dir: Path, path: str) -> Iterator[Problem]:
    script = base_dir / job.script
    if job.script.suffix != ".py":
        yield Problem(
            f"{path}.script", f"{job.script} is not a .py file", "point at the job's Python script"
        )
    elif not script.is_file():
        yield Problem(
            f"{path}.script",
            f"{script} does not exist",
            "create it (glueprint new-job) or fix the path (relative to the config)",
        )


def _job_connections(
    config: GlueprintConfig, job: JobConfig, known: set[str], path: str
) -> Iterator[Problem]:
    used = config.job_connections(job)
    if not used:
        yield Problem(
            f"{path}.connections",
            f"job {job.name!r} has no connection, so it would run "
            "outside the VPC on AWS-managed networking",
            "define a NETWORK connection under `connections:` and list it here",
        )
    for k, name in enumerate(used):
        if name not in known:
            hint = f" (known: {', '.join(sorted(known))})" if known else ""
            yield Problem(
                f"{path}.connections[{k}]",
                f"connection {name!r} is not defined{hint}",
                "add it under `connections:` or fix the name",
            )
    for name, n in Counter(used).items():
        if n > 1:
            yield Problem(
                f"{path}.connections", f"{name!r} is listed {n} times", "list each connection once"
            )


def _job_timeout(job: JobConfig, path: str) -> Iterator[Problem]:
    """Only a stream runs without a timeout (its default); a batch job needs a finite one."""
    if job.timeout_minutes is None and job.command != "gluestreaming":
        yield Problem(
            f"{path}.timeout_minutes",
            f"null (no timeout) is for streaming jobs; Glue would stop this {job.command} job "
            "only after its 48-hour default",
            "set a number of minutes, e.g. 60",
        )


def _job_capacity(job: JobConfig, path: str) -> Iterator[Problem]:
    if not job.is_spark:
        if job.worker_type is not None or job.workers is not None:
            field = "worker_type" if job.worker_type is not None else "workers"
            yield Problem(
                f"{path}.{field}",
                "Python shell jobs take no workers (AWS: 'Worker Type "
                "is not supported for Job Command pythonshell')",
                "remove it; size the job with max_capacity (0.0625 or 1.0)",
            )
        if job.max_capacity not in (None, 0.0625, 1.0):
            yield Problem(
                f"{path}.max_capacity",
                f"{job.max_capacity} DPU is not offered for Python shell jobs",
                "use 0.0625 or 1.0",
            )
        if job.glue_version != PYTHONSHELL_GLUE_VERSION:
            yield Problem(
                f"{path}.glue_version",
                f"Python shell jobs run only on Glue "
                f"{PYTHONSHELL_GLUE_VERSION}, not {job.glue_version}",
                f'set glue_version: "{PYTHONSHELL_GLUE_VERSION}" or use glueetl',
            )
        if job.execution_class == "FLEX":
            yield Problem(
                f"{path}.execution_class", "FLEX is only for glueetl jobs", "use STANDARD"
            )
        if job.bookmarks:
            yield Problem(
                f"{path}.bookmarks",
                "Glue bookmarks work only for glueetl jobs",
                "set bookmarks: false",
            )
        return
    if job.max_capacity is not None:
        yield Problem(
            f"{path}.max_capacity",
            "max_capacity is for Python shell jobs; Spark jobs "
            "are sized by worker_type and workers",
            "remove max_capacity",
        )
    worker = WORKER_TYPES.get(job.worker_type or "")
    if worker is None:
        yield Problem(
            f"{path}.worker_type",
            f"unknown worker type {job.worker_type!r}",
            f"use one of {', '.join(WORKER_TYPES)}",
        )
        return
    if job.command not in worker.commands:
        yield Problem(
            f"{path}.worker_type",
            f"{worker.name} does not run {job.command} jobs",
            f"use a worker type for {job.command}, e.g. G.1X",
        )
    if version_key(job.glue_version) < version_key(worker.min_glue_version):
        yield Problem(
            f"{path}.worker_type",
            f"{worker.name} needs Glue {worker.min_glue_version} or later, not {job.glue_version}",
            f"raise glue_version to {worker.min_glue_version}+ or use G.1X/G.2X",
        )
    if job.workers is not None and job.workers < 2:
        yield Problem(
            f"{path}.workers",
            "Spark jobs need at least 2 workers (1 driver + 1 executor)",
            "set workers: 2 or more",
        )
    if job.execution_class == "FLEX":
        if job.command != "glueetl":
            yield Problem(
                f"{path}.execution_class",
                "FLEX is only for glueetl jobs",
                "use STANDARD for streaming jobs",
            )
        elif job.worker_type not in FLEX_WORKER_TYPES:
            yield Problem(
                f"{path}.execution_class",
                f"FLEX runs only on {'/'.join(FLEX_WORKER_TYPES)}, not {job.worker_type}",
                "use worker_type G.1X or G.2X, or execution_class STANDARD",
            )
    if job.command == "gluestreaming" and job.bookmarks:
        yield Problem(
            f"{path}.bookmarks",
            "streaming jobs keep state in Spark checkpoints; Glue bookmarks do not apply",
            "set bookmarks: false",
        )


def modules_from_pypi(value: str) -> list[str]:
    """Entries of --additional-python-modules that pip would fetch from an index (not S3)."""
    return [m.strip() for m in value.split(",") if m.strip() and not m.strip().startswith("s3://")]


def _job_arguments(job: JobConfig, path: str) -> Iterator[Problem]:
    for key, value in job.arguments.items():
        where = f"{path}.arguments.{key}"
        if key == "--additional-python-modules" and modules_from_pypi(value):
            yield Problem(
                where,
                f"{', '.join(modules_from_pypi(value))} would be fetched from PyPI, which the VPC "
                "cannot reach (no internet path): the job would fail at start",
                "download the wheels (pip download --only-binary=:all: --python-version "
                "<Glue's Python> ...) and list them in python_wheels",
            )
        elif key in RESERVED_JOB_ARGUMENTS:
            yield Problem(
                where,
                f"{key} is set by glueprint from the job's typed fields",
                "use the job field instead (bookmarks, continuous_logging, metrics, "
                "catalog, python_wheels) or a different argument name",
            )
        secret = find_secret(key, value)
        if secret is not None:
            yield Problem(where, secret.what, secret.fix)


WHEEL_NAME = re.compile(r"^[A-Za-z0-9_.+-]+\.whl$")
"""A wheel file name (PEP 427); it becomes an S3 key and a job argument, so nothing else."""


def _python_wheels(job: JobConfig, base_dir: Path, path: str) -> Iterator[Problem]:
    if job.python_wheels and not job.is_spark:
        yield Problem(
            f"{path}.python_wheels",
            "glueprint ships wheels to Spark jobs only (Python shell jobs load libraries "
            "differently)",
            "make the job a glueetl job, or keep pure-Python helpers in the script",
        )
        return
    for i, wheel in enumerate(job.python_wheels):
        where = f"{path}.python_wheels[{i}]"
        if not WHEEL_NAME.match(wheel.name):
            yield Problem(
                where,
                f"{wheel.name} is not a wheel file name (name-version-tags.whl)",
                "point at a .whl built or downloaded for Glue's Python (pip download/wheel)",
            )
        elif not (base_dir / wheel).is_file():
            yield Problem(
                where,
                f"{base_dir / wheel} does not exist",
                "fix the path (relative to the config) or download the wheel",
            )


def _wheel_names(config: GlueprintConfig) -> Iterator[Problem]:
    """Wheels share one S3 prefix per owner, keyed by file name: one name, one file."""
    first: dict[str, Path] = {}
    for i, job in enumerate(config.jobs):
        for k, wheel in enumerate(job.python_wheels):
            seen = first.setdefault(wheel.name, wheel)
            if seen != wheel:
                yield Problem(
                    f"jobs[{i}].python_wheels[{k}]",
                    f"{wheel} has the same file name as {seen}, listed earlier",
                    "use one copy of the wheel for every job that needs it",
                )


def unique_names(names: list[str], what: str, section: str) -> Iterator[Problem]:
    """A problem for each name of `section` that is defined more than once."""
    counts = Counter(names)
    for i, name in enumerate(names):
        if counts[name] > 1:
            yield Problem(
                f"{section}[{i}].name",
                f"{what} {name!r} is defined {counts[name]} times",
                f"give each {what} a unique name",
            )
