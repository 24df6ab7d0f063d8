"""Timing helpers: interleaved repeats, medians, and rich tables of the results."""

from __future__ import annotations

import dataclasses
import os
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table

console = Console(highlight=False, width=None if sys.stdout.isatty() else 140)


@dataclasses.dataclass
class Timings:
    """Wall-clock seconds of each repeat of one variant."""

    name: str
    seconds: list[float] = dataclasses.field(default_factory=list)
    cpu: list[float] = dataclasses.field(default_factory=list)
    """CPU seconds of each repeat, when the suite can count them (see ``cpu_seconds``)."""

    @property
    def cpu_median(self) -> float | None:
        return statistics.median(self.cpu) if self.cpu else None

    @property
    def median(self) -> float:
        return statistics.median(self.seconds)

    @property
    def spread(self) -> str:
        return f"{min(self.seconds):.2f}-{max(self.seconds):.2f}"


def measure(
    variants: Mapping[str, Callable[[], Any]],
    *,
    warmup: int,
    repeats: int,
    label: str = "",
    cpu: Callable[[], float] | None = None,
) -> dict[str, Timings]:
    """Run every variant ``warmup`` times untimed, then ``repeats`` timed rounds.

    Rounds are interleaved and rotated (A B C, B C A, ...) so that slow drift of the machine
    (page cache, JIT, PostgreSQL buffers) does not favour the variant that happens to run last.
    ``cpu`` returns cumulative CPU seconds of the processes doing the work; CPU time is far less
    sensitive than wall time to other load on a shared machine.
    """
    names = list(variants)
    for round_ in range(warmup):
        for name in names:
            console.log(f"{label} warm-up {round_ + 1}/{warmup}: {name}")
            variants[name]()
    results = {name: Timings(name) for name in names}
    for round_ in range(repeats):
        shift = round_ % len(names)
        for name in names[shift:] + names[:shift]:
            cpu_start = cpu() if cpu else 0.0
            start = time.perf_counter()
            variants[name]()
            elapsed = time.perf_counter() - start
            results[name].seconds.append(elapsed)
            if cpu:
                results[name].cpu.append(cpu() - cpu_start)
            console.log(
                f"{label} repeat {round_ + 1}/{repeats}: {name} {elapsed:.3f} s "
                f"(load {os.getloadavg()[0]:.1f})"
            )
    return results


def time_once(func: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    value = func()
    return time.perf_counter() - start, value


@dataclasses.dataclass
class Target:
    """A stated goal and whether this run met it."""

    text: str
    met: bool | None
    """``None`` when it was not measured (e.g. smoke sizes) or is reported only."""
    detail: str = ""

    @property
    def status(self) -> str:
        if self.met is None:
            return "[yellow]reported[/]"
        return "[green]met[/]" if self.met else "[red]MISSED[/]"


@dataclasses.dataclass
class Section:
    """One suite's results: a table plus its targets and notes."""

    title: str
    columns: Sequence[str]
    rows: list[Sequence[str]] = dataclasses.field(default_factory=list)
    targets: list[Target] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)

    def show(self) -> None:
        table = Table(title=self.title, title_justify="left")
        for i, column in enumerate(self.columns):
            table.add_column(column, justify="left" if i == 0 else "right")
        for row in self.rows:
            table.add_row(*row)
        console.print(table)
        for target in self.targets:
            console.print(f"  target: {target.text}: {target.status} {target.detail}")
        for note in self.notes:
            console.print(f"  note: {note}")

    def markdown(self) -> str:
        lines = [f"### {self.title}", ""]
        lines.append("| " + " | ".join(self.columns) + " |")
        lines.append("|" + "|".join(["---"] + ["---:"] * (len(self.columns) - 1)) + "|")
        lines.extend("| " + " | ".join(row) + " |" for row in self.rows)
        lines.append("")
        for target in self.targets:
            status = {None: "reported", True: "met", False: "MISSED"}[target.met]
            lines.append(f"* target: {target.text}: **{status}** {target.detail}".rstrip())
        lines.extend(f"* {note}" for note in self.notes)
        return "\n".join(lines) + "\n"


def seconds(value: float) -> str:
    if value < 0.1:
        return f"{value:.4f}"
    return f"{value:.3f}" if value < 10 else f"{value:.2f}"


def ratio(value: float, baseline: float) -> str:
    return f"{value / baseline:.2f}x"


def process_cpu_seconds(pids: Sequence[int] = (), names: Sequence[str] = ()) -> float:
    """utime + stime of the given processes and of every process whose command is in ``names``,
    plus this process's finished children (psql), from /proc (Linux)."""
    import resource

    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    wanted = set(pids)
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        command = stat[stat.index("(") + 1 : stat.rindex(")")]
        if int(entry) in wanted or command in names:
            fields = stat[stat.rindex(")") + 2 :].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return total + children.ru_utime + children.ru_stime
