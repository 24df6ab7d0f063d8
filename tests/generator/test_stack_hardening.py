"""Production guards of the generated stack, on real Terraform plans against the emulator: the
key and the buckets refuse `destroy`, the default network ACL is adopted with the rules the
design needs and none that FSBP EC2.21 fails, and Glue's default log groups are created by the
stack, covered by the key policy's grant to CloudWatch Logs."""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from generator.cli.stack import planned, workspace
from generator.config.loader import load_config, load_default
from generator.rendering.render import render
from generator.rendering.writer import write_tree
from generator.terraform.emulator import Emulator
from generator.terraform.plan import Plan
from generator.terraform.runner import Terraform as TerraformRunner
from tests.conftest import CONFIGS, Terraform

WORLD = "0.0.0.0/0"


def test_default_log_groups_follow_what_each_job_writes() -> None:
    """Glue 4.0 Spark jobs always write their driver output to Glue's default groups, Python
    shell jobs to the python-jobs ones; 5.0+ jobs logging to their own prefix need neither."""
    base = "${local.name}-role/${local.name}-glue"
    expected = {
        "aurora-postgresql": {"jobs"},  # a 4.0 job
        "aurora-mysql-3az": {"python-jobs"},  # a Python shell job, 5.x and 6.0 with prefixes
        "no-database": {"jobs"},  # a 5.0 job without continuous logging
        "default": set(),  # a 5.0 job logging to its own prefix
    }
    for name, kinds in expected.items():
        loaded = load_default() if name == "default" else load_config(CONFIGS / f"{name}.yaml")
        root = str(render(loaded).files["main.tf"])
        found = set(re.findall(r'"\(default\)/([a-z-]+)/(?:error|output)" += "([^"]+)"', root))
        assert found == {
            (kind, f"/aws-glue/{kind}/{base}/{stream}")
            for kind in kinds
            for stream in ("error", "output")
        }, name


@pytest.fixture(scope="module")
def mysql_plan(tmp_path_factory: pytest.TempPathFactory, terraform: Terraform) -> Plan:
    """The MySQL stack: a database, and a job that logs to Glue's default groups."""
    stack = tmp_path_factory.mktemp("mysql") / "stack"
    write_tree(stack, render(load_config(CONFIGS / "mysql.yaml")).files)
    with workspace(stack, emulator=True) as (workdir, _):
        return planned(TerraformRunner(workdir))


def covers(rule: dict[str, object], port: int) -> bool:
    low, high = rule["from_port"], rule["to_port"]
    assert isinstance(low, int) and isinstance(high, int)
    return low <= port <= high


@pytest.mark.terraform
@pytest.mark.emulator
def test_default_nacl_passes_ec2_21_and_carries_the_design(mysql_plan: Plan) -> None:
    (nacl,) = mysql_plan.of_type("aws_default_network_acl")
    ingress, egress = nacl.values["ingress"], nacl.values["egress"]
    vpc = "10.20.0.0/16"

    world_in = [r for r in ingress if r["cidr_block"] == WORLD]
    assert not [(r, p) for r in world_in for p in (22, 3389) if covers(r, p)]
    assert all(r["protocol"] == "tcp" and r["action"] == "allow" for r in ingress + egress)
    # S3's replies reach every ephemeral port but RDP's.
    assert {p for r in world_in for p in range(1024, 65536) if covers(r, p)} == set(
        range(1024, 65536)
    ) - {3389}
    # Inside the VPC: Glue's self-referencing traffic and the MySQL port, both ways.
    for rules in (ingress, egress):
        assert any(r["cidr_block"] == vpc and covers(r, 3306) and covers(r, 40000) for r in rules)
    # Out of the VPC, only HTTPS (to S3 through the gateway endpoint).
    assert [(r["from_port"], r["to_port"]) for r in egress if r["cidr_block"] != vpc] == [
        (443, 443)
    ]
    # Every subnet is listed (four: two Glue, two database), so no plan tries to drop one.
    assert mysql_plan.resolve(nacl.key, "subnet_ids") == {
        ("module.network", "aws_subnet.glue"),
        ("module.network", "aws_subnet.database"),
    }


@pytest.mark.terraform
@pytest.mark.emulator
def test_glue_default_log_groups_are_created_encrypted_and_granted(mysql_plan: Plan) -> None:
    groups = {
        g.values["name"]: g
        for g in mysql_plan.of_type("aws_cloudwatch_log_group")
        if g.module == "module.glue"
    }
    base = "/aws-glue/jobs/shop-mysql-role/shop-mysql-glue"
    assert set(groups) == {f"{base}/error", f"{base}/output"}
    for group in groups.values():
        assert group.values["retention_in_days"] == 365
        assert group.is_unknown("kms_key_id"), "encrypted with the stack's key (known at apply)"

    (key,) = mysql_plan.of_type("aws_kms_key")
    policy = json.loads(key.values["policy"])
    sid = "CloudWatchLogsEncryptsTheStacksLogGroups"
    (logs,) = [s for s in policy["Statement"] if s["Sid"] == sid]
    patterns = logs["Condition"]["StringLike"]["kms:EncryptionContext:aws:logs:arn"]
    for name in groups:
        arn = f"arn:aws:logs:us-east-1:123456789012:log-group:{name}"
        assert any(fnmatchcase(arn, p) for p in patterns), f"{name} is not under the key's grant"


@pytest.mark.terraform
@pytest.mark.emulator
def test_key_and_buckets_refuse_destroy(tmp_path: Path, terraform: Terraform) -> None:
    stack = tmp_path / "stack"
    write_tree(stack, render(load_config(CONFIGS / "no-database.yaml")).files)
    with Emulator() as emulator:
        workdir = emulator.scratch_copy(stack, tmp_path / "scratch")
        terraform.run(workdir, "init", "-input=false", "-no-color")
        terraform.run(
            workdir,
            "apply",
            "-input=false",
            "-no-color",
            "-auto-approve",
            "-target=module.kms.aws_kms_key.this",
            "-target=module.storage.aws_s3_bucket.this",
        )

        destroy = terraform.run(workdir, "plan", "-destroy", "-no-color", check=False)

    assert destroy.returncode != 0
    assert "Instance cannot be destroyed" in destroy.stderr
    for address in (
        "module.kms.aws_kms_key.this",
        'module.storage.aws_s3_bucket.this["data"]',
    ):
        assert address in destroy.stderr, destroy.stderr
