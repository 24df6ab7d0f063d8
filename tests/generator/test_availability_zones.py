"""AZs that exist: the generator picks and accepts only AZ names the region offers, and verify
refuses a plan that names another, asking the account (here the emulator) when it can.

ap-northeast-1 is the case in point: accounts created since ~2012 have 1a, 1c and 1d, and a
stack guessing `1b` planned cleanly and failed at apply.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config as BotoConfig
from moto.ec2.models.availability_zones_and_regions import RegionsAndZonesBackend

from generator.cli.stack import planned, workspace
from generator.config.layout import MAX_AZS, az_slot
from generator.config.loader import load_config
from generator.config.regions import REGION_AZ_LETTERS, region_azs
from generator.rendering.render import render
from generator.rendering.writer import write_tree
from generator.terraform.emulator import Emulator
from generator.terraform.plan import Plan
from generator.terraform.runner import Terraform as TerraformRunner
from generator.terraform.topology import check_topology
from generator.terraform.verify import Result, Verifier
from tests.conftest import CONFIGS, Terraform
from tests.generator.config_variants import parse, problems, variant

TOKYO = ("ap-northeast-1a", "ap-northeast-1c", "ap-northeast-1d")
COPIES = ("tokyo-net", "tokyo-net-az2", "tokyo-net-az3")
"""tokyo-3az.yaml's connection, one copy per AZ, in failover order."""


def test_the_table_is_the_zone_list_moto_bundles() -> None:
    """moto mirrors DescribeAvailabilityZones of a new account; an upgrade that adds a region
    or a zone fails here until the table (and its docstring's date) follows."""
    bundled = {
        region: tuple(zone.name for zone in zones)
        for region, zones in RegionsAndZonesBackend.zones.items()
    }
    assert {region: region_azs(region) for region in REGION_AZ_LETTERS} == bundled


def test_every_az_of_every_region_has_a_subnet_slot_that_fits() -> None:
    for region, letters in REGION_AZ_LETTERS.items():
        assert all(0 <= az_slot(region + letter) < MAX_AZS for letter in letters), region
        loaded = parse(variant(("region", region), ("network.az_count", len(letters))))
        assert loaded.layout.azs == region_azs(region)
        slots = {s.cidr for s in (*loaded.layout.glue_subnets, *loaded.layout.database_subnets)}
        assert len(slots) == 2 * len(letters), region


def test_az_count_picks_the_first_azs_that_exist_keeping_each_ones_slot() -> None:
    tokyo = parse(variant(("region", "ap-northeast-1"), ("network.az_count", 3)))
    assert tokyo.layout.azs == TOKYO
    # Slots follow the letter (a, c, d -> 0, 2, 3): 1b's slot stays free, nothing moves.
    assert [str(s.cidr) for s in tokyo.layout.glue_subnets] == [
        "10.0.0.0/20",
        "10.0.32.0/20",
        "10.0.48.0/20",
    ]
    canada = parse(variant(("region", "ca-central-1"), ("network.az_count", 3)))
    assert canada.layout.azs == ("ca-central-1a", "ca-central-1b", "ca-central-1d")
    assert parse(variant()).layout.azs == ("eu-west-1a", "eu-west-1b")


def test_an_az_the_region_does_not_offer_is_refused_naming_the_valid_ones() -> None:
    found = problems(
        variant(
            ("region", "ap-northeast-1"),
            ("network.az_count", None),
            ("network.azs", ["ap-northeast-1a", "ap-northeast-1b"]),
        )
    )
    ((path, message, fix),) = found
    assert path == "network.azs[1]"
    assert message.startswith("ap-northeast-1b does not exist in ap-northeast-1")
    assert "ap-northeast-1a, ap-northeast-1c, ap-northeast-1d" in message
    assert "network.az_count" in fix


def test_more_azs_than_the_region_offers_is_refused() -> None:
    ((path, message, fix),) = problems(variant(("region", "us-west-1"), ("network.az_count", 3)))
    assert path == "network.az_count"
    assert "us-west-1 offers 2: us-west-1a, us-west-1b" in message
    assert fix == "set network.az_count to 2 or less"


