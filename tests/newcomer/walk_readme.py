"""Walk README's quick start as a newcomer would: a fresh clone, a fresh virtualenv, the marked
commands in the order README gives them, and a check that each reached what README promises.

README marks each command block a newcomer runs with ``<!-- newcomer: STEP -->`` on the line
before its fence; this script runs those blocks and nothing else, so README cannot promise a
command that does not work, and the script cannot drift from README. Every marked step must have
an expectation here (and every expectation a marked step), or the walk fails before it starts.

Usage: ``python3 tests/newcomer/walk_readme.py [--keep]``. Needs git, Python 3.11 (Glue 5's
Python, which the job test's pyspark pin asks for), terraform with the provider mirror, Java,
and a package index. Prints a table of step times for README; exit 1 on the first failed step.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
MARKER = re.compile(
    r"^<!-- newcomer: (?P<step>[a-z-]+) -->\n```sh\n(?P<body>.*?)^```$", re.MULTILINE | re.DOTALL
)


@dataclasses.dataclass(frozen=True)
class Step:
    name: str
    commands: str


@dataclasses.dataclass(frozen=True)
class Outcome:
    output: str
    clone: Path


def _rendered(outcome: Outcome) -> str | None:
    stack = outcome.clone / "stack"
    return None if (stack / "main.tf").is_file() else f"{stack}/main.tf was not written"


def _applied_and_read_back(outcome: Outcome) -> str | None:
    if "Topology read back from the emulated account" not in outcome.output:
        return "the topology table read back from the emulator was not printed"
    if "FAIL" in outcome.output:
        return "a topology check printed FAIL"
    return None


def _job_test_passed(outcome: Outcome) -> str | None:
    summary = re.search(r"=+ (?P<text>.*\bpassed\b.*) =+\s*$", outcome.output, re.M)
    if summary is None or re.search(r"failed|error|skipped", summary["text"]):
        return "pytest did not report passing tests only"
    return None


EXPECT: dict[str, Callable[[Outcome], str | None]] = {
    "render": _rendered,
    "emulator": _applied_and_read_back,
    "job-test": _job_test_passed,
}


def readme_steps(readme: str) -> list[Step]:
    """The marked blocks in README order; every marker must have an expectation and vice versa."""
    steps = [Step(m["step"], m["body"]) for m in MARKER.finditer(readme)]
    names = [s.name for s in steps]
    if sorted(names) != sorted(EXPECT):
        raise SystemExit(
            f"README marks steps {names}, this script expects {sorted(EXPECT)}: "
            "mark each quick-start block with <!-- newcomer: STEP --> or update EXPECT"
        )
    return steps


def _environment(venv: Path) -> dict[str, str]:
    """A newcomer's shell: the fresh venv first on PATH, none of the developer's glueprint
    settings, and a pip that does not reuse this machine's installed packages."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GLUEPRINT_", "PYTHON"))}
    env.pop("VIRTUAL_ENV", None)
    env["VIRTUAL_ENV"] = str(venv)
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    return env


def run_step(step: Step, clone: Path, env: dict[str, str]) -> tuple[float, Outcome, int]:
    print(f"\n=== newcomer step {step.name} ===\n{step.commands}", flush=True)
    started = time.monotonic()
    process = subprocess.Popen(
        ["bash", "-euo", "pipefail", "-c", step.commands],
        cwd=clone,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        sys.stdout.write(line)
        lines.append(line)
    code = process.wait()
    return time.monotonic() - started, Outcome("".join(lines), clone), code


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="keep the clone and venv")
    options = parser.parse_args()
    steps = readme_steps((REPO / "README.md").read_text(encoding="utf-8"))
    workdir = Path(tempfile.mkdtemp(prefix="glueprint-newcomer-"))
    times: list[tuple[str, float]] = []
    try:
        started = time.monotonic()
        clone = workdir / "glueprint"
        subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
        subprocess.run([sys.executable, "-m", "venv", str(workdir / "venv")], check=True)
        times.append(("fresh clone and virtualenv", time.monotonic() - started))
        env = _environment(workdir / "venv")
        for step in steps:
            seconds, outcome, code = run_step(step, clone, env)
            times.append((step.name, seconds))
            problem = f"exit status {code}" if code else EXPECT[step.name](outcome)
            if problem:
                print(f"\nnewcomer step {step.name} failed: {problem}", file=sys.stderr)
                return 1
    finally:
        if options.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    print("\n| step | seconds |\n| --- | ---: |")
    for name, seconds in [*times, ("total", sum(s for _, s in times))]:
        print(f"| {name} | {seconds:.0f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
