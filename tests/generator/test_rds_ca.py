"""`database.ca_certificate`: the stack gives Glue jobs the CA that signed its database.

The config tests generate CAs (tests/etl/tls_certs.py, and openssl for a SHA-1 one, which the
cryptography package no longer signs) into tmp and run `glueprint generate` on them. The
rendering test plans a stack with a CA offline with the real terraform, as
test_iam_parliament.py does, and reads the plan: the uploaded object, the connection's
CUSTOM_JDBC_CERT and the job role's grant on it, and parliament on every policy of that stack.
"""

from __future__ import annotations

import fnmatch
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import parliament
import pytest
import yaml
from click.testing import CliRunner

from generator.cli.main import cli
from generator.config.loader import load_config
from generator.rendering.render import render
from generator.rendering.writer import write_tree
from tests.conftest import CONFIGS, Terraform
from tests.etl import tls_certs
from tests.generator.test_iam_parliament import (
    ACCEPTED,
    planned_changes,
    policies,
    secrets_endpoint,  # noqa: F401 (the fixture planned_changes needs)
)

CA_FILE = "certs/rds-eu-west-1-rsa2048-g1.pem"


def write_config(directory: Path, ca_pem: str | None) -> Path:
    """A stack with a PostgreSQL database, one JDBC connection and one job, next to its CA."""
    (directory / "jobs").mkdir(parents=True, exist_ok=True)
    (directory / "jobs" / "extract.py").write_text((CONFIGS / "jobs" / "extract.py").read_text())
    database: dict[str, Any] = {"engine": "postgres"}
    if ca_pem is not None:
        (directory / "certs").mkdir(exist_ok=True)
        (directory / CA_FILE).write_text(ca_pem)
        database["ca_certificate"] = CA_FILE
    config = {
        "project": "catalogue",
        "region": "eu-west-1",
        "database": database,
        "connections": [{"name": "db", "type": "JDBC", "per_az": False}],
        "jobs": [{"name": "load", "script": "jobs/extract.py"}],
    }
    path = directory / "glueprint.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def generate(config: Path, out: Path) -> Any:
    return CliRunner().invoke(cli, ["generate", "--config", str(config), "--out", str(out)])


def sha1_ca(directory: Path) -> str:
    key, cert = directory / "sha1.key", directory / "sha1.pem"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-sha1", "-nodes", "-days", "1"),
            *("-keyout", str(key), "-out", str(cert), "-subj", "/CN=glueprint test SHA-1 CA"),
            *("-addext", "basicConstraints=critical,CA:TRUE"),
        ],
        check=True,
        capture_output=True,
    )
    return cert.read_text()


@pytest.fixture(scope="module")
def authority() -> tls_certs.Authority:
    return tls_certs.authority("glueprint test RDS root CA")


@pytest.mark.parametrize(
    ("pem", "words"),
    [
        (lambda ca, tmp: ca.issue(["db.example.internal"]).cert_pem, "is not a CA certificate"),
        (lambda ca, tmp: ca.cert_pem + ca.cert_pem, "holds 2 certificates"),
        (lambda ca, tmp: sha1_ca(tmp), "is not signed with SHA256withRSA"),
    ],
    ids=["not-a-ca", "two-certificate-bundle", "sha1-signed"],
)
def test_a_ca_glue_or_etl_would_refuse_is_a_config_error(
    pem: Any, words: str, authority: tls_certs.Authority, tmp_path: Path
) -> None:
    config = write_config(tmp_path / "project", pem(authority, tmp_path))

    result = generate(config, tmp_path / "stack")

    assert result.exit_code == 2, result.output
    (problem,) = [line for line in result.stderr.splitlines() if line.startswith("database.")]
    assert problem.startswith("database.ca_certificate: ") and words in problem
    assert "fix: " in result.stderr and "eu-west-1 Root CA RSA2048 G1" in result.stderr
    assert not (tmp_path / "stack").exists()


