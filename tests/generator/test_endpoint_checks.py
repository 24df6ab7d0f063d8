"""`verify` proves there is no exfiltration path through the VPC endpoints.

One real plan of the default stack (terraform against the local emulator); each test widens an
endpoint's planned policy the way a hand edit would and asserts the check guarding it fails and
names what is wrong. The unmutated stacks of every config pass (test_verify runs every check
on each of them).
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from generator.config.loader import load_default
from generator.rendering.render import render
from generator.rendering.writer import write_tree
from generator.terraform.emulator import Emulator
from generator.terraform.plan import Plan
from generator.terraform.runner import Terraform
from generator.terraform.verify import Verifier
from tests.conftest import Terraform as TerraformFixture
from tests.generator.plan_json import Policy, resources, statement, with_policy

pytestmark = [pytest.mark.terraform, pytest.mark.emulator]

S3 = "module.network.aws_vpc_endpoint.s3"
GLUE = 'module.endpoints.aws_vpc_endpoint.this["glue"]'
S3_CHECK, INTERFACE_CHECK = (
    "s3-endpoint-platform-buckets-only",
    "interface-endpoints-this-account-only",
)


@pytest.fixture(scope="module")
def planned(terraform: TerraformFixture) -> dict[str, Any]:
    """`terraform show -json` of the default stack, planned against the emulator."""
    with Emulator() as emulator, tempfile.TemporaryDirectory() as tmp:
        stack = Path(tmp) / "stack"
        write_tree(stack, render(load_default()).files)
        workdir = emulator.scratch_copy(stack, Path(tmp) / "scratch")
        runner = Terraform(workdir)
        runner.init()
        runner.plan("tfplan")
        return runner.show_plan("tfplan")


def failures(data: dict[str, Any], check: str) -> list[str]:
    results = {r.check.id: r for r in Verifier(Plan(data), Path(".")).run()}
    return results[check].failures


def test_the_planned_endpoints_pass(planned: dict[str, Any]) -> None:
    assert failures(planned, S3_CHECK) == []
    assert failures(planned, INTERFACE_CHECK) == []
    endpoints = [r for r in resources(planned) if r["type"] == "aws_vpc_endpoint"]
    assert len(endpoints) > 1 and all(e["values"]["policy"] for e in endpoints)


def test_s3_endpoint_widened_to_everything_fails(planned: dict[str, Any]) -> None:
    """The issue's case: s3:* on * for any principal passed verify; now it names all three."""

    def widen(policy: Policy) -> None:
        policy["Statement"].append(
            {
                "Sid": "Everything",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": "*",
            }
        )

    found = failures(with_policy(planned, S3, widen), S3_CHECK)
    assert found == [
        f"{S3}: statement Everything admits any principal (no aws:PrincipalAccount = "
        "123456789012 condition)",
        f"{S3}: statement Everything allows s3:*, which includes bucket policy and replication",
        f"{S3}: statement Everything admits *, which is neither a platform bucket nor a "
        "configured external bucket",
    ]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda s: s.update(Action="s3:*"),
            "allows s3:*, which includes bucket policy and replication",
        ),
        (
            lambda s: s.update(Resource=[*s["Resource"], "arn:aws:s3:::someone-elses-bucket/*"]),
            "admits arn:aws:s3:::someone-elses-bucket/*, which is neither a platform bucket nor "
            "a configured external bucket",
        ),
        (
            lambda s: s.update(Action=[*s["Action"], "s3:PutReplicationConfiguration"]),
            "allows s3:putreplicationconfiguration on arn:aws:s3:::glueprint-demo-",
        ),
        (
            lambda s: s.pop("Condition"),
            "admits any principal (no aws:PrincipalAccount = 123456789012 condition)",
        ),
        (
            lambda s: s.update(
                Condition={"StringEquals": {"aws:PrincipalAccount": "999999999999"}}
            ),
            "admits principals of accounts ['999999999999']",
        ),
    ],
    ids=["s3:*", "foreign bucket", "replication", "any principal", "other account"],
)
def test_s3_endpoint_platform_statement_widened_fails(
    planned: dict[str, Any], edit: Callable[[dict[str, Any]], None], expected: str
) -> None:
    changed = with_policy(
        planned, S3, lambda p: edit(statement(p, "PlatformBucketsForThisAccount"))
    )
    found = failures(changed, S3_CHECK)
    assert len(found) >= 1 and all(f.startswith(f"{S3}: statement Platform") for f in found)
    assert any(expected in f for f in found), found


def test_glue_assets_are_read_only_and_for_this_account(planned: dict[str, Any]) -> None:
    def write_assets(policy: Policy) -> None:
        assets = statement(policy, "ReadGlueOwnedAssets")
        assets["Action"] = ["s3:GetObject", "s3:PutObject"]
        del assets["Condition"]

    found = failures(with_policy(planned, S3, write_assets), S3_CHECK)
    assert any("allows s3:putobject on the AWS-owned arn:aws:s3:::aws-glue-*" in f for f in found)
    assert any("ReadGlueOwnedAssets admits any principal" in f for f in found)


def test_an_endpoint_without_a_policy_fails(planned: dict[str, Any]) -> None:
    changed = copy.deepcopy(planned)
    for resource in resources(changed):
        if resource["address"] in (S3, GLUE):
            resource["values"]["policy"] = None
    assert failures(changed, S3_CHECK) == [f"{S3}: no policy, so AWS's default admits every call"]
    assert failures(changed, INTERFACE_CHECK) == [
        f"{GLUE}: no policy, so AWS's default admits every call"
    ]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda s: s["Condition"]["StringEquals"].pop("aws:ResourceAccount"),
            "admits * of any account (no aws:ResourceAccount = 123456789012 condition)",
        ),
        (
            lambda s: s["Condition"]["StringEquals"].pop("aws:PrincipalAccount"),
            "admits any principal (no aws:PrincipalAccount = 123456789012 condition)",
        ),
        (
            lambda s: s["Condition"]["StringEquals"].update({"aws:ResourceAccount": "*"}),
            "admits resources of accounts ['*']",
        ),
        (lambda s: s.update(NotResource=s.pop("Resource")), "uses NotResource in an Allow"),
    ],
    ids=["any resource account", "any principal", "wildcard account", "NotResource"],
)
def test_interface_endpoint_widened_fails(
    planned: dict[str, Any], edit: Callable[[dict[str, Any]], None], expected: str
) -> None:
    changed = with_policy(
        planned, GLUE, lambda p: edit(statement(p, "ThisAccountsPrincipalsOnThisAccountsResources"))
    )
    found = failures(changed, INTERFACE_CHECK)
    assert any(f.startswith(f"{GLUE}: statement ThisAccounts") and expected in f for f in found), (
        found
    )
    assert failures(changed, S3_CHECK) == []


def test_interface_endpoint_scoped_by_resource_arns_passes(planned: dict[str, Any]) -> None:
    """Naming this account's ARNs is as good as the aws:ResourceAccount condition."""

    def by_arn(policy: Policy) -> None:
        scoped = statement(policy, "ThisAccountsPrincipalsOnThisAccountsResources")
        scoped["Condition"]["StringEquals"].pop("aws:ResourceAccount")
        scoped["Resource"] = "arn:aws:glue:eu-west-1:123456789012:*"

    assert failures(with_policy(planned, GLUE, by_arn), INTERFACE_CHECK) == []
