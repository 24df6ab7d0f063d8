"""Every IAM policy the stack creates passes parliament, AWS's IAM rules checked offline.

The emulator accepts any policy, so a misspelt action, an action AWS allows only on `*`, or a
malformed ARN would pass every other test. Here each rendered stack is planned by the real
terraform (`terraform test`, `command = plan`, no AWS account): the policy documents come from
the plan exactly as Terraform renders them for AWS. Values AWS assigns at apply (a key's ARN, a
subnet's ID, the RDS-managed secret) are stood in by realistic placeholders through
`override_resource`, so every document is known at plan time; a document still unknown fails.
`terraform test` cannot override an ephemeral resource, so the one the stack has (the Glue
database user's random password, `GetRandomPassword`) is served by a local moto server.

Each finding parliament reports (community auditors included) must be in ACCEPTED with its
reason, and every accepted finding must still occur in some stack, so none goes stale.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import parliament
import pytest
from moto.server import ThreadedMotoServer

from generator.config.loader import load_config, load_default
from generator.rendering.render import render
from generator.rendering.writer import write_tree
from tests.conftest import CONFIGS, Terraform

pytestmark = [pytest.mark.terraform, pytest.mark.xdist_group("iam")]

STACKS = ["default", *sorted(p.stem for p in CONFIGS.glob("*.yaml"))]
ACCOUNT = "123456789012"
HEX = "0123456789abcdef0"
POLICY_ATTRIBUTES = {
    ("aws_iam_role", "assume_role_policy"),
    ("aws_iam_role_policy", "policy"),
    ("aws_iam_policy", "policy"),
    ("aws_kms_key", "policy"),
    ("aws_s3_bucket_policy", "policy"),
    ("aws_vpc_endpoint", "policy"),
}
"""Where the stack's policy documents live. aws_s3_bucket's own `policy` is computed (the stack
sets policies through aws_s3_bucket_policy), so it is not one."""

ACCEPTED: dict[tuple[str, str], str] = {
    ("aws_iam_role", "MALFORMED"): (
        "a role's trust policy has no Resource element by design (the role is the resource); "
        "parliament reads every document as an identity policy"
    ),
    ("aws_vpc_endpoint", "RESOURCE_STAR"): (
        "an endpoint policy grants nothing, it bounds what passes the endpoint; Resource * is "
        "pinned to this account by the aws:ResourceAccount condition (verify proves it)"
    ),
    ("aws_vpc_endpoint", "PERMISSIONS_MANAGEMENT_ACTIONS"): (
        "SERVICE:* in an endpoint policy is a boundary for this account's principals on this "
        "account's resources; the job role's own policy grants none of these actions"
    ),
    ("aws_vpc_endpoint", "PRIVILEGE_ESCALATION"): (
        "glue:* as an endpoint boundary, not a grant: the job role cannot UpdateDevEndpoint"
    ),
    ("aws_vpc_endpoint", "CREDENTIALS_EXPOSURE"): (
        "sts:* as an endpoint boundary, not a grant: the job role may assume no role, and "
        "aws:ResourceAccount keeps the endpoint to this account's roles"
    ),
    ("aws_kms_key", "RESOURCE_STAR"): "in a key policy, Resource * means this key",
    ("aws_kms_key", "PERMISSIONS_MANAGEMENT_ACTIONS"): (
        "kms:* for the account root is AWS's default key statement: it lets IAM policies "
        "administer the key; without it the key cannot be managed or deleted"
    ),
}
"""(resource type, parliament issue) -> why the finding is accepted."""


Findings = list[tuple[str, str, str, str]]
"""(address, resource type, parliament issue, detail) of each finding in one stack."""


def placeholders(region: str) -> dict[str, dict[str, Any]]:
    """Realistic values, by resource type, for the attributes AWS assigns at apply."""
    key = "0b1f6c3e-2d4a-4c8e-9f00-1234567890ab"
    secret = f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:rds!db-{key}-AbCdEf"
    rds_secret = {"master_user_secret": [{"secret_arn": secret, "kms_key_id": key}]}
    glue_secret = f"arn:aws:secretsmanager:{region}:{ACCOUNT}:secret:platform-glue-user-AbCdEf"
    return {
        "aws_kms_key": {"arn": f"arn:aws:kms:{region}:{ACCOUNT}:key/{key}", "key_id": key},
        "aws_vpc": {"id": f"vpc-{HEX}", "arn": f"arn:aws:ec2:{region}:{ACCOUNT}:vpc/vpc-{HEX}"},
        "aws_subnet": {"id": f"subnet-{HEX}"},
        "aws_security_group": {"id": f"sg-{HEX}"},
        "aws_vpc_endpoint": {"id": f"vpce-{HEX}", "prefix_list_id": "pl-6da54004"},
        "aws_s3_bucket": {"arn": "arn:aws:s3:::placeholder-bucket"},
        "aws_db_instance": rds_secret,
        "aws_rds_cluster": rds_secret,
        "aws_secretsmanager_secret": {"arn": glue_secret, "id": glue_secret},
    }


def resource_blocks(stack: Path) -> Iterator[tuple[str, str]]:
    """(address, type) of every resource block in the stack's child modules."""
    calls = re.findall(
        r'module "(\w+)" \{\s*source\s*=\s*"\./(\w+)"', (stack / "main.tf").read_text()
    )
    for module, directory in calls:
        text = (stack / directory / "main.tf").read_text()
        for kind, name in re.findall(r'^resource "(\w+)" "(\w+)"', text, re.MULTILINE):
            yield f"module.{module}.{kind}.{name}", kind


