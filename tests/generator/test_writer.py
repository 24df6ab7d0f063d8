"""Writing a stack: all or nothing, idempotent, and the user's own files survive."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config.loader import load_config, load_default
from generator.rendering.provenance import was_edited
from generator.rendering.render import render
from generator.rendering.writer import HandEditedError, write_tree
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


def test_hand_edited_file_is_not_overwritten_without_force(tmp_path: Path) -> None:
    files = render(load_default()).files
    write_tree(tmp_path, files)
    main = tmp_path / "network" / "main.tf"
    edited = main.read_text().replace("enable_dns_hostnames = true", "enable_dns_hostnames = false")
    main.write_text(edited)
    before = snapshot(tmp_path)
    with pytest.raises(HandEditedError) as info:
        write_tree(tmp_path, render(load_config(CONFIGS / "mysql.yaml")).files)
    assert list(info.value.diffs) == ["network/main.tf"]
    assert "-  enable_dns_hostnames = false" in info.value.diffs["network/main.tf"]
    assert snapshot(tmp_path) == before
    write_tree(tmp_path, files, force=True)
    assert main.read_text() == files["network/main.tf"]


def test_hand_edited_stale_file_is_not_removed_without_force(tmp_path: Path) -> None:
    write_tree(tmp_path, render(load_default()).files)
    db = tmp_path / "database" / "main.tf"
    db.write_text(db.read_text() + "\n# my tweak\n")
    with pytest.raises(HandEditedError):
        write_tree(tmp_path, render(load_config(CONFIGS / "no-database.yaml")).files)
    assert db.exists()


def test_checksum_covers_the_body() -> None:
    text = render(load_default()).files["main.tf"]
    assert not was_edited(text)
    assert was_edited(text.replace('region = "eu-west-1"', 'region = "us-east-1"'))
    assert not was_edited("# a file of the user's\n")