def test_without_a_ca_generate_warns_how_to_get_it(tmp_path: Path) -> None:
    result = generate(write_config(tmp_path / "project", None), tmp_path / "stack")

    assert result.exit_code == 0, result.output
    warning = " ".join(result.stderr.split())
    assert "warning: no `database.ca_certificate`" in warning
    assert "eu-west-1/eu-west-1-bundle.pem" in warning
    assert "Root CA RSA2048 G1" in warning
    assert "CUSTOM_JDBC_CERT" not in (tmp_path / "stack" / "glue" / "main.tf").read_text()


def test_with_a_ca_generate_copies_it_and_does_not_warn(
    authority: tls_certs.Authority, tmp_path: Path
) -> None:
    result = generate(write_config(tmp_path / "project", authority.cert_pem), tmp_path / "stack")

    assert result.exit_code == 0, result.output
    assert "ca_certificate" not in result.stderr
    assert (tmp_path / "stack" / CA_FILE).read_text() == authority.cert_pem


@pytest.fixture(scope="module")
def planned(
    authority: tls_certs.Authority,
    terraform: Terraform,
    tmp_path_factory: pytest.TempPathFactory,
    secrets_endpoint: str,  # noqa: F811
) -> list[dict[str, Any]]:
    """The offline plan of a stack with a CA (resource changes)."""
    loaded = load_config(write_config(tmp_path_factory.mktemp("project"), authority.cert_pem))
    stack = tmp_path_factory.mktemp("stack")
    write_tree(stack, render(loaded).files)
    return planned_changes(stack, loaded.config.region, terraform, secrets_endpoint)


def after(changes: list[dict[str, Any]], address: str) -> dict[str, Any]:
    (found,) = [c["change"] for c in changes if c["address"] == address]
    return {"after": found["after"], "unknown": found["after_unknown"]}


def role_statements(changes: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    policy = after(changes, "module.glue.aws_iam_role_policy.this")["after"]["policy"]
    yield from json.loads(policy)["Statement"]


@pytest.mark.terraform
@pytest.mark.xdist_group("iam")
def test_the_stack_uploads_the_ca_and_the_connection_names_it(
    planned: list[dict[str, Any]],
) -> None:
    scripts = after(planned, 'module.storage.aws_s3_bucket.this["scripts"]')["after"]
    uploaded = after(planned, "module.storage.aws_s3_object.ca_certificate")["after"]
    assert uploaded["key"] == CA_FILE
    assert uploaded["bucket"] == scripts["id"]  # an override's placeholder for the bucket's id
    assert uploaded["kms_key_id"].startswith("arn:aws:kms:eu-west-1:123456789012:key/")

    connection = after(planned, 'module.glue.aws_glue_connection.this["db"]')
    properties = connection["after"]["connection_properties"]
    assert properties["JDBC_ENFORCE_SSL"] == "true"
    assert properties["CUSTOM_JDBC_CERT"] == f"s3://{scripts['bucket']}/{CA_FILE}"
    assert scripts["bucket"] == "catalogue-scripts-123456789012"


@pytest.mark.terraform
@pytest.mark.xdist_group("iam")
def test_the_job_role_may_read_the_ca_and_the_policies_pass_parliament(
    planned: list[dict[str, Any]],
) -> None:
    # The override gives every bucket this ARN (test_iam_parliament.placeholders), so the
    # statement is told apart by its Sid.
    ca_arn = f"arn:aws:s3:::placeholder-bucket/{CA_FILE}"
    readers = [
        s["Sid"]
        for s in role_statements(planned)
        if s["Effect"] == "Allow"
        and "s3:GetObject" in s["Action"]
        and any(fnmatch.fnmatchcase(ca_arn, r) for r in s["Resource"])
    ]
    assert "ReadScripts" in readers  # the scripts bucket, where the CA is uploaded
    rejected = [
        f"{address}: {finding.issue}"
        for address, kind, document in policies(planned)
        for finding in parliament.analyze_policy_string(
            document, include_community_auditors=True
        ).findings
        if (kind, finding.issue) not in ACCEPTED
    ]
    assert rejected == []
