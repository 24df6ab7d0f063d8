"""Sessions: `tests` (the suite CI runs), `lint` (ruff + mypy), `checkov` (security scan),
`bench`, and per Glue version `matrix` (tests/etl) and `packaged` (the shipped etl zip)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import nox

REPO = Path(__file__).resolve().parent
sys.path.insert(
    0, str(REPO)
)  # generator.config.catalog is stdlib-only: nox's interpreter imports it
from generator.config.catalog import GLUE_RELEASES, GlueRelease  # noqa: E402

nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["lint", "tests"]

CHECKOV_VERSION = "3.3.30"
# Two pytest workers per core: the emulator tests mostly wait (the AWS provider polls the emulated
# RDS for minutes) and Spark jobs wait on their JVM, so a waiting worker leaves its core to
# another. Groups (xdist_group) keep tests that share one emulator apply on one worker.
PARALLEL = ("-n", str(2 * (os.cpu_count() or 1)), "--dist", "loadgroup")


@nox.session
def tests(session: nox.Session) -> None:
    """Unit and integration tests (real terraform, Spark, PostgreSQL and the AWS emulator)."""
    session.install("-e", ".[dev]")
    session.run("pytest", *PARALLEL, "--durations=25", *session.posargs)


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
    its dependencies, plus the rest of what `glueprint generate` needs next to checkov's boto3.
    Skips are inline in the templates.
    """
    session.install(f"checkov=={CHECKOV_VERSION}")
    session.install("--no-deps", "-e", ".")
    session.install("pydantic>=2.6,<3", "PyYAML>=6", "Jinja2>=3.1", "click>=8.1", "rich>=13")
    session.install("--no-deps", "python-terraform>=0.10.1")
    out = Path(session.create_tmp()) / "stacks"
    shutil.rmtree(out, ignore_errors=True)
    session.run("glueprint", "generate", "--out", str(out / "default"), silent=True)
    for config in sorted((REPO / "tests" / "configs").glob("*.yaml")):
        session.run(
            "glueprint",
            "generate",
            "--config",
            str(config),
            "--out",
            str(out / config.stem),
            silent=True,
        )
    stacks = sorted(p for p in out.iterdir() if p.is_dir())
    venv_bin = Path(session.bin)
    # One checkov process per core: each scan is single-threaded and they share nothing.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        summaries = list(pool.map(lambda stack: _checkov_summary(venv_bin, stack), stacks))
    failed = 0
    for stack, summary in zip(stacks, summaries, strict=True):
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


def _checkov_summary(venv_bin: Path, stack: Path) -> dict[str, Any]:
    """checkov's JSON report on one rendered stack (exit 1 only means it found failures)."""
    done = subprocess.run(
        [
            str(venv_bin / "checkov"),
            "-d",
            str(stack),
            "--framework",
            "terraform",
            "--compact",
            "--output",
            "json",
        ],
        env={
            **os.environ,
            "PATH": f"{venv_bin}{os.pathsep}{os.environ['PATH']}",
            "BC_SKIP_MAPPING": "TRUE",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode not in (0, 1):
        raise RuntimeError(f"checkov failed on {stack.name}: {done.stderr[-2000:]}")
    report = json.loads(done.stdout)
    return dict(report[0] if isinstance(report, list) else report)


@nox.session
def bench(session: nox.Session) -> None:
    """Benchmarks against hand-written equivalents (docs/performance.md); `-- --smoke` for CI.

    Needs GLUEPRINT_TEST_PG_URL (`eval "$(.ci/postgres.sh start)"`) and terraform on PATH.
    """
    session.install("-e", ".[dev]")
    session.run("python", "-m", "bench", *session.posargs)


def _glue_matrix() -> list[tuple[str, GlueRelease]]:
    """One row per distinct runtime etl supports, named by its Glue versions: Glue 5.0 and 5.1
    share Spark 3.5 ("5.0/5.1"); Glue 3.0's Python 3.7 is too old for etl."""
    versions: dict[GlueRelease, list[str]] = {}
    for glue, release in GLUE_RELEASES.items():
        if release.supports_etl:
            versions.setdefault(release, []).append(glue)
    return [("/".join(glue), release) for release, glue in versions.items()]


GLUE_MATRIX = _glue_matrix()


def _python(version: str) -> str:
    """The pyenv interpreter for ``version`` by full path (pyenv's shims only answer for the
    active version), else ``version`` for nox to find on PATH; missing fails when CI is set."""
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    found = sorted(root.glob(f"versions/{version}.*/bin/python{version}"))
    return str(found[-1]) if found else version


@nox.session
@nox.parametrize(
    ("python", "pyspark"),
    [nox.param(_python(r.python), r.pyspark, id=f'glue="{glue}"') for glue, r in GLUE_MATRIX],
)
def matrix(session: nox.Session, pyspark: str) -> None:
    """tests/etl on each Glue version's Python and pyspark, e.g. `nox -s 'matrix(glue="4.0")'`.

    Uses the PostgreSQL GLUEPRINT_TEST_PG_URL names, else starts a throwaway one; set CI=true
    so a missing tool fails instead of skipping.
    """
    session.install(".[test]", pyspark)
    # Every crash point (marked exhaustive) exercises etl's own journal over the same Spark write
    # calls the rest of tests/etl makes on this runtime: the default runtime's run enumerates them.
    session.run("pytest", "tests/etl", "-m", "not exhaustive", *PARALLEL, *session.posargs)


@nox.session
@nox.parametrize(
    ("python", "release"),
    [nox.param(_python(r.python), r, id=f'glue="{glue}"') for glue, r in GLUE_MATRIX],
)
def packaged(session: nox.Session, release: GlueRelease) -> None:
    """The etl zip on only Glue's Python and pyspark runs the example job: `packaged(glue="4.0")`.

    As on Glue with --extra-py-files: a venv holding only that Glue version's pyspark runs the
    example job with PYTHONPATH = the zip alone, so anything etl imports that Glue lacks fails
    here; tests/packaged/run_example_job.py checks the output against PostgreSQL's own figures.
    The zip is built from this checkout by the function behind `glueprint package` (stdlib only,
    so the clean venv runs it). Needs GLUEPRINT_TEST_PG_URL (`eval "$(.ci/postgres.sh start)"`).
    """
    session.install(release.pyspark)
    work = Path(session.create_tmp()).resolve() / "packaged"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    archive = session.run("python", "-m", "generator.rendering.package", str(work), silent=True)
    assert isinstance(archive, str)
    session.run(
        "python",
        str(REPO / "tests" / "packaged" / "run_example_job.py"),
        *("--job", str(REPO / "generator" / "defaults" / "jobs" / "my_glue_job.py")),
        *("--work", str(work)),
        *("--python", release.python, "--spark", release.spark),
        env={"PYTHONPATH": archive.strip()},
    )
