"""`glueprint run JOB --on glue`: start a job run on AWS Glue and follow it to its end.

The run is reported as Glue sees it: each state it passes through, the duration Glue bills, the
error message of a failed run, and where its logs are (the log groups the job's Glue version and
security configuration lead to, and the console page).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from generator.config.catalog import version_key
from generator.rendering.jobspec import continuous_log_group, secured_log_group_base

TERMINAL_STATES = frozenset({"SUCCEEDED", "FAILED", "STOPPED", "TIMEOUT", "ERROR", "EXPIRED"})


@dataclass(frozen=True)
class RunOutcome:
    """How a job run ended."""

    job: str
    run_id: str
    state: str
    duration_seconds: int | None
    error: str | None
    logs: tuple[str, ...]

    @property
    def succeeded(self) -> bool:
        return self.state == "SUCCEEDED"


def start_and_follow(
    glue: Any,
    job: str,
    arguments: Mapping[str, str],
    *,
    region: str,
    poll_seconds: float,
    on_start: Callable[[str], None],
    on_state: Callable[[str], None],
    sleep: Callable[[float], None] = time.sleep,
) -> RunOutcome:
    """Start `job` with `arguments` (overriding its defaults for this run) and poll to the end.

    `on_start` hears the run id at once: an interrupted follower leaves the run going on Glue.
    """
    run_id = glue.start_job_run(JobName=job, Arguments=dict(arguments))["JobRunId"]
    on_start(run_id)
    seen = None
    while True:
        run = glue.get_job_run(JobName=job, RunId=run_id)["JobRun"]
        if run["JobRunState"] != seen:
            seen = run["JobRunState"]
            on_state(seen)
        if seen in TERMINAL_STATES:
            break
        sleep(poll_seconds)
    return RunOutcome(
        job=job,
        run_id=run_id,
        state=seen,
        duration_seconds=run.get("ExecutionTime"),
        error=run.get("ErrorMessage"),
        logs=_log_locations(glue, job, run, region),
    )


def _log_locations(glue: Any, job: str, run: Mapping[str, Any], region: str) -> tuple[str, ...]:
    """Where Glue writes the run's logs, by the naming AWS documents ("Logging for AWS Glue
    jobs"; "Enabling continuous logging for AWS Glue 4.0 and earlier jobs"): an encrypting
    security configuration adds `<config>-role/<role name>` (5.0+) or `-<config>` (continuous
    logs, 4.0 and earlier) to the group names."""
    run_id = run["Id"]
    try:
        definition = glue.get_job(JobName=job)["Job"]
    except ClientError:  # the run has ended; report it even if the job cannot be read now
        definition = {}
    arguments = {**(definition.get("DefaultArguments") or {}), **(run.get("Arguments") or {})}
    config = run.get("SecurityConfiguration") or definition.get("SecurityConfiguration")
    role = str(definition.get("Role") or "").rsplit("/", 1)[-1]
    version = str(definition.get("GlueVersion") or run.get("GlueVersion") or "0")
    if version_key(version) >= (5, 0):
        prefix = arguments.get("--custom-logGroup-prefix", "/aws-glue/jobs")
        base = secured_log_group_base(prefix, config, role)
        found = [f"{base}/output and {base}/error, streams {run_id}-driver, {run_id}-*"]
    else:
        base = secured_log_group_base("/aws-glue/jobs", config, role)
        found = [f"{base}/output and {base}/error, stream {run_id}"]
        if arguments.get("--enable-continuous-cloudwatch-log") == "true":
            group = arguments.get("--continuous-log-logGroup", "/aws-glue/jobs/logs-v2")
            found.append(f"{continuous_log_group(group, config)}, streams {run_id}*")
    found.append(
        f"https://{region}.console.aws.amazon.com/gluestudio/home?region={region}"
        f"#/job/{job}/run/{run_id}"
    )
    return tuple(found)
