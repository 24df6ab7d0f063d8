"""Where the CLI prints, and how a failed command reports itself (one line, no traceback)."""

from __future__ import annotations

import click
from rich.console import Console

out_console = Console()
err_console = Console(stderr=True)


class CommandError(click.ClickException):
    """A failure the user can act on: printed as `error: MESSAGE` on stderr, no traceback."""

    def show(self, file: object = None) -> None:
        err_console.print(f"[bold red]error:[/] {self.message}", highlight=False, soft_wrap=True)
