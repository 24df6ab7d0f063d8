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
from generator.config.loader import load_config, load_default
from generator.rendering.render import render
from generator.rendering.writer import write_tree
from generator.terraform.plan import Plan
from generator.terraform.verify import CHECKS, Verifier
from tests.conftest import CONFIGS, Terraform


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


def edit(stack: Path, file: str, old: str, new: str) -> None:
    path = stack / file
    text = path.read_text()
    assert old in text, f"{old!r} not in {file}"
    path.write_text(text.replace(old, new, 1))


def edit_block(stack: Path, file: str, header: str, old: str, new: str) -> None:
    """Replace the first `old` after `header` (inside that block)."""
    path = stack / file
    text = path.read_text()
    start = text.index(header)
    at = text.index(old, start)
    path.write_text(text[:at] + new + text[at + len(old) :])


def drop_block(stack: Path, file: str, header: str) -> None:
    path = stack / file
    text = path.read_text()
    start = text.index(header)
    depth, i = 0, text.index("{", start)
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            path.write_text(text[:start] + text[j + 1 :])
            return
    raise AssertionError(f"unbalanced block {header}")


def append(stack: Path, file: str, text: str) -> None:
    with (stack / file).open("a") as handle:
        handle.write("\n" + text)


NET, SEC, GLUE, DB = "network/main.tf", "security/main.tf", "glue/main.tf", "database/main.tf"

