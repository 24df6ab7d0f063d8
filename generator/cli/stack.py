"""`glueprint verify`, `plan` and `apply`: Terraform through the adapter, with proof first.

`apply` never applies a plan that fails `verify`. With `--emulator`, everything runs in a scratch
copy of the stack against a local AWS emulator (see generator.terraform.emulator), and apply
ends with a topology check read back from the emulated account.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from generator.cli.console import CommandError, err_console, out_console, table
from generator.shipping import aws
from generator.terraform.emulator import Emulator, EmulatorUnavailableError
from generator.terraform.plan import Plan
from generator.terraform.runner import Event, Terraform, TerraformError
from generator.terraform.topology import check_topology, external_database_cidrs
from generator.terraform.verify import Result, Verifier

PLAN_FILE = ".glueprint.tfplan"


class StackError(CommandError):
    """Terraform or the emulator failed; exit status 1 with the diagnostics."""

    exit_code = 1


stack_argument = click.argument(
    "stack", type=click.Path(path_type=Path, file_okay=False, exists=True), default=Path("stack")
)
emulator_option = click.option(
    "--emulator",
    is_flag=True,
    help="Run against a local AWS emulator (moto on loopback, fake credentials) in a scratch copy.",
)


@contextmanager
def workspace(stack: Path, emulator: bool) -> Iterator[tuple[Path, Emulator | None]]:
    """The directory Terraform runs in: the stack itself, or an emulator scratch copy."""
    if not (stack / "main.tf").is_file():
        raise StackError(f"{stack} has no main.tf; generate a stack first (glueprint generate)")
    if not emulator:
        yield stack, None
        return
    try:
        with Emulator() as emu, tempfile.TemporaryDirectory(prefix="glueprint-") as tmp:
            yield emu.scratch_copy(stack, Path(tmp) / "stack"), emu
    except EmulatorUnavailableError as exc:
        raise StackError(str(exc)) from None


def planned(terraform: Terraform) -> Plan:
    """init + plan with a spinner; returns the parsed plan."""
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        task = progress.add_task("terraform init", total=None)
        terraform.init()
        progress.update(task, description="terraform plan")
        changes = 0

        def on_event(event: Event) -> None:
            nonlocal changes
            if event.type == "planned_change":
                changes += 1
                progress.update(
                    task,
                    description=escape(
                        f"terraform plan: {changes} changes, {event.resource or ''}"
                    ),
                )

        terraform.plan(PLAN_FILE, on_event)
        progress.update(task, description="terraform show -json")
        return Plan(terraform.show_plan(PLAN_FILE))


def report(results: list[Result], as_json: bool) -> None:
    if as_json:
        document = [
            {
                "id": r.check.id,
                "title": r.check.title,
                "passed": r.passed,
                "failures": r.failures,
                "notes": r.notes,
                "why": r.check.why,
                "fix": r.check.fix,
            }
            for r in results
        ]
        sys.stdout.write(json.dumps(document, indent=2) + "\n")
        return
    verified = table("glueprint verify", ("check", "result", "details"))
    for r in results:
        if r.passed:
            verified.add_row(escape(r.check.title), "[green]pass[/]", escape("; ".join(r.notes)))
        else:
            details = (
                escape("\n".join(r.failures))
                + f"\n[dim]why:[/] {escape(r.check.why)}\n[dim]fix:[/] {escape(r.check.fix)}"
            )
            verified.add_row(escape(r.check.title), "[red]FAIL[/]", details)
    out_console.print(verified)
    failed = sum(not r.passed for r in results)
    out_console.print(f"{len(results) - failed} passed, {failed} failed", highlight=False)


def _run_verify(
    terraform: Terraform, workdir: Path, emu: Emulator | None
) -> tuple[Plan, list[Result]]:
    plan = planned(terraform)
    return plan, Verifier(plan, workdir, _account_ec2(emu)).run()


def _account_ec2(emu: Emulator | None) -> Callable[[str], Any]:
    """Region -> EC2 client of the account the plan is made against: the emulator's, or the
    caller's own (the credentials Terraform plans with)."""
    if emu is not None:
        return lambda region: emu.client("ec2", region)
    return lambda region: aws.client("ec2", region)