def test_a_region_the_table_does_not_know_needs_its_azs_listed() -> None:
    ((path, message, fix),) = problems(variant(("region", "eu-east-1")))
    assert path == "network.azs" and "does not know which AZs eu-east-1 offers" in message
    assert "describe-availability-zones --region eu-east-1" in fix
    listed = ["eu-east-1a", "eu-east-1b"]
    loaded = parse(
        variant(("region", "eu-east-1"), ("network.az_count", None), ("network.azs", listed))
    )
    assert loaded.layout.azs == tuple(listed)


def subnet_plan(region: object, azs: dict[str, str | None]) -> Plan:
    """A plan of bare subnets (key -> AZ, None for one unknown until apply), their AZs
    configured from a data source."""
    resources = [
        {"address": f'aws_subnet.s["{key}"]', "mode": "managed", "type": "aws_subnet",
         "name": "s", "values": {"availability_zone": az}}
        for key, az in azs.items()
    ]  # fmt: skip
    unknown = [
        {
            "address": f'aws_subnet.s["{key}"]',
            "change": {"after_unknown": {"availability_zone": True}},
        }
        for key, az in azs.items()
        if az is None
    ]
    provider = {"aws": {"expressions": {"region": {"constant_value": region}}}}
    lookup = {"references": ["data.aws_availability_zones.all"]}
    config = {"address": "aws_subnet.s", "expressions": {"availability_zone": lookup}}
    return Plan(
        {
            "planned_values": {"root_module": {"resources": resources}},
            "resource_changes": unknown,
            "configuration": {"provider_config": provider, "root_module": {"resources": [config]}},
        }
    )


def azs_exist(plan: Plan, ec2: Callable[[str], Any] | None = None) -> Result:
    (result,) = [r for r in Verifier(plan, Path("."), ec2).run() if r.check.id == "azs-exist"]
    return result


def test_verify_fails_on_an_az_it_cannot_see_or_a_region_it_cannot_tell() -> None:
    """Never a silent pass: an AZ unknown until apply fails, unless the subnet names none
    (AWS then picks one that exists)."""
    unknown = azs_exist(subnet_plan("eu-west-1", {"a": "eu-west-1a", "x": None}))
    assert unknown.failures == [
        'aws_subnet.s["x"]: its AZ is unknown until apply, so verify cannot prove it exists'
    ]
    chosen_by_aws = subnet_plan("eu-west-1", {"x": None})
    chosen_by_aws.data["configuration"]["root_module"]["resources"] = []
    assert azs_exist(chosen_by_aws).failures == []
    variable = azs_exist(subnet_plan(None, {"a": "eu-west-1a"}))
    assert variable.failures == [
        "provider.aws: the region is not a literal, so verify cannot tell which AZs exist"
    ]
    new_region = azs_exist(subnet_plan("eu-east-1", {"a": "eu-east-1a"}))
    assert "glueprint does not know the AZs of eu-east-1" in new_region.failures[0]


def test_verify_falls_back_to_the_table_when_the_account_cannot_be_asked() -> None:
    def unreachable(region: str) -> Any:  # a real client whose endpoint refuses connections
        return boto3.client(
            "ec2", region_name=region, endpoint_url="http://127.0.0.1:9",
            aws_access_key_id="x", aws_secret_access_key="x",
            config=BotoConfig(retries={"max_attempts": 1}, connect_timeout=2),
        )  # fmt: skip

    result = azs_exist(subnet_plan("ap-northeast-1", {"b": "ap-northeast-1b"}), unreachable)
    assert result.failures == [
        'aws_subnet.s["b"]: ap-northeast-1b is not an AZ of ap-northeast-1 '
        "(it offers ap-northeast-1a, ap-northeast-1c, ap-northeast-1d)"
    ]
    (note,) = result.notes
    assert note.startswith("could not ask the account for the AZs of ap-northeast-1")
    assert note.endswith("checked against glueprint's table of the AZs new accounts see")


# --- verify, on plans made by the real provider against the emulator ---------------------------


@pytest.fixture(scope="module")
def tokyo_stack(tmp_path_factory: pytest.TempPathFactory, terraform: Terraform) -> Path:
    stack = tmp_path_factory.mktemp("tokyo") / "stack"
    write_tree(stack, render(load_config(CONFIGS / "tokyo-3az.yaml")).files)
    return stack


