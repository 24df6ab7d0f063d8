"""The suite's own harness: `nox -s tests` relies on pytest-xdist's ``--dist loadgroup`` to keep
the tests that share one emulator apply on one worker (else each worker applies its own). That
grouping broke silently once (pytest 9.2 with xdist 3.8); this runs a tiny suite under the same
options and asserts the group stayed on one worker while the rest spread."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

GROUPED = """
import os, time, pytest
pytestmark = [pytest.mark.xdist_group("shared")]
@pytest.mark.parametrize("i", range(8))
def test_grouped(i):
    time.sleep(0.05)
    with open(os.environ["WORKERS_FILE"], "a") as f:
        f.write("grouped " + os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""
FREE = """
import os, time, pytest
@pytest.mark.parametrize("i", range(8))
def test_free(i):
    time.sleep(0.05)
    with open(os.environ["WORKERS_FILE"], "a") as f:
        f.write("free " + os.environ["PYTEST_XDIST_WORKER"] + "\\n")
"""


def test_loadgroup_keeps_a_group_on_one_worker(tmp_path: Path) -> None:
    (tmp_path / "test_grouped.py").write_text(GROUPED, encoding="utf-8")
    (tmp_path / "test_free.py").write_text(FREE, encoding="utf-8")
    workers_file = tmp_path / "workers.txt"

    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-q",
         "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, check=False, timeout=300,
        env={**os.environ, "WORKERS_FILE": str(workers_file)},
    )  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    seen = [line.split() for line in workers_file.read_text().splitlines()]
    grouped = {worker for kind, worker in seen if kind == "grouped"}
    assert len(seen) == 16
    assert len(grouped) == 1, f"the group ran on {sorted(grouped)}"
    assert {worker for _, worker in seen} == {"gw0", "gw1"}, "both workers should have worked"
