"""`glueprint verify` passes on every rendered config and catches each invariant broken by hand.

Each mutation edits the rendered Terraform the way a user might, plans it for real against the
local emulator, and asserts that verify fails on exactly the check guarding that invariant.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli.main import cli
from generator.cli.stack import planned, workspace
from generator.config.loader import load_config, load_default
from generator.rendering.render import render
from generator.rendering.writer import write_tree
from generator.terraform.plan import Plan
from generator.terraform.runner import Terraform as TerraformRunner
from generator.terraform.verify import CHECKS, Verifier
from tests.conftest import CONFIGS, Terraform
from tests.generator.config_variants import SPACED_CONNECTIONS, spaced_names_project
from tests.generator.verify_mutations import MUTATIONS, edit


def verify_json(stack: Path) -> dict[str, dict[str, object]]:
    result = CliRunner().invoke(cli, ["verify", str(stack), "--emulator", "--json"])
    assert result.exit_code in (0, 1), result.output + result.stderr
    return {r["id"]: r for r in json.loads(result.stdout)}


def failed(results: dict[str, dict[str, object]]) -> set[str]:
    return {check for check, r in results.items() if not r["passed"]}


def test_arguments_unknown_until_apply_fail_explicitly(tmp_path: Path) -> None:
    """A value verify cannot see is a failure that says so, never a silent pass."""
    job = {
        "address": "aws_glue_job.x",
        "mode": "managed",
        "type": "aws_glue_job",
        "name": "x",
        "values": {"connections": ["c"], "security_configuration": "s", "glue_version": "5.0"},
    }
    plan = Plan(
        {
            "planned_values": {"root_module": {"resources": [job]}},
            "resource_changes": [
                {
                    "address": "aws_glue_job.x",
                    "change": {"after_unknown": {"default_arguments": True}},
                }
            ],
        }
    )
    results = {r.check.id: r for r in Verifier(plan, tmp_path).run()}
    for check in ("endpoints-for-features", "no-internet-dependencies", "no-secrets-in-glue"):
        assert not results[check].passed
        assert "unknown until apply" in results[check].failures[0]


@pytest.fixture(scope="module")
def base_stack(tmp_path_factory: pytest.TempPathFactory, terraform: Terraform) -> Path:
    stack = tmp_path_factory.mktemp("base") / "stack"
    write_tree(stack, render(load_default()).files)
    return stack


@pytest.fixture
def stack(base_stack: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "stack"
    shutil.copytree(base_stack, copy)
    return copy


@pytest.mark.terraform
@pytest.mark.emulator
@pytest.mark.parametrize("name", ["default", *sorted(p.stem for p in CONFIGS.glob("*.yaml"))])
def test_every_rendered_config_verifies(name: str, tmp_path: Path, terraform: Terraform) -> None:
    loaded = load_default() if name == "default" else load_config(CONFIGS / f"{name}.yaml")
    write_tree(tmp_path, render(loaded).files)
    results = verify_json(tmp_path)
    assert failed(results) == set(), {k: results[k]["failures"] for k in failed(results)}
    assert len(results) == len(CHECKS)
    assert any("as the account lists them" in str(n) for n in results["azs-exist"]["notes"])


@pytest.mark.terraform
@pytest.mark.emulator
def test_jobs_attach_connections_glue_names_with_spaces(
    tmp_path: Path, terraform: Terraform
) -> None:
    """The plan names the connections as configured, and every invariant holds."""
    stack = tmp_path / "stack"
    write_tree(stack, render(load_config(spaced_names_project(tmp_path))).files)
    with workspace(stack, emulator=True) as (workdir, _):
        plan = planned(TerraformRunner(workdir))
        results = Verifier(plan, workdir).run()
    assert [r.failures for r in results if not r.passed] == []
    rds, net = SPACED_CONNECTIONS
    wired = [rds, f"{rds}-az2", net, f"{net}-az2"]
    (job,) = plan.of_type("aws_glue_job")
    assert job.values["connections"] == wired
    assert sorted(c.values["name"] for c in plan.of_type("aws_glue_connection")) == sorted(wired)


@pytest.mark.terraform
@pytest.mark.emulator
@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_verify_catches_the_mutation(mutation: str, stack: Path) -> None:
    check, mutate = MUTATIONS[mutation]
    mutate(stack)
    results = verify_json(stack)
    assert failed(results) == {check}, {k: results[k]["failures"] for k in failed(results)}
    assert any(re.search(r"\S", str(f)) for f in results[check]["failures"])  # names the culprit


@pytest.mark.terraform
@pytest.mark.emulator
def test_verify_catches_aurora_instances_in_one_az(tmp_path: Path, terraform: Terraform) -> None:
    """The default stack has no Aurora cluster: this mutation edits a multi-AZ Aurora stack."""
    write_tree(tmp_path, render(load_config(CONFIGS / "aurora-mysql-3az.yaml")).files)
    edit(
        tmp_path,
        "database/main.tf",
        "availability_zone  = var.availability_zones[count.index]",
        "availability_zone = var.availability_zones[0]",
    )
    results = verify_json(tmp_path)
    assert failed(results) == {"database-instances-spread"}
    (failure,) = results["database-instances-spread"]["failures"]  # type: ignore[misc]
    assert (
        "this[1]: in ap-northeast-1a with module.database.aws_rds_cluster_instance.this[0]"
        in failure
    )


@pytest.mark.terraform
@pytest.mark.emulator
def test_plan_command_verifies_and_summarises(tmp_path: Path, terraform: Terraform) -> None:
    write_tree(tmp_path, render(load_config(CONFIGS / "no-database.yaml")).files)
    result = CliRunner().invoke(cli, ["plan", str(tmp_path), "--emulator"])
    assert result.exit_code == 0, result.output + result.stderr
    assert f"{len(CHECKS)} passed, 0 failed" in result.stdout
    assert re.search(r"Plan: \d+ to create", result.stdout)


@pytest.mark.terraform
def test_verify_without_credentials_fails_cleanly_with_a_hint(
    tmp_path: Path, terraform: Terraform, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    stack = tmp_path / "stack"
    write_tree(stack, render(load_config(CONFIGS / "minimal.yaml")).files)
    result = CliRunner().invoke(cli, ["verify", str(stack)])
    assert result.exit_code == 1
    assert "add --emulator" in result.stderr and "Traceback" not in result.stderr
    assert not (stack / ".glueprint.tfplan").exists()