@click.command()
@stack_argument
@emulator_option
@click.option("--json", "as_json", is_flag=True, help="Print results as JSON (for CI).")
def verify(stack: Path, emulator: bool, as_json: bool) -> None:
    """Plan STACK and prove its invariants: no internet path, private database, Glue wiring."""
    with workspace(stack, emulator) as (workdir, emu):
        try:
            _, results = _run_verify(Terraform(workdir), workdir, emu)
        except TerraformError as exc:
            hint = "" if emulator else "\n  hint: without AWS credentials, add --emulator"
            raise StackError(f"{exc}{hint}") from None
        finally:
            (workdir / PLAN_FILE).unlink(missing_ok=True)
    report(results, as_json)
    if any(not r.passed for r in results):
        raise SystemExit(1)


@click.command()
@stack_argument
@emulator_option
def plan(stack: Path, emulator: bool) -> None:
    """Plan STACK, verify it, and summarise the changes."""
    with workspace(stack, emulator) as (workdir, emu):
        try:
            the_plan, results = _run_verify(Terraform(workdir), workdir, emu)
        except TerraformError as exc:
            raise StackError(str(exc)) from None
        finally:
            (workdir / PLAN_FILE).unlink(missing_ok=True)
    report(results, as_json=False)
    counts: dict[str, int] = {}
    for change in the_plan.data.get("resource_changes", []):
        for action in change["change"]["actions"]:
            counts[action] = counts.get(action, 0) + 1
    out_console.print("Plan: " + ", ".join(f"{n} to {a}" for a, n in sorted(counts.items())))
    if any(not r.passed for r in results):
        raise SystemExit(1)


@click.command()
@stack_argument
@emulator_option
def apply(stack: Path, emulator: bool) -> None:
    """Plan STACK, verify it, apply it with progress, and show its outputs."""
    with workspace(stack, emulator) as (workdir, emu):
        terraform = Terraform(workdir)
        try:
            the_plan, results = _run_verify(terraform, workdir, emu)
            if any(not r.passed for r in results):
                report(results, as_json=False)
                raise StackError("verify failed: nothing was applied")
            _apply_with_progress(terraform, the_plan)
            outputs = terraform.outputs()
        except TerraformError as exc:
            raise StackError(str(exc)) from None
        finally:
            (workdir / PLAN_FILE).unlink(missing_ok=True)
        _print_outputs(outputs)
        if emu is not None:
            region = _region(the_plan)
            findings = check_topology(
                lambda service: emu.client(service, region),
                outputs,
                external_database_cidrs(the_plan),
            )
            topology = table(
                "Topology read back from the emulated account", ("check", "result", "detail")
            )
            for f in findings:
                status = "[green]ok[/]" if f.ok else "[red]FAIL[/]"
                topology.add_row(escape(f.check), status, escape(f.detail))
            out_console.print(topology)
            if not all(f.ok for f in findings):
                raise StackError("the applied topology is not what the plan promised")


def _apply_with_progress(terraform: Terraform, the_plan: Plan) -> None:
    total = sum(
        1 for c in the_plan.data.get("resource_changes", []) if c["change"]["actions"] != ["no-op"]
    )
    with Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=err_console,
    ) as progress:
        task = progress.add_task("terraform apply", total=total)

        def on_event(event: Event) -> None:
            if event.type in ("apply_start", "apply_progress") and event.resource:
                progress.update(
                    task, description=escape(f"{event.action or 'applying'} {event.resource}")
                )
            elif event.type == "apply_complete":
                progress.advance(task)

        terraform.apply(PLAN_FILE, on_event)


def _print_outputs(outputs: dict[str, Any]) -> None:
    shown = table("Stack outputs", ("output", "value"))
    for name, value in sorted(outputs.items()):
        text = value if isinstance(value, str) else json.dumps(value, indent=1)
        shown.add_row(escape(name), escape(text))
    out_console.print(shown)


def _region(the_plan: Plan) -> str:
    provider = the_plan.data.get("configuration", {}).get("provider_config", {}).get("aws", {})
    region = provider.get("expressions", {}).get("region", {}).get("constant_value")
    return str(region or "us-east-1")