def offline_plan(stack: Path, region: str, secrets_endpoint: str) -> str:
    """A terraform test that plans the stack offline, placeholders standing in for IDs."""
    values = placeholders(region)
    # HCL object syntax accepts JSON's `"key": value`.
    overrides = "".join(
        f"override_resource {{\n  target          = {address}\n  override_during = plan\n"
        f"  values          = {json.dumps(values[kind])}\n}}\n\n"
        for address, kind in resource_blocks(stack)
        if kind in values
    )
    return (
        'provider "aws" {\n'
        f'  region                      = "{region}"\n'
        '  access_key                  = "placeholder"\n'
        '  secret_key                  = "placeholder"\n'
        "  skip_credentials_validation = true\n"
        "  skip_requesting_account_id  = true\n"
        "  skip_metadata_api_check     = true\n"
        f'  endpoints {{\n    secretsmanager = "{secrets_endpoint}"\n  }}\n'
        "}\n\n"
        "override_data {\n  target = data.aws_caller_identity.current\n"
        f'  values = {{ account_id = "{ACCOUNT}" }}\n}}\n\n'
        f'{overrides}run "plan" {{\n  command = plan\n}}\n'
    )


def planned_changes(
    stack: Path, region: str, terraform: Terraform, secrets_endpoint: str
) -> list[dict[str, Any]]:
    (stack / "tests").mkdir()
    (stack / "tests" / "policies.tftest.hcl").write_text(
        offline_plan(stack, region, secrets_endpoint)
    )
    terraform.run(stack, "init", "-backend=false", "-input=false", "-no-color")
    run = terraform.run(stack, "test", "-json", "-verbose", "-no-color", check=False)
    messages = [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")]
    plans = [m["test_plan"] for m in messages if m.get("type") == "test_plan"]
    errors = [m["@message"] for m in messages if m.get("@level") == "error"]
    assert run.returncode == 0 and len(plans) == 1, errors or run.stderr
    changes: list[dict[str, Any]] = plans[0]["resource_changes"]
    return changes


def policies(changes: list[dict[str, Any]]) -> Iterator[tuple[str, str, str]]:
    """(address, resource type, document) of every policy; fails on an unknown one and on a
    policy document in an attribute POLICY_ATTRIBUTES does not know."""
    for change in changes:
        if change["mode"] != "managed":
            continue
        after, unknown = change["change"]["after"] or {}, change["change"]["after_unknown"] or {}
        for attribute, value in after.items():
            known = (change["type"], attribute) in POLICY_ATTRIBUTES
            if known and unknown.get(attribute):
                pytest.fail(f"{change['address']}.{attribute} is unknown at plan time")
            if known and value:
                yield change["address"], change["type"], value
            elif isinstance(value, str) and '"Statement"' in value:
                pytest.fail(f"{change['address']}.{attribute} holds a policy this test ignores")


@pytest.fixture(scope="module")
def secrets_endpoint() -> Iterator[str]:
    """Secrets Manager for the ephemeral random password only (moto, plain HTTP, loopback)."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def audit(
    terraform: Terraform, tmp_path_factory: pytest.TempPathFactory, secrets_endpoint: str
) -> Callable[[str], Findings]:
    """Stack name -> parliament's findings on its policies, each stack planned once."""
    done: dict[str, Findings] = {}

    def findings(name: str) -> Findings:
        if name not in done:
            loaded = load_default() if name == "default" else load_config(CONFIGS / f"{name}.yaml")
            stack = tmp_path_factory.mktemp(name)
            write_tree(stack, render(loaded).files)
            changes = planned_changes(stack, loaded.config.region, terraform, secrets_endpoint)
            found = list(policies(changes))
            kinds = {kind for _, kind, _ in found}
            assert kinds >= {"aws_iam_role", "aws_iam_role_policy", "aws_kms_key"}, kinds
            done[name] = [
                (address, kind, finding.issue, f"{finding.detail} {finding.location}")
                for address, kind, document in found
                for finding in parliament.analyze_policy_string(
                    document, include_community_auditors=True
                ).findings
            ]
        return done[name]

    return findings


@pytest.mark.parametrize("name", STACKS)
def test_every_policy_passes_parliament(name: str, audit: Callable[[str], Findings]) -> None:
    rejected = [
        f"{address}: {issue} {detail}"
        for address, kind, issue, detail in audit(name)
        if (kind, issue) not in ACCEPTED
    ]
    assert rejected == []


def test_every_accepted_finding_still_occurs(
    audit: Callable[[str], Findings],
) -> None:
    occurring = {(kind, issue) for name in STACKS for _, kind, issue, _ in audit(name)}
    assert set(ACCEPTED) - occurring == set()