def move_subnet(stack: Path, src: str, dst: str) -> None:
    """Put the Glue subnet of AZ `src` in AZ `dst`, as a hand edit of the network module."""
    path = stack / "network" / "main.tf"
    text = path.read_text()
    old = "  availability_zone       = each.key\n"
    assert text.count(old) == 1
    path.write_text(
        text.replace(old, f'  availability_zone = each.key == "{src}" ? "{dst}" : each.key\n')
    )


@pytest.mark.terraform
@pytest.mark.emulator
@pytest.mark.xdist_group("tokyo-3az")
def test_verify_refuses_a_plan_with_ap_northeast_1b(tokyo_stack: Path, tmp_path: Path) -> None:
    """One plan, verified asking the emulated account and against the table: both refuse it."""
    stack = tmp_path / "stack"
    shutil.copytree(tokyo_stack, stack)
    move_subnet(stack, "ap-northeast-1d", "ap-northeast-1b")
    with workspace(stack, emulator=True) as (workdir, emu):
        assert emu is not None
        plan = planned(TerraformRunner(workdir))
        asked = Verifier(plan, workdir, lambda region: emu.client("ec2", region)).run()
    offline = Verifier(plan, workdir).run()

    offered = "(it offers ap-northeast-1a, ap-northeast-1c, ap-northeast-1d)"
    for results, source in ((asked, "as the account lists them"), (offline, "glueprint's table")):
        (failed,) = [r for r in results if not r.passed]
        assert failed.check.id == "azs-exist"
        assert failed.failures == [
            'module.network.aws_subnet.glue["ap-northeast-1d"]: ap-northeast-1b is not an AZ '
            f"of ap-northeast-1 {offered}",
            'module.glue.aws_glue_connection.this["tokyo-net-az3"]: ap-northeast-1b is not an '
            f"AZ of ap-northeast-1 {offered}",
        ]
        assert any(source in note for note in failed.notes), failed.notes


@pytest.mark.terraform
@pytest.mark.emulator
@pytest.mark.xdist_group("tokyo-3az")
def test_tokyo_three_azs_apply_and_read_back(tokyo_stack: Path, tmp_path: Path) -> None:
    """The emulator knows ap-northeast-1's AZs and refuses others at apply: this stack applies,
    and the account holds a subnet in each of a, c, d with each connection copy in its own."""
    region = "ap-northeast-1"
    with Emulator() as emulator:
        workdir = emulator.scratch_copy(tokyo_stack, tmp_path / "scratch")
        tf = TerraformRunner(workdir)
        tf.init()
        tf.plan("tfplan")
        plan = Plan(tf.show_plan("tfplan"))
        results = Verifier(plan, workdir, lambda r: emulator.client("ec2", r)).run()
        assert [r.failures for r in results if not r.passed] == []
        assert connection_azs(plan) == dict(zip(COPIES, TOKYO, strict=True))
        tf.apply("tfplan")
        outputs = tf.outputs()

        findings = check_topology(lambda service: emulator.client(service, region), outputs)
        assert all(f.ok for f in findings), [f for f in findings if not f.ok]
        ec2, glue = emulator.client("ec2", region), emulator.client("glue", region)
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [outputs["vpc_id"]]}])
        subnet_azs = {s["SubnetId"]: s["AvailabilityZone"] for s in subnets["Subnets"]}
        placed = {}
        for name in outputs["connection_names"]:
            needs = glue.get_connection(Name=name)["Connection"]["PhysicalConnectionRequirements"]
            assert needs["AvailabilityZone"] == subnet_azs[needs["SubnetId"]], name
            placed[name] = needs["AvailabilityZone"]

    assert sorted(subnet_azs.values()) == list(TOKYO)
    assert placed == dict(zip(COPIES, TOKYO, strict=True))


def connection_azs(plan: Plan) -> dict[str, str]:
    """Connection name -> the AZ the plan gives it (each copy's is its subnet's, by reference)."""
    return {
        c.values["name"]: c.values["physical_connection_requirements"][0]["availability_zone"]
        for c in plan.of_type("aws_glue_connection")
    }
