"""Publishing on S3's semantics: a journal publish of N staged files, moves in parallel vs one
at a time, on the S3-semantics stand-in with a per-request latency like S3's.

The stand-in counts every request, so the table shows what a publish costs in requests per
file (a move is a copy and a delete on S3), and the time that latency makes of them.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from bench.common import Settings
from bench.timing import Section, Target, measure, seconds
from etl.publish import PARALLEL_MOVES, Journal, Publisher
from etl.sinks import S3Sink, StagedS3
from etl.storage import Storage
from etl.testing.object_store import ObjectStore

LATENCY = 0.010
"""Seconds per request: S3's first-byte latency for small objects is 10-20 ms."""


class _StoreRuntime:
    """The part of a runtime that publishing uses: paths and storage (no Spark)."""

    name = "bench"

    def __init__(self, store: ObjectStore) -> None:
        self.store = store

    def path(self, uri: str) -> str:
        return uri

    def storage(self, uri: str) -> Storage:
        return self.store.bucket(uri)


def _stage(root: Path, files: int, replaced: int) -> None:
    """``files`` staged data files of a run, and ``replaced`` published ones it overwrites."""
    shutil.rmtree(root, ignore_errors=True)
    staging = root / "lake" / "out" / "_glueprint_staging" / "bench"
    staging.mkdir(parents=True)
    for i in range(files):
        (staging / f"part-{i:05d}-new.parquet").write_bytes(b"x" * 1024)
    (staging / "_SUCCESS").write_bytes(b"")
    for i in range(replaced):
        (root / "lake" / "out" / f"part-{i:05d}-old.parquet").write_bytes(b"y" * 1024)


def _publish(root: Path, store: ObjectStore, mode: str, parallel: int) -> dict[str, Any]:
    runtime: Any = _StoreRuntime(store)
    location = f"file://{root}/lake/out"
    staged = StagedS3(S3Sink("s3://lake/out", mode=mode), runtime, location, "bench", "")
    store.revive()
    journal = Journal("bench", (staged.plan(),), record={"run_id": "bench"})
    Publisher(runtime, location, parallel).publish(journal)
    return {"operations": store.operations, "counts": dict(store.counts)}


def run(settings: Settings) -> Section:
    files = 50 if settings.smoke else 1000
    root = settings.work_dir / "publish"
    store = ObjectStore(root, latency=LATENCY)
    results: dict[str, dict[str, Any]] = {}
    variants = {}
    for mode in ("append", "overwrite"):
        for parallel in (PARALLEL_MOVES, 1):
            name = f"{mode}, {parallel} move(s) at a time"

            def one(mode: str = mode, parallel: int = parallel, name: str = name) -> None:
                _stage(root, files, files if mode == "overwrite" else 0)
                results[name] = _publish(root, store, mode, parallel)

            variants[name] = one
    timings = measure(variants, warmup=0, repeats=1 if settings.smoke else 3, label="publish")
    section = Section(
        f"Publish {files} staged files through the journal on the S3-semantics stand-in, "
        f"{LATENCY * 1000:.0f} ms per request (median of {1 if settings.smoke else 3})",
        ["variant", "median s", "requests", "requests per file", "by kind", "time vs serial"],
    )
    for name, timing in timings.items():
        serial = timings[name.split(",")[0] + ", 1 move(s) at a time"].median
        counts = results[name]["counts"]
        section.rows.append(
            [
                name,
                seconds(timing.median),
                str(results[name]["operations"]),
                f"{results[name]['operations'] / files:.2f}",
                ", ".join(f"{kind} {n}" for kind, n in sorted(counts.items())),
                f"{timing.median / serial:.2f}x",
            ]
        )
    parallel_name = f"overwrite, {PARALLEL_MOVES} move(s) at a time"
    per_file = results[parallel_name]["operations"] / files
    section.targets.append(
        Target(
            "each staged file is copied once (one copy request per file)",
            results[parallel_name]["counts"].get("copy") == files,
            f"({results[parallel_name]['counts'].get('copy')} copies for {files} files)",
        )
    )
    section.notes.append(
        f"an overwrite costs {per_file:.2f} requests per file: a copy and a delete per staged "
        "file, plus batched deletes of the replaced files and a few journal requests"
    )
    return section
