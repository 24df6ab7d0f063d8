"""The catalogue of bad configs in tests/configs/bad: each is refused cleanly, writing nothing.

Every file starts with `# expect: FIELD PATH | MESSAGE FRAGMENT`. Running `glueprint generate`
on it must exit 2 with one message naming that field and a fix, print no traceback, and leave an
existing output directory byte-for-byte as it was.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from generator.cli.main import cli
from generator.config.loader import load_default
from generator.rendering.render import render
from generator.rendering.writer import write_tree
from tests.conftest import CONFIGS

BAD = sorted((CONFIGS / "bad").glob("*.yaml"))


def expectation(config: Path) -> tuple[str, str]:
    first = config.read_text().splitlines()[0]
    assert first.startswith("# expect: "), f"{config.name} lacks its expectation line"
    path, words = first.removeprefix("# expect: ").split(" | ")
    return path.replace("<file>", config.name), words


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_catalogue_is_large_enough() -> None:
    assert len(BAD) >= 30


@pytest.mark.parametrize("config", BAD, ids=[p.stem for p in BAD])
def test_bad_config_exits_2_names_the_field_and_changes_nothing(
    config: Path, tmp_path: Path
) -> None:
    path, words = expectation(config)
    out = tmp_path / "stack"
    write_tree(out, render(load_default()).files)
    before = snapshot(out)

    result = CliRunner().invoke(cli, ["generate", "--config", str(config), "--out", str(out)])

    assert result.exit_code == 2, result.output
    problems = [line for line in result.stderr.splitlines() if line.startswith(path)]
    assert any(words in line for line in problems), result.stderr
    assert "fix:" in result.stderr and "Traceback" not in result.stderr
    assert snapshot(out) == before
