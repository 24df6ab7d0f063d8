"""Following a Glue run that fails: the emulator's runs always succeed, so the Glue runtime's
side is a scripted client here (the one thing that cannot run locally); the happy path runs
against the emulator in test_deploy.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from generator.cli.main import cli
from generator.shipping import aws
from generator.shipping.glue_run import start_and_follow
from tests.conftest import CONFIGS

ROLE = "arn:aws:iam::123456789012:role/shipping-glue"


class FailingGlue:
    """Answers like Glue for a run that starts, runs, then fails."""

    def __init__(self, glue_version: str = "5.0") -> None:
        self.states = ["STARTING", "STARTING", "RUNNING", "FAILED"]
        self.started: dict[str, Any] = {}
        self.glue_version = glue_version

    def start_job_run(self, **kwargs: Any) -> dict[str, Any]:
        self.started = kwargs
        return {"JobRunId": "jr_1"}

    def get_job_run(self, JobName: str, RunId: str) -> dict[str, Any]:  # noqa: N803 - AWS names
        state = self.states.pop(0)
        run = {"Id": RunId, "JobRunState": state, "SecurityConfiguration": "shipping"}
        if state == "FAILED":
            run |= {"ExecutionTime": 125, "ErrorMessage": "ModuleNotFoundError: No module named x"}
        return {"JobRun": run}

    def get_job(self, JobName: str) -> dict[str, Any]:  # noqa: N803 - AWS names
        arguments = {
            "--enable-continuous-cloudwatch-log": "true",
            "--continuous-log-logGroup": "/aws-glue/jobs/shipping/compact",
        }
        return {
            "Job": {
                "Role": ROLE,
                "GlueVersion": self.glue_version,
                "SecurityConfiguration": "shipping",
                "DefaultArguments": arguments,
            }
        }


def test_follow_reports_each_state_once_and_the_failure() -> None:
    glue, started, seen, sleeps = FailingGlue(), [], [], []

    outcome = start_and_follow(
        glue,
        "compact",
        {"--day": "1"},
        region="eu-west-2",
        poll_seconds=7,
        on_start=started.append,
        on_state=seen.append,
        sleep=sleeps.append,
    )

    assert started == ["jr_1"]
    assert seen == ["STARTING", "RUNNING", "FAILED"]
    assert sleeps == [7, 7, 7]
    assert glue.started == {"JobName": "compact", "Arguments": {"--day": "1"}}
    assert not outcome.succeeded and outcome.state == "FAILED"
    assert outcome.duration_seconds == 125 and "ModuleNotFoundError" in (outcome.error or "")
    # Glue 5.0+: continuous-logging arguments are deprecated; the security configuration and
    # the role name are part of the group names.
    group = "/aws-glue/jobs/shipping-role/shipping-glue"
    assert outcome.logs[0] == f"{group}/output and {group}/error, streams jr_1-driver, jr_1-*"
    assert "#/job/compact/run/jr_1" in outcome.logs[-1] and len(outcome.logs) == 2


def test_glue_4_continuous_logs_carry_the_security_configuration_name() -> None:
    outcome = start_and_follow(
        FailingGlue(glue_version="4.0"),
        "compact",
        {},
        region="eu-west-2",
        poll_seconds=0,
        on_start=lambda run_id: None,
        on_state=lambda state: None,
        sleep=lambda seconds: None,
    )
    assert outcome.logs[1] == "/aws-glue/jobs/shipping/compact-shipping, streams jr_1*"


def test_run_on_glue_exits_1_with_the_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(aws, "client", lambda service, region: FailingGlue())
    config = Path(CONFIGS / "deploy-owned.yaml")

    result = CliRunner().invoke(
        cli, ["run", "compact", "--on", "glue", "-c", str(config), "--poll-seconds", "1"]
    )

    assert result.exit_code == 1
    assert "FAILED compact on AWS Glue after 2 min 5 s" in result.stdout
    assert "ModuleNotFoundError" in result.stderr and "jr_1" in result.stderr


def test_run_on_glue_needs_name_value_pairs() -> None:
    config = Path(CONFIGS / "deploy-owned.yaml")
    result = CliRunner().invoke(cli, ["run", "compact", "--on", "glue", "-c", str(config), "--day"])
    assert result.exit_code == 2 and "--name value pairs" in result.stderr


def test_run_on_glue_refuses_a_secret_argument() -> None:
    config = Path(CONFIGS / "deploy-owned.yaml")
    result = CliRunner().invoke(
        cli, ["run", "compact", "--on", "glue", "-c", str(config), "--db_password", "hunter2"]
    )
    assert result.exit_code == 2 and "suggests a secret" in result.stderr
    assert "hunter2" not in result.output + result.stderr
