"""`glueprint deploy`: ship the `owner: deploy` jobs to Glue with boto3.

The work is in `generator.shipping.deploy`; this module is its command line.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from generator.cli.console import CommandError, InputError, load_or_exit, out_console, table
from generator.shipping import aws
from generator.shipping.deploy import Change, DeployError, Deployment, Stack, select_jobs
from generator.terraform.runner import Terraform, TerraformError

ACTION_STYLE = {"create": "green", "update": "yellow", "unchanged": "dim"}


class DeployFailedError(CommandError):
    """The stack or AWS refused the deployment; exit status 1, with what to do."""

    exit_code = 1


def applied_stack_options(named: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`--stack` and `--outputs`: where a command that works on an applied stack finds its
    Terraform outputs (`named`: what the command reads from them), passed to `read_outputs`."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option(
            "--outputs",
            "outputs_file",
            type=click.Path(path_type=Path, dir_okay=False, exists=True),
            help="`terraform output -json` of the stack, instead of reading --stack's state.",
        )(command)
        return click.option(
            "--stack",
            type=click.Path(path_type=Path, file_okay=False),
            default=Path("stack"),
            show_default=True,
            help=f"The applied stack whose Terraform outputs name {named}.",
        )(command)

    return decorate


def read_outputs(stack: Path, outputs_file: Path | None) -> dict[str, Any]:
    """The stack's Terraform outputs: from `terraform output -json` saved to a file (CI hands
    them from the infrastructure pipeline), or read from the stack's state."""
    if outputs_file is not None:
        try:
            raw = json.loads(outputs_file.read_text(encoding="utf-8"))
            return {name: entry["value"] for name, entry in raw.items()}
        except (ValueError, TypeError, KeyError, AttributeError):
            raise InputError(
                f"{outputs_file} is not the JSON of `terraform output -json`.\n"
                "  fix: write it with `terraform output -json > outputs.json` in the stack"
            ) from None
    if not stack.is_dir():
        raise InputError(
            f"no stack at {stack}.\n  fix: pass --stack with the applied stack's directory, or "
            "--outputs with its `terraform output -json`"
        )
    try:
        return Terraform(stack).outputs()
    except TerraformError as exc:
        raise DeployFailedError(
            f"cannot read the outputs of {stack}: {exc}\n"
            "  fix: apply the stack first, or pass --outputs with `terraform output -json`"
        ) from None


@click.command()
@click.argument("jobs", nargs=-1)
@click.option(
    "--config",
    "-c",
    "config",
    type=click.Path(path_type=Path),
    help="glueprint.yaml with the jobs (default: the built-in seed architecture).",
)
@applied_stack_options("the role, buckets and connections")
@click.option("--dry-run", is_flag=True, help="Show what would change; write nothing.")
def deploy(
    jobs: tuple[str, ...],
    config: Path | None,
    stack: Path,
    outputs_file: Path | None,
    dry_run: bool,
) -> None:
    """Upload and create or update the Glue jobs with `owner: deploy` (all, or JOBS)."""
    loaded = load_or_exit(config)
    try:
        selected = select_jobs(loaded, jobs)
    except DeployError as exc:
        raise InputError(str(exc)) from None
    outputs = read_outputs(stack, outputs_file)
    region = loaded.config.region
    landed: list[Change] = []
    try:
        deployment = Deployment(
            loaded,
            Stack.from_outputs(outputs),
            selected,
            lambda service: aws.client(service, region),
        )
        changes = deployment.changes()
        if not dry_run:
            deployment.apply(changes, landed.append)
    except DeployError as exc:
        if landed:
            _report(landed, f"written before the failure ({region})", dry_run=False)
        raise DeployFailedError(str(exc)) from None
    _report(changes, f"glueprint deploy{' --dry-run' if dry_run else ''} ({region})", dry_run)


def _report(changes: list[Change], title: str, dry_run: bool) -> None:
    verb = "would " if dry_run else ""
    shown = table(title, ("target", "action", "detail"))
    for change in changes:
        action = change.action if change.action == "unchanged" else verb + change.action
        style = ACTION_STYLE[change.action]
        shown.add_row(escape(change.target), f"[{style}]{action}[/]", escape(change.detail))
    out_console.print(shown)
    counts = ", ".join(
        f"{sum(c.action == action for c in changes)} {action}" for action in ACTION_STYLE
    )
    out_console.print(
        f"{counts}{'; dry run, nothing was written' if dry_run else ''}",
        highlight=False,
        markup=False,
    )
