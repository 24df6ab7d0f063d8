"""Writing a stack: all or nothing, idempotent, and the user's own files survive."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.loader import load_config, load_default
from generator.render import render
from generator.writer import write_tree
from tests.conftest import CONFIGS


def snapshot(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_second_write_changes_nothing(tmp_path: Path) -> None:
    files = render(load_default()).files
    first = write_tree(tmp_path, files)
    before = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    second = write_tree(tmp_path, files)
    assert len(first.written) == len(files) and second.written == []
    assert sorted(second.unchanged) == sorted(files)
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()} == before


def test_failure_while_staging_leaves_directory_as_it_was(tmp_path: Path) -> None:
    write_tree(tmp_path, render(load_default()).files)
    before = snapshot(tmp_path)
    changed = dict(render(load_config(CONFIGS / "mysql.yaml")).files)
    changed["zz/broken.tf"] = None  # type: ignore[assignment]  # fails after others are staged
    with pytest.raises(TypeError):
        write_tree(tmp_path, changed)
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "zz").exists()


def test_user_files_survive_and_stale_generated_files_go(tmp_path: Path) -> None:
    write_tree(tmp_path, render(load_default()).files)
    (tmp_path / "terraform.tfstate").write_text("{}")
    (tmp_path / "notes.md").write_text("my notes")
    (tmp_path / ".terraform").mkdir()
    (tmp_path / ".terraform" / "x").write_text("provider cache")
    result = write_tree(tmp_path, render(load_config(CONFIGS / "no-database.yaml")).files)
    assert "database/main.tf" in result.removed and "endpoints/main.tf" in result.removed
    assert not (tmp_path / "database").exists() and not (tmp_path / "endpoints").exists()
    assert not (tmp_path / "scripts" / "my-glue-job.py").exists()
    assert (tmp_path / "terraform.tfstate").read_text() == "{}"
    assert (tmp_path / "notes.md").read_text() == "my notes"
    assert (tmp_path / ".terraform" / "x").exists()


def test_written_files_get_normal_permissions(tmp_path: Path) -> None:
    write_tree(tmp_path, {"main.tf": "# x\n"})
    assert (tmp_path / "main.tf").stat().st_mode & 0o044 == 0o044  # readable by group/other
