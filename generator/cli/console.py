"""Where the CLI prints, and how a failed command reports itself (one line, no traceback)."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.markup import escape

from generator.config.errors import ConfigError
from generator.config.loader import LoadedConfig, load_config, load_default

out_console = Console()
err_console = Console(stderr=True)


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
