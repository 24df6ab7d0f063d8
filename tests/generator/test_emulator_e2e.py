"""End to end on the local AWS emulator: generate, init, validate, plan, verify, apply, read back.

Slow by nature (the AWS provider waits ~80 s for each emulated RDS instance), so there are two:
the default stack through the `glueprint apply --emulator` command a user runs, and the MySQL
stack step by step through the Python API, asserting the topology read back with boto3 and that
etl's resolver reads the database's CA (a test CA) through the connection the stack made.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from etl.connections import AwsConnectionResolver
from generator.cli.main import cli
from generator.config.loader import parse_text
from generator.rendering.render import render
from generator.rendering.writer import write_tree
from generator.terraform.emulator import Emulator
from generator.terraform.plan import Plan
from generator.terraform.runner import Terraform
from generator.terraform.topology import check_topology
from generator.terraform.verify import Verifier
from tests.conftest import CONFIGS
from tests.conftest import Terraform as TerraformFixture
from tests.etl import tls_certs

pytestmark = [pytest.mark.terraform, pytest.mark.emulator]


def test_apply_default_stack_on_the_emulator(tmp_path: Path, terraform: TerraformFixture) -> None:
    runner = CliRunner()
    stack = tmp_path / "stack"
    assert runner.invoke(cli, ["generate", "--out", str(stack)]).exit_code == 0

    result = runner.invoke(cli, ["apply", str(stack), "--emulator"])

    assert result.exit_code == 0, result.output + result.stderr
    assert "Topology read back from the emulated account" in result.stdout
    assert "FAIL" not in result.stdout
    for name in ("my-s3-vpc-connection", "my-rds-vpc-connection-az2", "db_secret_arn"):
        assert name in result.stdout
    assert not (stack / ".terraform").exists(), "the emulator must work on a scratch copy"
    assert not list(stack.glob("*override*")), "no override file in the user's stack"


class EmulatedSession:
    """What etl's resolver uses of a boto3 session, pointed at the emulator."""

    def __init__(self, emulator: Emulator, region: str) -> None:
        self._emulator, self.region_name = emulator, region

    def client(self, service: str) -> Any:
        return self._emulator.client(service, self.region_name)


def test_mysql_stack_step_by_step(terraform: TerraformFixture, tmp_path: Path) -> None:
    ca = tls_certs.authority("glueprint test RDS root CA")
    (tmp_path / "rds-ca.pem").write_text(ca.cert_pem)
    data = yaml.safe_load((CONFIGS / "mysql.yaml").read_text())
    data["database"]["ca_certificate"] = str(tmp_path / "rds-ca.pem")
    loaded = parse_text(yaml.safe_dump(data), CONFIGS, "mysql.yaml")
    with Emulator() as emulator, tempfile.TemporaryDirectory() as tmp:
        stack = Path(tmp) / "stack"
        write_tree(stack, render(loaded).files)
        workdir = emulator.scratch_copy(stack, Path(tmp) / "scratch")
        tf = Terraform(workdir)
        tf.init()
        assert tf.validate()["valid"] is True
        tf.plan("tfplan")
        results = Verifier(Plan(tf.show_plan("tfplan")), workdir).run()
        assert all(r.passed for r in results), [r.failures for r in results if not r.passed]
        tf.apply("tfplan")
        outputs = tf.outputs()

        findings = check_topology(lambda s: emulator.client(s, loaded.config.region), outputs)

        assert all(f.ok for f in findings), [f for f in findings if not f.ok]
        checks = {f.check for f in findings}
        assert {
            "route tables",
            "Glue security group",
            "DB subnet group",
            "RDS not public",
            "Glue connections",
            "Glue jobs",
        } <= checks
        assert outputs["connection_names"] == ["shop-db"]
        rds = emulator.client("rds", loaded.config.region)
        (instance,) = rds.describe_db_instances()["DBInstances"]
        assert instance["PubliclyAccessible"] is False and instance["StorageEncrypted"] is True
        glue = emulator.client("glue", loaded.config.region)
        props = glue.get_connection(Name="shop-db")["Connection"]["ConnectionProperties"]
        assert props["JDBC_ENFORCE_SSL"] == "true" and "PASSWORD" not in props
        assert props["SECRET_ID"] == outputs["db_glue_user_secret_arn"]  # not the master's
        assert props["JDBC_CONNECTION_URL"].startswith("jdbc:mysql://")
        assert props["JDBC_CONNECTION_URL"].endswith(":3306/shop")
        scripts = outputs["buckets"]["scripts"]
        assert props["CUSTOM_JDBC_CERT"] == f"s3://{scripts}/certs/rds-ca.pem"
        resolved = AwsConnectionResolver(EmulatedSession(emulator, loaded.config.region))
        assert resolved.resolve("shop-db").trust.ca_pem == ca.cert_pem  # read from S3, checked
        assert_password_never_leaves_secrets_manager(
            emulator, loaded.config.region, outputs, workdir, tf
        )


def assert_password_never_leaves_secrets_manager(
    emulator: Emulator, region: str, outputs: dict[str, Any], workdir: Path, tf: Terraform
) -> None:
    """The database passwords (the master's and the Glue user's) exist only in Secrets Manager:
    not in generated files, the plan, the state, the outputs, the Glue connections or the job
    arguments."""
    secrets = emulator.client("secretsmanager", region)
    passwords = [
        json.loads(secrets.get_secret_value(SecretId=outputs[name])["SecretString"])["password"]
        for name in ("db_secret_arn", "db_glue_user_secret_arn")
    ]
    assert all(len(password) >= 8 for password in passwords)
    glue = emulator.client("glue", region)
    places = {
        "plan": json.dumps(tf.show_plan("tfplan")),
        "outputs": json.dumps(outputs),
        "connections": json.dumps(
            [
                glue.get_connection(Name=n, HidePassword=False)["Connection"]
                for n in outputs["connection_names"]
            ],
            default=str,
        ),
        "job arguments": json.dumps(
            [glue.get_job(JobName=j)["Job"].get("DefaultArguments") for j in outputs["job_names"]]
        ),
    }
    for path in workdir.rglob("*"):
        if path.is_file() and ".terraform" not in path.parts:
            places[str(path.relative_to(workdir))] = path.read_text(errors="replace")
    assert "terraform.tfstate" in places
    leaks = [where for where, text in places.items() for p in passwords if p in text]
    assert not leaks, f"a database password appears in {leaks}"
