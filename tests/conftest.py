"""Shared fixtures: the real terraform binary pointed at the machine's provider mirror."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator.terraform.runner import find_mirror, terraform_env

REPO = Path(__file__).resolve().parent.parent
CONFIGS = REPO / "tests" / "configs"


def require(condition: bool, reason: str) -> None:
    """Skip for a missing tool outside CI; in CI (CI=true) a missing tool is a failure."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must provide it)")
    pytest.skip(reason)


class Terraform:
    """Runs the real terraform binary with a CLI config that installs from the local mirror."""

    def __init__(self, binary: str, env: dict[str, str]) -> None:
        self.binary = binary
        self.env = env

    def run(self, cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        proc = subprocess.run(
            [self.binary, *args],
            cwd=cwd,
            env=self.env,
            text=True,
            capture_output=True,
            timeout=600,
            check=False,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"terraform {' '.join(args)} failed in {cwd}:\n{proc.stdout}\n{proc.stderr}"
            )
        return proc


@pytest.fixture(scope="session")
def terraform(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Terraform]:
    """The terraform binary, with TF_CLI_CONFIG_FILE set for this process (the CLI uses it too)."""
    binary = shutil.which("terraform")
    require(binary is not None, "terraform is not on PATH")
    require(
        find_mirror() is not None,
        "no hashicorp/aws provider mirror found (set GLUEPRINT_TF_MIRROR)",
    )
    assert binary is not None
    with pytest.MonkeyPatch.context() as patch:
        patch.delenv("TF_CLI_CONFIG_FILE", raising=False)
        env = terraform_env(cache_dir=tmp_path_factory.mktemp("terraform"))
        patch.setenv("TF_CLI_CONFIG_FILE", env["TF_CLI_CONFIG_FILE"])
        yield Terraform(binary, env)
