"""Shared fixtures: the real terraform binary pointed at the machine's provider mirror."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CONFIGS = REPO / "tests" / "configs"
MIRROR_CANDIDATES = (
    os.environ.get("GLUEPRINT_TF_MIRROR", ""),
    "/opt/tf-plugins",
    str(Path.home() / ".terraform.d" / "plugins"),
    "/usr/share/terraform/plugins",
)


def require(condition: bool, reason: str) -> None:
    """Skip for a missing tool outside CI; in CI (CI=true) a missing tool is a failure."""
    if condition:
        return
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must provide it)")
    pytest.skip(reason)


def _mirror() -> Path | None:
    for candidate in MIRROR_CANDIDATES:
        if candidate and (Path(candidate) / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
            return Path(candidate)
    return None


class Terraform:
    """Runs the real terraform binary with a CLI config that installs from the local mirror."""

    def __init__(self, binary: str, cli_config: Path) -> None:
        self.binary = binary
        self.env = {
            **os.environ,
            "TF_CLI_CONFIG_FILE": str(cli_config),
            "TF_IN_AUTOMATION": "1",
            "CHECKPOINT_DISABLE": "1",
        }

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
    binary = shutil.which("terraform")
    require(binary is not None, "terraform is not on PATH")
    mirror = _mirror()
    require(mirror is not None, "no hashicorp/aws provider mirror found (set GLUEPRINT_TF_MIRROR)")
    assert binary is not None and mirror is not None
    home = tmp_path_factory.mktemp("terraform")
    cache = home / "plugin-cache"
    cache.mkdir()
    cli_config = home / "cli.tfrc"
    cli_config.write_text(
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/*"]\n  }\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n'
        f'plugin_cache_dir = "{cache}"\n'
    )
    yield Terraform(binary, cli_config)
