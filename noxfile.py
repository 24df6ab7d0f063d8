"""Sessions: `tests` (the suite CI runs), `lint` (ruff + mypy), `checkov` (security scan)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nox

nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "tests"]

CHECKOV_VERSION = "3.3.30"
RENDER = """
import sys
from pathlib import Path
from generator.loader import load_config, load_default
from generator.render import render
from generator.writer import write_tree

out = Path(sys.argv[1])
write_tree(out / "default", render(load_default()).files)
for config in sorted(Path("tests/configs").glob("*.yaml")):
    write_tree(out / config.stem, render(load_config(config)).files)
"""


@nox.session
def tests(session: nox.Session) -> None:
    """Unit and integration tests (real terraform, Spark, PostgreSQL and the AWS emulator)."""
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """ruff (lint + format check) and mypy --strict."""
    session.install("-e", ".[dev]")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")


@nox.session
def checkov(session: nox.Session) -> None:
    """checkov on the rendered default and every test config: zero failed checks.

    checkov pins boto3, so it gets this venv of its own; glueprint is installed here without
    its dependencies, plus only what rendering needs. Skips are inline in the templates.
    """
    session.install(f"checkov=={CHECKOV_VERSION}")
    session.install("--no-deps", "-e", ".")
    session.install("pydantic>=2.6,<3", "PyYAML>=6", "Jinja2>=3.1")
    out = Path(session.create_tmp()) / "stacks"
    session.run("python", "-c", RENDER, str(out))
    failed = 0
    for stack in sorted(p for p in out.iterdir() if p.is_dir()):
        report = Path(session.create_tmp()) / f"{stack.name}.json"
        with report.open("w") as handle:
            session.run(
                "checkov",
                "-d",
                str(stack),
                "--framework",
                "terraform",
                "--compact",
                "--output",
                "json",
                env={"BC_SKIP_MAPPING": "TRUE"},
                stdout=handle,
                success_codes=[0, 1],
            )
        summary = json.loads(report.read_text())
        summary = summary[0] if isinstance(summary, list) else summary
        counts = summary.get("summary", {})
        failures = summary.get("results", {}).get("failed_checks", [])
        session.log(
            f"{stack.name}: {counts.get('passed', 0)} passed, "
            f"{counts.get('failed', 0)} failed, {counts.get('skipped', 0)} skipped"
        )
        for check in failures:
            session.log(f"  FAILED {check['check_id']} {check['resource']} ({check['file_path']})")
        failed += len(failures)
    if failed:
        session.error(f"checkov: {failed} failed check(s)")


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against hand-written equivalents (docs/performance.md); `-- --smoke` for CI.

    Needs GLUEPRINT_TEST_PG_URL (`eval "$(.ci/postgres.sh start)"`) and terraform on PATH.
    """
    session.install("-e", ".[dev]")
    session.run("python", "-m", "bench", *session.posargs)


GLUE_MATRIX = [
    # (Glue version, its Python, the pyspark it runs); Glue 5.0 and 5.1 share Spark 3.5.
    ("4.0", "3.10", "pyspark==3.3.4"),
    ("5.0/5.1", "3.11", "pyspark>=3.5,<3.6"),
    ("6.0", "3.13", "pyspark>=4.1,<4.2"),
]


def _python(version: str) -> str:
    """The pyenv interpreter for ``version`` by full path (pyenv's shims only answer for the
    active version), else ``version`` for nox to find on PATH; missing fails when CI is set."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    found = sorted(root.glob(f"versions/{version}.*/bin/python{version}"))
    return str(found[-1]) if found else version


@nox.session
@nox.parametrize(
    ("python", "pyspark"),
    [nox.param(_python(py), spark, id=f'glue="{glue}"') for glue, py, spark in GLUE_MATRIX],
)
def matrix(session: nox.Session, pyspark: str) -> None:
    """tests/etl on each Glue version's Python and pyspark, e.g. `nox -s 'matrix(glue="4.0")'`.

    Needs GLUEPRINT_TEST_PG_URL (`eval "$(.ci/postgres.sh start)"`); set CI=true so a missing
    service fails instead of skipping.
    """
    session.install(".[test]", pyspark)
    session.run("pytest", "tests/etl", *session.posargs)
