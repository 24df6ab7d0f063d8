"""Where the CLI prints, and how a failed command reports itself (one line, no traceback).

Two rules for everything printed: text from the user or AWS (names, addresses such as
``aws_route.this["a"]``, ARNs, paths, hints such as ``pip install 'glueprint[emulator]'``) is
printed literally, never read as console markup; and tables wrap long cells instead of cutting
them, because those are what a user copies.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from generator.config.errors import ConfigError
from generator.config.loader import LoadedConfig, load_config, load_default

out_console = Console(emoji=False)
err_console = Console(stderr=True, emoji=False)
"""No emoji codes: a Secrets Manager ARN's ``:secret:`` must not turn into a picture."""


def table(title: str | None, columns: Sequence[str], *, right: Sequence[str] = ()) -> Table:
    """A table whose cells wrap (never end in "…") at any terminal width; columns named in
    ``right`` are right-aligned (numbers)."""
    made = Table(title=title, show_lines=True)
    for column in columns:
        made.add_column(column, overflow="fold", justify="right" if column in right else "left")
    return made


class CommandError(click.ClickException):
    """A failure the user can act on: printed as `error: MESSAGE` on stderr, no traceback."""

    def show(self, file: object = None) -> None:
        """Print the message as written: brackets in it (extras, `["key"]` addresses) are text,
        not console markup."""
        err_console.print(
            f"[bold red]error:[/] {escape(self.message)}", highlight=False, soft_wrap=True
        )


class InputError(CommandError):
    """Bad input: the message names what is wrong and how to fix it; exit status 2."""

    exit_code = 2


def load_or_exit(config: Path | None) -> LoadedConfig:
    """The config (the built-in default when None), or an InputError listing every problem."""
    try:
        return load_default() if config is None else load_config(config)
    except ConfigError as exc:
        lines = [f"{len(exc.problems)} problem(s) in the config; nothing was written."]
        lines += [str(p) for p in exc.problems]
        raise InputError("\n".join(lines)) from None
