"""Property-based: every config the model accepts renders deterministic, fmt-stable Terraform
that `terraform validate` accepts."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.config.loader import parse_text
from generator.rendering.hclfmt import format_hcl
from generator.rendering.render import render
from generator.rendering.writer import write_tree
from tests.conftest import CONFIGS, Terraform

names = st.text(string.ascii_lowercase + string.digits, min_size=3, max_size=10).filter(
    lambda s: s[0].isalpha()
)


def key_arn(region: str) -> str:
    """An existing KMS key of the stack's region."""
    return f"arn:aws:kms:{region}:123456789012:key/aaaabbbb-cccc-dddd-eeee-ffff00001111"


@st.composite
def storage(draw: st.DrawFn, region: str) -> dict[str, Any]:
    """The endpoint-only switch, and buckets the stack does not own, with or without a key."""
    external = [
        {"name": f"lake-{i}", "access": access, "kms_key_arn": key_arn(region) if keyed else None}
        for i, (access, keyed) in enumerate(
            draw(st.lists(st.tuples(st.sampled_from(["read", "read_write"]), st.booleans())))
        )
    ]
    return {"vpc_endpoint_only": draw(st.booleans()), "external_buckets": external}


@st.composite
def jobs(draw: st.DrawFn, name: str, connections: list[str]) -> dict[str, Any]:
    command = draw(st.sampled_from(["glueetl", "gluestreaming", "pythonshell"]))
    job: dict[str, Any] = {
        "name": name,
        "script": "jobs/extract.py",
        "command": command,
        "connections": draw(st.permutations(connections)),
        "continuous_logging": draw(st.booleans()),
        "metrics": draw(st.booleans()),
    }
    if command == "pythonshell":
        job.update(max_capacity=draw(st.sampled_from([0.0625, 1.0])))
    else:
        types = (
            ["G.1X", "G.2X", "G.4X", "G.8X"] if command == "glueetl" else ["G.025X", "G.1X", "G.2X"]
        )
        job.update(
            worker_type=draw(st.sampled_from(types)),
            workers=draw(st.integers(2, 10)),
            glue_version=draw(st.sampled_from(["3.0", "4.0", "5.0", "5.1", "6.0"])),
        )
    if command == "glueetl":
        job.update(bookmarks=draw(st.booleans()), catalog=draw(st.booleans()))
        if job["worker_type"] in ("G.1X", "G.2X") and draw(st.booleans()):
            job["execution_class"] = "FLEX"
    if draw(st.booleans()):
        job["arguments"] = {"--window_days": str(draw(st.integers(1, 30))), "--mode": "full"}
    return job


@st.composite
def configs(draw: st.DrawFn) -> dict[str, Any]:
    engine = draw(st.sampled_from([None, "postgres", "mysql", "aurora-postgresql", "aurora-mysql"]))
    region = draw(st.sampled_from(["eu-west-1", "us-east-1", "ap-southeast-2"]))
    connections = [{"name": "net", "type": "NETWORK", "per_az": draw(st.booleans())}]
    if engine:
        connections.append({"name": "db", "type": "JDBC", "per_az": draw(st.booleans())})
    job_names = draw(st.lists(names, max_size=3, unique=True))
    config: dict[str, Any] = {
        "project": draw(names),
        "region": region,
        "tags": draw(st.dictionaries(st.sampled_from(["Team", "Env", "Cost"]), names, max_size=2)),
        "network": {"az_count": draw(st.integers(2, 3))},  # each region offers 3 or more
        "connections": connections,
        "jobs": [draw(jobs(n, [c["name"] for c in connections])) for n in job_names],
        "glue": {
            "catalog_encryption": draw(
                st.sampled_from([{}, {"enabled": True}, {"kms_key_arn": key_arn(region)}])
            )
        },
        "storage": draw(storage(region)),
    }
    if engine:
        config["database"] = {"engine": engine, "multi_az": draw(st.booleans())}
    return config


def load(config: dict[str, Any]):  # type: ignore[no-untyped-def]
    return parse_text(yaml.safe_dump(config), CONFIGS, "property.yaml")


@settings(max_examples=60, deadline=None)
@given(config=configs())
def test_valid_configs_render_deterministic_fmt_stable_hcl(config: dict[str, Any]) -> None:
    files = render(load(config)).files
    assert files == render(load(config)).files
    for path, text in files.items():
        if path.endswith(".tf"):
            body = text.split("\n", 2)[2]
            assert format_hcl(body) == body.lstrip("\n"), path


@pytest.mark.terraform
@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(config=configs())
def test_valid_configs_render_terraform_that_validates(
    config: dict[str, Any], terraform: Terraform, tmp_path_factory: pytest.TempPathFactory
) -> None:
    stack: Path = tmp_path_factory.mktemp("property")
    write_tree(stack, render(load(config)).files)
    terraform.run(stack, "init", "-backend=false", "-input=false")
    result = terraform.run(stack, "validate", "-json", check=False)
    assert '"valid": true' in result.stdout, result.stdout
