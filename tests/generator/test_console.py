"""What a user sees is what glueprint meant: brackets print literally, and nothing a user must
copy (addresses, ARNs, paths) is cut at 80 columns."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli import stack as stack_cli
from generator.cli.main import cli
from generator.terraform.checks import CHECKS, Result

LONG_ADDRESS = 'module.security.aws_vpc_security_group_ingress_rule.database_from_glue["events-db"]'
LONG_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:rds!db-0f1e2d3c4b5a69788-AbCdEf"


def _column(text: str, index: int) -> str:
    """Column ``index`` of a rendered table, its wrapped lines joined, without whitespace."""
    cells = [line.split("│")[index + 1] for line in text.splitlines() if line.startswith("│")]
    return "".join("".join(cells).split())


def test_the_emulator_hint_keeps_its_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["generate", "--out", str(tmp_path / "stack")]).exit_code == 0
    monkeypatch.setitem(sys.modules, "moto.moto_server.werkzeug_app", None)  # moto missing
    result = runner.invoke(cli, ["verify", str(tmp_path / "stack"), "--emulator"])
    assert result.exit_code == 1
    assert result.stderr == (
        "error: the emulator needs moto[server]: pip install 'glueprint[emulator]'\n"
    )


def test_check_names_the_field_with_its_brackets(tmp_path: Path) -> None:
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "load.py").write_text(
        'from etl import JdbcSource\nsource = JdbcSource(connection="db", table="t")\n'
    )
    config = tmp_path / "glueprint.yaml"
    config.write_text(
        "project: demo\nregion: eu-west-1\ndatabase:\n  engine: postgres\n"
        "connections:\n- name: net\n  type: NETWORK\n- name: db\n  type: JDBC\n"
        "jobs:\n- name: load\n  script: jobs/load.py\n  connections: [net]\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(cli, ["check", "--config", str(config)])
    assert result.exit_code == 2
    assert result.stderr == (
        "error: 1 problem(s):\n"
        "job load (jobs/load.py:2): uses connection 'db' but the job does not attach it (on Glue "
        "the read would time out); add it to jobs[load].connections\n"
    )


def test_verify_failures_wrap_whole_at_80_columns(capsys: pytest.CaptureFixture[str]) -> None:
    check = CHECKS["database-sg-from-glue-only"]
    failing = Result(check, [f"{LONG_ADDRESS}: source is not the Glue security group"])
    passing = Result(CHECKS["vpc-dns"], [], [f"checked in the module source ({LONG_ARN})"])
    stack_cli.out_console.width = 80
    try:
        stack_cli.report([failing, passing], as_json=False)
    finally:
        stack_cli.out_console.width = None  # type: ignore[assignment]
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80
    assert "…" not in out
    details = _column(out, 2)
    assert LONG_ADDRESS in details
    assert LONG_ARN in details


def test_outputs_wrap_whole_at_80_columns(capsys: pytest.CaptureFixture[str]) -> None:
    stack_cli.out_console.width = 80
    try:
        stack_cli._print_outputs({"database_secret_arn": LONG_ARN, "addresses": [LONG_ADDRESS]})
    finally:
        stack_cli.out_console.width = None  # type: ignore[assignment]
    out = capsys.readouterr().out
    assert "…" not in out and max(len(line) for line in out.splitlines()) <= 80
    values = _column(out, 1)
    assert LONG_ARN in values and LONG_ADDRESS.replace('"', '\\"') in values
