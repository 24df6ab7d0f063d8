"""A Glue job's definition, in one place for both of a job's possible owners.

A job owned by Terraform is rendered into the stack (with HCL templates for the names only
Terraform knows); a job owned by `glueprint deploy` is sent through boto3 with names read from
the stack's outputs. Both take their arguments, log group and command settings from here, so a
job looks the same on Glue whichever way it got there.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from generator.config.catalog import version_key
from generator.config.schema import JobConfig


def log_group_prefix(project: str) -> str:
    return f"/aws-glue/jobs/{project}"


def role_name(project: str) -> str:
    """The Glue job role's name (the stack names it; Glue puts it in log group names)."""
    return f"{project}-glue"


def security_configuration_name(project: str) -> str:
    """The Glue security configuration's name (also part of the log group names)."""
    return project


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
    security_configuration: str
    role_name: str


def logs_by_prefix(job: JobConfig) -> bool:
    """Glue 5.0 replaced the continuous-logging arguments with `--custom-logGroup-prefix`."""
    return version_key(job.glue_version) >= (5, 0)


def secured_log_group_base(prefix: str, security_configuration: str | None, role: str) -> str:
    """Where Glue puts its `error` and `output` groups under `prefix` when a security
    configuration encrypts logs: `<prefix>/<configuration>-role/<role name>` (AWS, "Logging for
    AWS Glue jobs"; also the 4.0 default groups); plain `prefix` without one."""
    return (
        f"{prefix}/{security_configuration}-role/{role}"
        if security_configuration and role
        else prefix
    )


def continuous_log_group(group: str, security_configuration: str | None) -> str:
    """Glue 4.0 and earlier append the security configuration's name to the continuous-logging
    group (AWS, "Enabling continuous logging for AWS Glue 4.0 and earlier jobs")."""
    return f"{group}-{security_configuration}" if security_configuration else group


def _own_log_prefix(job: JobConfig, where: Locations) -> str:
    return f"{where.log_group_prefix}/{job.name}"


def log_groups(job: JobConfig, where: Locations) -> dict[str, str]:
    """The log groups Glue writes the job's logs to, by a short key, when the job logs to its
    own groups (`continuous_logging`); the stack creates them, encrypted and with retention.

    Names as AWS documents them for a security configuration that encrypts logs: on Glue 5.0+,
    `<prefix>/<configuration>-role/<role name>/error|output` ("Logging for AWS Glue jobs"); on
    4.0 and earlier, `<continuous log group>-<configuration>` ("Enabling continuous logging for
    AWS Glue 4.0 and earlier jobs").
    """
    if not job.continuous_logging:
        return {}
    own = _own_log_prefix(job, where)
    if logs_by_prefix(job):
        base = secured_log_group_base(own, where.security_configuration, where.role_name)
        return {f"{job.name}/{stream}": f"{base}/{stream}" for stream in ("error", "output")}
    return {job.name: continuous_log_group(own, where.security_configuration)}


def default_log_groups(jobs: Iterable[JobConfig], where: Locations) -> dict[str, str]:
    """Glue's own groups that the jobs write to besides their own, by a key no job name can
    take: the stack creates them, so they are encrypted with the platform key and expire
    instead of being created by Glue unencrypted and kept forever.

    With a security configuration attached, Glue names them `/aws-glue/jobs/<configuration>-role/
    <role name>/output|error` ("Logging for AWS Glue jobs"; the Python shell equivalent is under
    `/aws-glue/python-jobs/`). Spark jobs on Glue 4.0 and earlier always write their driver's
    output and error there (continuous logs go to their own group); on 5.0+ only a job that
    does not log to its own prefix does.
    """
    kinds = set()
    for job in jobs:
        if job.command == "pythonshell":
            kinds.add("python-jobs")
        elif not (job.continuous_logging and logs_by_prefix(job)):
            kinds.add("jobs")
    return {
        f"(default)/{kind}/{stream}": secured_log_group_base(
            f"/aws-glue/{kind}", where.security_configuration, where.role_name
        )
        + f"/{stream}"
        for kind in sorted(kinds)
        for stream in ("error", "output")
    }


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
    if job.continuous_logging and logs_by_prefix(job):
        arguments["--custom-logGroup-prefix"] = _own_log_prefix(job, where)
    elif job.continuous_logging:
        arguments["--enable-continuous-cloudwatch-log"] = "true"
        arguments["--continuous-log-logGroup"] = _own_log_prefix(job, where)
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
