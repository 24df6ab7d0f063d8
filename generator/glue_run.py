"""`glueprint run JOB --on glue`: start a job run on AWS Glue and follow it to its end.

The run is reported as Glue sees it: each state it passes through, the duration Glue bills, the
error message of a failed run, and where its logs are (the log group Glue reports for the run,
the job's continuous-logging group, and the console page).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

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
    run_id = run["Id"]
    # Glue reports the group it wrote to; with a security configuration it is not the default.
    group = run.get("LogGroupName") or "/aws-glue/jobs"
    found = [f"{group}/output and {group}/error, stream {run_id}"]
    try:
        defaults = glue.get_job(JobName=job)["Job"].get("DefaultArguments") or {}
    except ClientError:  # the run has ended; report it even if the job cannot be read now
        defaults = {}
    arguments = {**defaults, **(run.get("Arguments") or {})}
    if arguments.get("--enable-continuous-cloudwatch-log") == "true":
        continuous = arguments.get("--continuous-log-logGroup", "/aws-glue/jobs/logs-v2")
        found.append(f"{continuous}, streams {run_id}*")
    found.append(
        f"https://{region}.console.aws.amazon.com/gluestudio/home?region={region}"
        f"#/job/{job}/run/{run_id}"
    )
    return tuple(found)
