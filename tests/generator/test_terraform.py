"""The rendered stacks pass the real `terraform fmt -check`, `init` and `validate`."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config.loader import load_config, load_default
from generator.rendering.render import render
from generator.rendering.writer import write_tree
from tests.conftest import CONFIGS, Terraform

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
