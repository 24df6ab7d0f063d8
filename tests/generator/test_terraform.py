"""The rendered stacks pass the real `terraform fmt -check`, `init` and `validate`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.config.loader import load_config, load_default
from generator.rendering.render import render
from generator.rendering.writer import write_tree
from tests.conftest import CONFIGS, Terraform
from tests.generator.config_variants import SPACED_CONNECTIONS, spaced_names_project

pytestmark = pytest.mark.terraform

STACKS = ["default", *sorted(p.stem for p in CONFIGS.glob("*.yaml"))]


@pytest.mark.parametrize("name", STACKS)
def test_rendered_stack_is_fmt_clean_and_validates(
    name: str, terraform: Terraform, tmp_path: Path
) -> None:
    loaded = load_default() if name == "default" else load_config(CONFIGS / f"{name}.yaml")
    write_tree(tmp_path, render(loaded).files)

    fmt = terraform.run(tmp_path, "fmt", "-check", "-recursive", "-diff", check=False)
    assert fmt.returncode == 0, f"not fmt-clean:\n{fmt.stdout}"

    terraform.run(tmp_path, "init", "-backend=false", "-input=false", "-no-color")
    validate = terraform.run(tmp_path, "validate", "-json", check=False)
    assert '"valid": true' in validate.stdout, validate.stdout
    assert '"warning_count": 0' in validate.stdout, validate.stdout


def test_connection_names_glue_allows_validate_and_jobs_attach_them_by_name(
    terraform: Terraform, tmp_path: Path
) -> None:
    """Names with spaces and '|' are map keys (quoted strings), never HCL identifiers."""
    loaded = load_config(spaced_names_project(tmp_path))
    stack = tmp_path / "stack"
    write_tree(stack, render(loaded).files)

    terraform.run(stack, "init", "-backend=false", "-input=false", "-no-color")
    validate = terraform.run(stack, "validate", "-json", check=False)
    assert '"valid": true' in validate.stdout, validate.stdout

    rds, net = SPACED_CONNECTIONS
    wired = [rds, f"{rds}-az2", net, f"{net}-az2"]
    assert f"connections         = {json.dumps(wired)}" in (stack / "main.tf").read_text()
    readme = (stack / "README.md").read_text()
    assert "| `s3 \\| net-az2` | NETWORK | eu-west-1b |" in readme  # '|' kept out of the table
