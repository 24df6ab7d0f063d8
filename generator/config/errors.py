"""One error type for bad input: each problem names the field, what is wrong, and the fix."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the config."""

    path: str
    """Dotted field path, e.g. `jobs[0].worker_type` (or `file:line:col` for YAML syntax)."""
    message: str
    fix: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}\n  fix: {self.fix}"


class ConfigError(Exception):
    """The config cannot be rendered; `problems` says why, each with its fix."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))
