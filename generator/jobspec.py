"""A Glue job's definition, in one place for both of a job's possible owners.

A job owned by Terraform is rendered into the stack (with HCL templates for the names only
Terraform knows); a job owned by `glueprint deploy` is sent through boto3 with names read from
the stack's outputs. Both take their arguments, log group and command settings from here, so a
job looks the same on Glue whichever way it got there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from generator.config import JobConfig


def log_group_prefix(project: str) -> str:
    return f"/aws-glue/jobs/{project}"


@dataclass(frozen=True)
class Locations:
    """Where a job's platform pieces are: literal names, or HCL templates inside the stack."""

    data_bucket: str
    temp_bucket: str
    library: str
    """S3 URI of the etl library zip."""
    wheels: Mapping[str, str]
    """S3 URI of each wheel, by file name."""
    log_group_prefix: str


def log_group_name(job: JobConfig, prefix: str) -> str | None:
    """The job's continuous-logging group (created by the stack), or None without one."""
    return f"{prefix}/{job.name}" if job.continuous_logging else None


def python_version(job: JobConfig) -> str:
    """Glue's `Command.PythonVersion`: Python shell jobs run 3.9; Spark jobs take "3"."""
    return "3.9" if job.command == "pythonshell" else "3"


def execution_class(job: JobConfig) -> str | None:
    """Python shell jobs have no execution class (Glue rejects one)."""
    return None if job.command == "pythonshell" else job.execution_class


def managed_arguments(job: JobConfig, where: Locations) -> dict[str, str]:
    """Arguments glueprint owns, derived from the job's typed fields."""
    arguments = {
        "--job-language": "python",
        "--TempDir": f"s3://{where.temp_bucket}/{job.name}/",
        "--job-bookmark-option": "job-bookmark-enable" if job.bookmarks else "job-bookmark-disable",
        "--data_bucket": where.data_bucket,
        "--extra-py-files": where.library,
    }
    log_group = log_group_name(job, where.log_group_prefix)
    if log_group is not None:
        arguments["--enable-continuous-cloudwatch-log"] = "true"
        arguments["--continuous-log-logGroup"] = log_group
    if job.metrics:
        arguments["--enable-metrics"] = "true"
    if job.catalog:
        arguments["--enable-glue-datacatalog"] = "true"
    if job.python_wheels:
        arguments["--additional-python-modules"] = ",".join(
            where.wheels[wheel.name] for wheel in job.python_wheels
        )
        # pip must not look for a missing dependency on PyPI: there is no route to it.
        arguments["--python-modules-installer-option"] = "--no-index"
    return arguments


def default_arguments(job: JobConfig, where: Locations) -> dict[str, str]:
    """The job's own arguments plus the managed ones (the rules keep them disjoint), sorted."""
    return dict(sorted({**job.arguments, **managed_arguments(job, where)}.items()))
