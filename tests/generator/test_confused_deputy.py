"""Confused-deputy protection (IAM user guide, "The confused deputy problem"): every AWS service
the stack lets assume a role or write into a bucket acts only on behalf of the stack's account,
through an `aws:SourceAccount` condition, in every test config's stack."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.config.loader import load_config, load_default
from generator.rendering.render import render
from tests.conftest import CONFIGS

STACKS = [None, *sorted(CONFIGS.glob("*.yaml"))]


def statements(hcl: str) -> list[str]:
    """Bodies of the `statement { ... }` blocks of the policy documents (brace-matched)."""
    found = []
    for match in re.finditer(r"^\s*statement \{$", hcl, flags=re.MULTILINE):
        depth = 0
        for j in range(match.end() - 1, len(hcl)):
            depth += {"{": 1, "}": -1}.get(hcl[j], 0)
            if depth == 0:
                found.append(hcl[match.end() : j])
                break
    return found


@pytest.mark.parametrize("config", STACKS, ids=lambda p: "default" if p is None else p.stem)
def test_services_assume_roles_and_deliver_logs_only_for_this_account(config: Path | None) -> None:
    loaded = load_default() if config is None else load_config(config)
    files = render(loaded).files
    granted = [
        (path, body)
        for path, text in files.items()
        if path.endswith(".tf") and isinstance(text, str)
        for body in statements(text)
        if 'type        = "Service"' in body and re.search(r'"(sts:AssumeRole|s3:PutObject)"', body)
    ]

    assert granted, "no service principal found: the parser no longer matches the templates"
    for path, body in granted:
        service = re.search(r'identifiers = \["([^"]+)"\]', body)
        assert re.search(
            r'variable = "aws:SourceAccount"\s*values\s*= \[var\.account_id\]', body
        ), f"{path}: {service.group(1) if service else body}"
