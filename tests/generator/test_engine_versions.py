"""`database.version` is a major version: a minor pin would fight RDS's automatic minor upgrades
(the next plan after one would try to downgrade), so the config refuses it, naming the fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from generator.config.catalog import ENGINES
from generator.config.errors import ConfigError
from generator.config.loader import LoadedConfig, load_config
from generator.rendering.render import render


def load(tmp_path: Path, engine: str, version: str | None) -> LoadedConfig:
    text = f"project: versions\nregion: eu-west-1\ndatabase:\n  engine: {engine}\n"
    if version is not None:
        text += f'  version: "{version}"\n'
    (tmp_path / "glueprint.yaml").write_text(text)
    return load_config(tmp_path / "glueprint.yaml")


@pytest.mark.parametrize(
    ("engine", "major", "family"),
    [
        ("postgres", "16", "postgres16"),
        ("mysql", "8.0", "mysql8.0"),
        ("aurora-postgresql", "16", "aurora-postgresql16"),
        ("aurora-mysql", "8.0.mysql_aurora.3", "aurora-mysql8.0"),
    ],
)
def test_major_versions_are_the_defaults_and_render_as_given(
    tmp_path: Path, engine: str, major: str, family: str
) -> None:
    assert ENGINES[engine].default_version == major
    loaded = load(tmp_path, engine, None)
    files = render(loaded).files

    assert re.search(rf'engine_version +\= "{re.escape(major)}"\n', str(files["main.tf"]))
    assert re.search(rf'family +\= "{re.escape(family)}"\n', str(files["database/main.tf"]))


@pytest.mark.parametrize(
    ("engine", "version", "message", "fix"),
    [
        ("postgres", "16.8", "pins a minor version", "use the major version '16'"),
        ("mysql", "8.0.41", "pins a minor version", "use the major version '8.0'"),
        ("aurora-postgresql", "16.6", "pins a minor version", "use the major version '16'"),
        (
            "aurora-mysql",
            "8.0.mysql_aurora.3.08.2",
            "pins a minor version",
            "use the major version '8.0.mysql_aurora.3'",
        ),
        ("mysql", "8", "not a whole mysql major version", "use the form 8.0"),
        ("aurora-mysql", "8.0.mysql_aurora", "not a whole", "use the form 8.0.mysql_aurora.3"),
        ("aurora-mysql", "8.0", "not an Aurora MySQL version", "8.0.mysql_aurora.3"),
    ],
)
def test_minor_pins_and_partial_versions_are_refused(
    tmp_path: Path, engine: str, version: str, message: str, fix: str
) -> None:
    with pytest.raises(ConfigError) as raised:
        load(tmp_path, engine, version)
    text = str(raised.value)
    assert "database.version" in text and message in text and fix in text, text
