"""RDS's automatic minor upgrades do not fight the plan: applied on the emulator, upgraded there
the way RDS does in a maintenance window, and planned again, the stack plans no change.

The stack configures the major version only ("16"); the provider compares it with the running
version as a prefix (`engine_version_actual`). A pinned minor, put back by hand as the control,
plans the downgrade that RDS would refuse.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest

from generator.config.loader import load_config
from generator.rendering.render import render
from generator.rendering.writer import write_tree
from generator.terraform.emulator import Emulator
from generator.terraform.plan import Plan
from generator.terraform.runner import Terraform
from tests.conftest import Terraform as TerraformFixture

pytestmark = [pytest.mark.terraform, pytest.mark.emulator]

CONFIG = """\
project: drift
region: eu-west-1
database:
  engine: postgres
  multi_az: false
  performance_insights: false
  monitoring_interval: 0
"""
DB = "module.database.aws_db_instance.this"


def database_change(plan: Plan) -> dict[str, Any]:
    """The plan's change to the database instance. Only it is asserted on: moto answers some
    unrelated reads (security group rules, parameter groups) in ways that plan updates."""
    (change,) = [c["change"] for c in plan.data["resource_changes"] if c["address"] == DB]
    return dict(change)


def test_minor_upgrade_by_rds_plans_no_change(terraform: TerraformFixture) -> None:
    with Emulator() as emulator, tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "glueprint.yaml").write_text(CONFIG)
        loaded = load_config(Path(tmp) / "glueprint.yaml")
        stack = Path(tmp) / "stack"
        write_tree(stack, render(loaded).files)
        workdir = emulator.scratch_copy(stack, Path(tmp) / "scratch")
        tf = Terraform(workdir)
        tf.init()
        tf.plan("tfplan")
        (planned,) = Plan(tf.show_plan("tfplan")).of_type("aws_db_instance")
        assert planned.values["engine_version"] == "16"
        assert planned.values["auto_minor_version_upgrade"] is True
        tf.apply("tfplan")

        rds = emulator.client("rds", loaded.config.region)
        (instance,) = rds.describe_db_instances()["DBInstances"]
        rds.modify_db_instance(
            DBInstanceIdentifier=instance["DBInstanceIdentifier"],
            EngineVersion="16.9",
            ApplyImmediately=True,
        )
        (upgraded,) = rds.describe_db_instances()["DBInstances"]
        assert upgraded["EngineVersion"] == "16.9"

        tf.plan("after-upgrade")
        after_upgrade = database_change(Plan(tf.show_plan("after-upgrade")))
        assert after_upgrade["actions"] == ["no-op"]
        assert after_upgrade["after"]["engine_version_actual"] == "16.9"

        main = workdir / "main.tf"
        pinned_text, count = re.subn(r'(engine_version\s+=\s+)"16"', r'\1"16.8"', main.read_text())
        assert count == 1
        main.write_text(pinned_text)
        tf.plan("pinned")
        pinned = database_change(Plan(tf.show_plan("pinned")))
        assert pinned["actions"] == ["update"], "the control: a pinned minor plans a downgrade"
        # From the running 16.9 to 16.8: the downgrade RDS would refuse.
        assert pinned["before"]["engine_version_actual"] == "16.9"
        assert pinned["after"]["engine_version"] == "16.8"
