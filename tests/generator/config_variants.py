"""Config variants for the validation tests: the default config with dotted-path edits."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.config.errors import ConfigError
from generator.config.loader import LoadedConfig, default_config_dir, parse_text

BASE: dict[str, Any] = yaml.safe_load((default_config_dir() / "glueprint.yaml").read_text())


def parse(data: dict[str, Any], base_dir: Path | None = None) -> LoadedConfig:
    return parse_text(yaml.safe_dump(data), base_dir or default_config_dir(), "glueprint.yaml")


def variant(*edits: tuple[str, Any]) -> dict[str, Any]:
    """The default config with dotted-path edits applied (`jobs.0.workers`; None deletes)."""
    data = copy.deepcopy(BASE)
    for path, value in edits:
        *parents, last = path.split(".")
        node: Any = data
        for part in parents:
            node = node[int(part)] if isinstance(node, list) else node.setdefault(part, {})
        key: Any = int(last) if isinstance(node, list) else last
        if value is None:
            del node[key]
        else:
            node[key] = value
    return data


def problems(data: dict[str, Any]) -> list[tuple[str, str, str]]:
    with pytest.raises(ConfigError) as info:
        parse(data)
    return [(p.path, p.message, p.fix) for p in info.value.problems]


def assert_rejected(data: dict[str, Any], path: str, words: str) -> None:
    found = problems(data)
    assert any(p == path and words in m for p, m, _ in found), found
    assert all(fix for _, _, fix in found), "every problem needs a fix"


SPACED_CONNECTIONS = ["my rds connection", "s3 | net"]
"""Connection names Glue accepts that are no HCL identifier (nor safe in a Markdown table)."""


def spaced_names_project(root: Path) -> Path:
    """A config whose connections are named SPACED_CONNECTIONS, with its job script; its path."""
    (root / "jobs").mkdir(parents=True)
    (root / "jobs" / "load.py").write_text('print("load")\n')
    config = {
        "project": "spaced",
        "region": "eu-west-1",
        "database": {"engine": "postgres"},
        "connections": [
            {"name": SPACED_CONNECTIONS[0], "type": "JDBC"},
            {"name": SPACED_CONNECTIONS[1], "type": "NETWORK"},
        ],
        "jobs": [{"name": "load", "script": "jobs/load.py"}],
    }
    path = root / "glueprint.yaml"
    path.write_text(yaml.safe_dump(config))
    return path
