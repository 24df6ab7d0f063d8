"""Write a rendered stack into a directory without ever leaving it half-written.

Every file is first written to a temporary sibling; only when all of them are on disk are they
moved into place with `os.replace` (atomic per file on POSIX). Generated files that the new
render no longer contains (e.g. the endpoints module after the last endpoint went away) are
removed, but only if they carry glueprint's header: the user's own files (Terraform state,
`.terraform/`, lock files, notes) are never touched. A generated file edited by hand since
(its body no longer matches the checksum in its header) is not replaced or removed unless the
caller forces it: `HandEditedError` carries the diffs instead, before anything is written.
"""

from __future__ import annotations

import difflib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from generator.rendering.provenance import is_generated, was_edited


class HandEditedError(Exception):
    """Generated files were edited by hand; `diffs` shows each edit against the new render."""

    def __init__(self, diffs: dict[str, str]) -> None:
        self.diffs = diffs
        super().__init__(", ".join(diffs))


@dataclass
class WriteResult:
    """What a write changed, for the CLI summary."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def _file_mode() -> int:
    """Mode a plainly created file gets under the current umask (mkstemp would give 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None


Files = dict[str, str | bytes]
"""Relative path -> text (written as UTF-8) or bytes (the library zip)."""
COPIED_DIRS = ("scripts/", "lib/")
"""Directories whose files are copies (job scripts, the etl zip) rather than rendered text."""


def _stale(out: Path, files: Files) -> list[Path]:
    """Generated files under `out` that the new render does not produce."""
    if not out.is_dir():
        return []
    stale = []
    for path in sorted(out.rglob("*")):
        rel = path.relative_to(out).as_posix()
        if rel.startswith(".") or "/." in rel or not path.is_file() or rel in files:
            continue
        text = _read(path)
        if (text is not None and is_generated(text)) or rel.startswith(COPIED_DIRS):
            stale.append(path)
    return stale


def _hand_edits(out: Path, files: Files, stale: list[Path]) -> dict[str, str]:
    """Unified diffs (edited file -> new content) of generated files edited since generation."""
    diffs = {}
    targets = [
        (rel, out / rel, content) for rel, content in files.items() if isinstance(content, str)
    ]
    targets += [(p.relative_to(out).as_posix(), p, "") for p in stale]
    for rel, path, new in targets:
        current = _read(path) if path.is_file() else None
        if current is None or current == new or not was_edited(current):
            continue
        diffs[rel] = "".join(
            difflib.unified_diff(
                current.splitlines(keepends=True),
                new.splitlines(keepends=True),
                fromfile=f"{rel} (edited)",
                tofile=f"{rel} (generated)",
            )
        )
    return diffs


def write_files(out: Path, files: Mapping[str, str | bytes]) -> WriteResult:
    """Write `files` under `out` all or nothing: every file goes to a temporary sibling first,
    and only when all are on disk are they moved into place. Other files are not touched."""
    result = WriteResult()
    mode = _file_mode()
    staged: list[tuple[Path, Path]] = []
    created = sorted(
        {p for rel in files for p in (out / rel).parents if not p.exists()},
        key=lambda p: len(p.parts),
        reverse=True,
    )
    try:
        for rel, content in files.items():
            target = out / rel
            data = content.encode("utf-8") if isinstance(content, str) else content
            if target.is_file() and target.read_bytes() == data:
                result.unchanged.append(rel)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(
                prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
            )
            staged.append((Path(tmp_name), target))
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp_name, mode)
            result.written.append(rel)
    except BaseException:
        for staged_file, _ in staged:
            staged_file.unlink(missing_ok=True)
        for directory in created:  # deepest first
            if directory.is_dir() and not any(directory.iterdir()):
                directory.rmdir()
        raise
    for staged_file, target in staged:
        os.replace(staged_file, target)
    return result


def write_tree(out: Path, files: Files, force: bool = False) -> WriteResult:
    """Make `out` hold exactly the rendered files (plus whatever non-generated files it had).

    Raises HandEditedError, having written nothing, if a generated file was edited and not `force`.
    """
    stale = _stale(out, files)
    if not force:
        edits = _hand_edits(out, files, stale)
        if edits:
            raise HandEditedError(edits)
    result = write_files(out, files)
    for path in stale:
        path.unlink()
        result.removed.append(path.relative_to(out).as_posix())
        parent = path.parent
        while parent != out and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    return result
