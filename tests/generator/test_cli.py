"""The `glueprint` command: generate, init and schema, and clean errors on bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from generator.cli.main import cli
from tests.conftest import CONFIGS, REPO


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_generate_default_writes_stack_and_summary(tmp_path: Path) -> None:
    code, out, _ = run("generate", "--out", str(tmp_path / "stack"))
    assert code == 0
    assert (tmp_path / "stack" / "main.tf").is_file()
    assert "secretsmanager" in out and "reads credentials of my-rds-vpc-connection" in out
    assert "network" in out and "file(s) written" in out


def test_generate_bad_config_exits_2_names_field_and_writes_nothing(tmp_path: Path) -> None:
    config = tmp_path / "glueprint.yaml"
    config.write_text("project: demo\nregion: eu-west-1\nnetwork:\n  az_count: 1\n")
    out = tmp_path / "stack"
    code, _, err = run("generate", "--config", str(config), "--out", str(out))
    assert code == 2
    assert "network.az_count" in err and "fix:" in err and "Traceback" not in err
    assert not out.exists()


def test_bad_config_leaves_existing_output_untouched(tmp_path: Path) -> None:
    out = tmp_path / "stack"
    assert run("generate", "--out", str(out))[0] == 0
    before = (out / "main.tf").read_text()
    config = tmp_path / "glueprint.yaml"
    config.write_text((CONFIGS / "mysql.yaml").read_text().replace("workers: 4", "workers: 1"))
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "extract.py").write_text("print(1)\n")
    code, _, err = run("generate", "--config", str(config), "--out", str(out))
    assert code == 2 and "jobs[0].workers" in err
    assert (out / "main.tf").read_text() == before


def test_init_writes_a_config_that_generates(tmp_path: Path) -> None:
    assert run("init", str(tmp_path))[0] == 0
    assert (tmp_path / "jobs" / "my_glue_job.py").is_file()
    assert (tmp_path / "tests" / "test_my_glue_job.py").is_file()
    schema = json.loads((tmp_path / "glueprint.schema.json").read_text())
    assert schema["title"] == "glueprint.yaml"
    code, _, _ = run("generate", "-c", str(tmp_path / "glueprint.yaml"), "-o", str(tmp_path / "s"))
    assert code == 0 and (tmp_path / "s" / "glue" / "main.tf").is_file()


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "glueprint.yaml").write_text("mine\n")
    code, _, err = run("init", str(tmp_path))
    assert code == 2 and "already exists" in err and "--force" in err
    assert (tmp_path / "glueprint.yaml").read_text() == "mine\n"


def test_schema_describes_every_section() -> None:
    code, out, _ = run("schema")
    schema = json.loads(out)
    assert code == 0
    assert set(schema["properties"]) >= {
        "project",
        "region",
        "network",
        "database",
        "connections",
        "jobs",
        "storage",
    }
    job = schema["$defs"]["JobConfig"]
    assert job["additionalProperties"] is False
    assert "FLEX" in json.dumps(job["properties"]["execution_class"])


def test_console_script_runs_without_traceback(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "generator", "generate", "-c", str(tmp_path / "absent.yaml")],
        capture_output=True,
        text=True,
        cwd=REPO,
        check=False,
    )
    assert proc.returncode == 2
    assert "file not found" in proc.stderr and "Traceback" not in proc.stderr