MUTATIONS = {
    "internet gateway": (
        "no-internet-gateways",
        lambda s: append(
            s, NET, 'resource "aws_internet_gateway" "oops" {\n  vpc_id = aws_vpc.this.id\n}\n'
        ),
    ),
    "NAT gateway": (
        "no-internet-gateways",
        lambda s: append(
            s,
            NET,
            'resource "aws_nat_gateway" "oops" {\n  subnet_id = aws_subnet.glue["eu-west-1a"].id\n'
            '  connectivity_type = "private"\n}\n',
        ),
    ),
    "default route": (
        "no-default-route",
        lambda s: append(
            s,
            NET,
            'resource "aws_route" "oops" {\n'
            '  route_table_id = aws_route_table.private["eu-west-1a"].id\n'
            '  destination_cidr_block = "0.0.0.0/0"\n'
            "  vpc_endpoint_id = aws_vpc_endpoint.s3.id\n}\n",
        ),
    ),
    "route on the main table": (
        "no-default-route",
        lambda s: edit(
            s,
            NET,
            "  route                  = []",
            '  route {\n    cidr_block = "0.0.0.0/0"\n'
            '    gateway_id = "igw-0123456789abcdef0"\n  }',
        ),
    ),
    "public IPs": (
        "subnets-private",
        lambda s: edit(s, NET, "map_public_ip_on_launch = false", "map_public_ip_on_launch = true"),
    ),
    "unassociated subnet": (
        "subnets-associated",
        lambda s: drop_block(s, NET, 'resource "aws_route_table_association" "database"'),
    ),
    "default SG rule": (
        "default-sg-empty",
        lambda s: edit(
            s,
            NET,
            '  vpc_id = aws_vpc.this.id\n\n  tags = {\n    Name = "${var.name}-default-deny-all"',
            "  vpc_id = aws_vpc.this.id\n  ingress {\n    protocol = -1\n    self = true\n"
            "    from_port = 0\n    to_port = 0\n  }\n\n  tags = {\n"
            '    Name = "${var.name}-default-deny-all"',
        ),
    ),
    "world egress, ip_protocol -1": (
        "no-world-sg-rules",
        lambda s: append(
            s,
            SEC,
            'resource "aws_vpc_security_group_egress_rule" "oops" {\n'
            '  security_group_id = aws_security_group.glue.id\n  cidr_ipv4 = "0.0.0.0/0"\n'
            '  ip_protocol = "-1"\n}\n',
        ),
    ),
    "world ingress, legacy rule": (
        "no-world-sg-rules",
        lambda s: append(
            s,
            SEC,
            'resource "aws_security_group_rule" "oops" {\n  type = "ingress"\n'
            '  security_group_id = aws_security_group.endpoints.id\n  protocol = "tcp"\n'
            '  from_port = 443\n  to_port = 443\n  ipv6_cidr_blocks = ["::/0"]\n}\n',
        ),
    ),
    "world egress, inline block": (
        "no-world-sg-rules",
        lambda s: edit(
            s,
            SEC,
            "  description            = "
            '"Interface endpoints: HTTPS from the Glue security group only"',
            '  description = "Interface endpoints: HTTPS from the Glue security group only"\n'
            '  egress {\n    protocol = "tcp"\n    from_port = 443\n    to_port = 443\n'
            '    cidr_blocks = ["0.0.0.0/0"]\n  }',
        ),
    ),
    "database open to endpoints SG": (
        "database-sg-from-glue-only",
        lambda s: edit(
            s,
            SEC,
            "  security_group_id            = aws_security_group.database.id\n"
            "  referenced_security_group_id = aws_security_group.glue.id",
            "  security_group_id            = aws_security_group.database.id\n"
            "  referenced_security_group_id = aws_security_group.endpoints.id",
        ),
    ),
    "database all ports": (
        "database-sg-from-glue-only",
        lambda s: edit(
            s,
            SEC,
            "  from_port                    = var.database_port\n"
            "  to_port                      = var.database_port\n"
            '  description                  = "JDBC from',
            '  from_port = 0\n  to_port = 65535\n  description = "JDBC from',
        ),
    ),
    "public database": (
        "database-private",
        lambda s: edit(
            s,
            DB,
            "publicly_accessible                   = false",
            "publicly_accessible                   = true",
        ),
    ),
    "no deletion protection": (
        "database-private",
        lambda s: edit(
            s, "main.tf", "deletion_protection   = true", "deletion_protection   = false"
        ),
    ),
    "DNS hostnames off": (
        "vpc-dns",
        lambda s: edit(s, NET, "enable_dns_hostnames = true", "enable_dns_hostnames = false"),
    ),
    "job without security configuration": (
        "jobs-in-vpc",
        lambda s: edit(
            s, GLUE, "  security_configuration = aws_glue_security_configuration.this.name\n", ""
        ),
    ),
    "job without connections": (
        "jobs-in-vpc",
        lambda s: edit(
            s,
            GLUE,
            "connections            = [for name in each.value.connections : "
            "aws_glue_connection.this[name].name]",
            "connections = []",
        ),
    ),
    "S3 endpoint off the route tables": (
        "s3-gateway-on-connection-subnets",
        lambda s: edit(
            s,
            NET,
            "route_table_ids   = [for table in aws_route_table.private : table.id]",
            "route_table_ids   = []",
        ),
    ),
    "no self-referencing ingress": (
        "glue-sg-self-reference",
        lambda s: edit_block(
            s,
            SEC,
            'resource "aws_vpc_security_group_ingress_rule" "glue_self"',
            "referenced_security_group_id = aws_security_group.glue.id",
            "referenced_security_group_id = aws_security_group.endpoints.id",
        ),
    ),
    "missing Secrets Manager endpoint": (
        "endpoints-for-features",
        lambda s: edit(s, "main.tf", '"monitoring", "secretsmanager"]', '"monitoring"]'),
    ),
    "endpoint without private DNS": (
        "endpoints-for-features",
        lambda s: edit(
            s, "endpoints/main.tf", "private_dns_enabled = true", "private_dns_enabled = false"
        ),
    ),
    "password in the connection": (
        "no-secrets-in-glue",
        lambda s: edit(
            s,
            GLUE,
            '    JDBC_ENFORCE_SSL    = "true"',
            '    JDBC_ENFORCE_SSL    = "true"\n    PASSWORD = "hunter2"',
        ),
    ),
    "TLS not enforced": (
        "no-secrets-in-glue",
        lambda s: edit(s, GLUE, 'JDBC_ENFORCE_SSL    = "true"', 'JDBC_ENFORCE_SSL    = "false"'),
    ),
    "module from PyPI": (
        "no-internet-dependencies",
        lambda s: edit(
            s,
            "main.tf",
            '= "public.orders"\n',
            '= "public.orders"\n        "--additional-python-modules" = "pandas==2"\n',
        ),
    ),
    "password as job argument": (
        "no-secrets-in-glue",
        lambda s: edit(
            s,
            "main.tf",
            '= "public.orders"\n',
            '= "public.orders"\n        "--db_password" = "hunter2"\n',
        ),
    ),
}


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
