"""The provider pin and its lock file: the stack admits only the tested minor series, and the
lock file Terraform writes for it is byte-stable, so it can be committed beside the stack.

glueprint does not write the lock file: Terraform owns it (`init` records what it installs and
`providers lock -platform=...` adds other platforms' hashes, which a regeneration must not undo).
"""

from __future__ import annotations

import re
from pathlib import Path

from generator.config.loader import load_default
from generator.rendering.render import render
from generator.rendering.writer import write_tree
from generator.terraform.runner import find_mirror
from tests.conftest import Terraform

LOCK = ".terraform.lock.hcl"


def test_every_module_pins_the_tested_minor_series() -> None:
    files = render(load_default()).files
    pins = {
        path: re.findall(r'^\s+version = "([^"]+)"', str(text), flags=re.MULTILINE)
        for path, text in files.items()
        if path.endswith("versions.tf")
    }
    assert len(pins) > 1 and set(map(tuple, pins.values())) == {("~> 5.100.0",)}, pins
    assert LOCK not in files


def test_lock_file_for_the_mirror_is_byte_stable_and_kept_by_init(
    tmp_path: Path, terraform: Terraform
) -> None:
    mirror = find_mirror()
    assert mirror is not None
    stack = tmp_path / "stack"
    write_tree(stack, render(load_default()).files)
    lock = ["providers", "lock", f"-fs-mirror={mirror}", "-platform=linux_amd64"]

    terraform.run(stack, "init", "-backend=false", "-input=false", "-no-color")
    first = (stack / LOCK).read_bytes()
    terraform.run(stack, *lock)
    assert (stack / LOCK).read_bytes() == first, "init and providers lock record the same"
    terraform.run(stack, "init", "-backend=false", "-input=false", "-no-color")
    assert (stack / LOCK).read_bytes() == first
    text = first.decode()
    assert 'provider "registry.terraform.io/hashicorp/aws"' in text
    assert 'version     = "5.100.0"' in text
    assert 'constraints = "~> 5.100.0"' in text
    assert re.search(r'"h1:[A-Za-z0-9+/=]{44}"', text)

    # Regenerating leaves Terraform's file alone.
    write_tree(stack, render(load_default()).files)
    assert (stack / LOCK).read_bytes() == first
