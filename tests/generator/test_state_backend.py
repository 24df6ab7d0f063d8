"""`state:` renders an encrypted, natively locked S3 backend; without it, `generate` warns.

The backend is exercised for real: the emulator's S3 holds the state bucket, Terraform
initialises the rendered backend against it and applies, and the state it writes is there,
encrypted with the configured key.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli.main import cli
from generator.config.loader import load_config
from generator.rendering.render import render
from generator.rendering.writer import write_tree
from generator.terraform.emulator import Emulator
from tests.conftest import Terraform

BASE = "project: statey\nregion: eu-west-1\n"
STATE = "state:\n  bucket: statey-tfstate\n  key: glueprint/prod/terraform.tfstate\n"


def write_config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "glueprint.yaml"
    path.write_text(text)
    return path


def test_state_renders_an_encrypted_locked_s3_backend(tmp_path: Path) -> None:
    key = "arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    text = BASE + STATE + f"  region: eu-central-1\n  kms_key_id: {key}\n"
    files = render(load_config(write_config(tmp_path, text))).files

    main = str(files["main.tf"])
    backend = main[main.index('backend "s3"') : main.index("}", main.index('backend "s3"'))]
    settings = dict(re.findall(r"^\s*(\w+)\s*=\s*(.+)$", backend, flags=re.MULTILINE))
    assert settings == {
        "bucket": '"statey-tfstate"',
        "key": '"glueprint/prod/terraform.tfstate"',
        "region": '"eu-central-1"',
        "encrypt": "true",
        "use_lockfile": "true",
        "kms_key_id": f'"{key}"',
    }
    assert 'required_version = ">= 1.10.0"' in str(files["versions.tf"])


def test_without_state_the_state_is_local_and_generate_warns(tmp_path: Path) -> None:
    config = write_config(tmp_path, BASE)
    result = CliRunner().invoke(cli, ["generate", "-c", str(config), "--out", str(tmp_path / "s")])

    assert result.exit_code == 0, result.output
    assert "no `state:` section" in result.stderr
    assert "backend" not in (tmp_path / "s" / "main.tf").read_text()
    assert 'required_version = ">= 1.5.0"' in (tmp_path / "s" / "versions.tf").read_text()

    config.write_text(BASE + STATE)
    again = CliRunner().invoke(cli, ["generate", "-c", str(config), "--out", str(tmp_path / "s")])
    assert again.exit_code == 0 and "state:" not in again.stderr


@pytest.mark.parametrize(
    ("state", "field", "message"),
    [
        ("{bucket: tf.state, key: a.tfstate}", "state.bucket", "no dots"),
        ("{bucket: tf_state, key: a.tfstate}", "state.bucket", "3-63 characters"),
        ("{bucket: xn--state, key: a.tfstate}", "state.bucket", "'xn--'"),
        ("{bucket: state-s3alias, key: a.tfstate}", "state.bucket", "'-s3alias'"),
        ("{bucket: tf-state, key: /a.tfstate}", "state.key", "neither starts nor ends"),
        ("{bucket: tf-state, key: env//a.tfstate}", "state.key", "no '//'"),
        ("{bucket: tf-state, key: 'a b.tfstate'}", "state.key", "safe characters"),
        ("{bucket: tf-state, key: a/../b.tfstate}", "state.key", "'..' segment"),
        ("{bucket: tf-state}", "state.key", "required field is missing"),
        ("{bucket: tf-state, key: a, region: Mars}", "state.region", "should match pattern"),
        ("{bucket: tf-state, key: a, kms_key_id: alias/tf}", "state.kms_key_id", "KMS key ARN"),
        ("{bucket: tf-state, key: a, dynamodb_table: t}", "state.dynamodb_table", "unknown key"),
    ],
)
def test_bad_state_is_refused_naming_the_field(
    tmp_path: Path, state: str, field: str, message: str
) -> None:
    config = write_config(tmp_path, BASE + f"state: {state}\n")
    result = CliRunner().invoke(cli, ["generate", "-c", str(config), "--out", str(tmp_path / "s")])

    assert result.exit_code != 0
    assert field in result.stderr and message in result.stderr, result.stderr
    assert not (tmp_path / "s").exists()


@pytest.mark.terraform
@pytest.mark.emulator
def test_backend_writes_encrypted_state_with_a_lock_file(
    tmp_path: Path, terraform: Terraform
) -> None:
    with Emulator() as emulator:
        kms = emulator.client("kms", "eu-west-1")
        key = kms.create_key(Description="state")["KeyMetadata"]["Arn"]
        s3 = emulator.client("s3", "eu-west-1")
        s3.create_bucket(
            Bucket="statey-tfstate",
            CreateBucketConfiguration={"LocationConstraint": "eu-west-1"},
        )
        config = write_config(tmp_path, BASE + STATE + f"  kms_key_id: {key}\n")
        stack = tmp_path / "stack"
        write_tree(stack, render(load_config(config)).files)
        workdir = emulator.scratch_copy(stack, tmp_path / "scratch")
        # Only the emulator's address is added; bucket, key, encryption and locking are the
        # rendered backend's own.
        terraform.run(
            workdir,
            "init",
            "-input=false",
            "-no-color",
            f'-backend-config=endpoints={{s3="{emulator.url}"}}',
            "-backend-config=insecure=true",
            "-backend-config=use_path_style=true",
            "-backend-config=skip_credentials_validation=true",
            "-backend-config=skip_requesting_account_id=true",
            "-backend-config=access_key=testing",
            "-backend-config=secret_key=testing",
        )
        terraform.run(
            workdir,
            "apply",
            "-input=false",
            "-no-color",
            "-auto-approve",
            "-target=module.kms.aws_kms_alias.this",
        )

        state = s3.head_object(Bucket="statey-tfstate", Key="glueprint/prod/terraform.tfstate")
        assert state["ServerSideEncryption"] == "aws:kms"
        assert state["SSEKMSKeyId"] == key
        assert not (workdir / "terraform.tfstate").exists()
        listed = s3.list_objects_v2(Bucket="statey-tfstate")["Contents"]
        assert [o["Key"] for o in listed] == ["glueprint/prod/terraform.tfstate"]

        # Someone else's run holds the lock: this one must refuse to touch the state.
        s3.put_object(
            Bucket="statey-tfstate",
            Key="glueprint/prod/terraform.tfstate.tflock",
            Body=b'{"ID": "held-by-another-run", "Operation": "OperationTypeApply"}',
        )
        blocked = terraform.run(
            workdir, "plan", "-input=false", "-no-color", "-lock-timeout=0s", check=False
        )
        assert blocked.returncode != 0
        assert "Error acquiring the state lock" in blocked.stderr, blocked.stderr
