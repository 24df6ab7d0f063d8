"""Suite 3, test loop: session start of etl's shipped ``spark`` fixture and the per-test cost of
a typical chispa transform test, against ``SparkSession.builder.getOrCreate()``; plus the wall
time of the unit suite (reported, not enforced).

Each session runs in a fresh Python process (``bench.testloop_probe``), because the cost being
measured is the JVM's start.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from typing import Any

from bench.common import REPO, Settings
from bench.timing import Section, Target, console, seconds

PROPOSED = {"spark.sql.shuffle.partitions": "1", "spark.sql.adaptive.enabled": "false"}
"""Candidate change of etl.testing.plugin.FAST_LOCAL_CONF, measured alongside the shipped one."""

UNIT_SUITE = [
    "-m",
    "pytest",
    "tests",
    "-q",
    "-p",
    "no:cacheprovider",
    "-m",
    "not terraform and not emulator and not postgres",
]


def _probe(mode: str, repeats: int, extra: dict[str, str] | None = None) -> dict[str, Any]:
    """The probe's timings: seconds per phase, and ``warm_tests``, one duration per repeat."""
    argv = [sys.executable, "-m", "bench.testloop_probe", mode, str(repeats)]
    if extra:
        argv.append(json.dumps(extra))
    started = time.perf_counter()
    proc = subprocess.run(argv, cwd=REPO, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"testloop probe {mode} failed:\n{proc.stderr[-3000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_s"] = wall
    return result


def run(settings: Settings) -> Section:
    variants = {
        "SparkSession.builder.getOrCreate() (Spark defaults)": ("default", None),
        "etl spark fixture (shipped FAST_LOCAL_CONF)": ("fixture", None),
        "proposed: fixture + shuffle.partitions=1, AQE off": ("fixture", PROPOSED),
    }
    processes = 1 if settings.smoke else 3
    if settings.smoke:  # one JVM is enough to keep the probe working; each costs 6-15 s
        variants = {name: v for name, v in variants.items() if v == ("fixture", None)}
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in variants}
    for round_ in range(processes):
        for name, (mode, extra) in variants.items():
            result = _probe(mode, settings.test_repeats, extra)
            samples[name].append(result)
            console.log(
                f"testloop {round_ + 1}/{processes}: {name}: session {result['session_s']:.2f} s, "
                f"first test {result['first_test_s']:.2f} s, warm {result['warm_test_s']:.3f} s"
            )
    section = Section(
        f"Test loop: one Spark session per process ({processes} processes each), "
        f"a 3-row chispa transform test ({settings.test_repeats} warm repeats per process)",
        [
            "session",
            "pyspark import s",
            "session start s",
            "first test s",
            "warm test s (median)",
            "warm test s (min)",
        ],
    )
    warm: dict[str, float] = {}
    for name, runs in samples.items():
        all_warm = [t for r in runs for t in r["warm_tests"]]
        warm[name] = statistics.median(all_warm)
        section.rows.append(
            [
                name,
                seconds(statistics.median(r["import_s"] for r in runs)),
                seconds(statistics.median(r["session_s"] for r in runs)),
                seconds(statistics.median(r["first_test_s"] for r in runs)),
                seconds(warm[name]),
                seconds(min(all_warm)),
            ]
        )
    shipped = warm["etl spark fixture (shipped FAST_LOCAL_CONF)"]
    section.targets.append(
        Target(
            "warm chispa test with the shipped fixture <= 0.5 s",
            shipped <= 0.5 if not settings.smoke else None,
            f"({shipped:.3f} s)",
        )
    )
    if settings.unit_suite:
        started = time.perf_counter()
        env = {k: v for k, v in os.environ.items() if k != "GLUEPRINT_TEST_PG_URL"}
        proc = subprocess.run(
            [sys.executable, *UNIT_SUITE],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
            env=env,
        )
        wall = time.perf_counter() - started
        summary = (proc.stdout.strip().splitlines() or ["(no output)"])[-1]
        section.notes.append(
            f'unit suite: `pytest tests -m "not terraform and not emulator and not postgres"` '
            f"took {wall:.1f} s wall ({summary.strip('= ')})"
        )
        section.targets.append(
            Target(
                "unit suite wall time <= 60 s (reported, not enforced)",
                None,
                f"({wall:.1f} s, exit {proc.returncode})",
            )
        )
    return section
