"""A crash at every storage operation of a run, then a rerun, equals one clean run.

The runs use :class:`etl.testing.object_store.ObjectStore`, a stand-in with S3's semantics (no
rename: a move is a copy and a delete; no empty prefixes; one handle per bucket), never local
disk's atomic renames.  For each publish mode the test first makes a clean run and counts its
operations, N; then, for every k in 0..N-1, it restores the starting state, runs the job with
the store dying after k operations, reruns it (the same batch: the same ``JOB_RUN_ID``, as a
retry), and compares what readers see and the committed state with the clean run's: no row
lost, none duplicated, nothing left staged, journaled or leased.
"""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import CONNECTION
from pyspark.sql import DataFrame, SparkSession

from etl import JdbcSource, S3Sink, S3Source, SparkRuntime, job
from etl.job import Job
from etl.profile import LocalConnection, LocalProfile
from etl.publish import STATE_DIR
from etl.testing import local_profile
from etl.testing.object_store import Crashed, ObjectStore, ObjectStoreRuntime
from etl.watermark import WatermarkStore

pytestmark = [pytest.mark.spark, pytest.mark.exhaustive]
Psql = Callable[[str], str]
RUN = ["--JOB_RUN_ID", "jr_crash_test"]
BUCKETS = ("src", "lake", "state")


@dataclasses.dataclass(frozen=True)
class Seen:
    """What a reader and the next run see after a run: the rows, the committed watermarks, and
    the rows and partitions of the catalog table."""

    rows: list[tuple[Any, ...]]
    marks: dict[str, str | None]
    catalog: tuple[list[tuple[Any, ...]], list[str]] | None = None


@dataclasses.dataclass
class Scenario:
    """A job, its starting state (prepared once, restored before every run) and its state
    locations (source name -> state directory URI)."""

    job: Job[..., DataFrame]
    prepare: Callable[[ObjectStoreRuntime], None]
    states: dict[str, str] = dataclasses.field(default_factory=dict)
    catalog_table: str | None = None


class Harness:
    def __init__(self, spark: SparkSession, root: Path, connections: dict[str, LocalConnection]):
        self.spark = spark
        self.root = root
        self.store_root = root / "store"
        self.template = root / "template"
        lake = local_profile(self.store_root, BUCKETS)
        self.profile = LocalProfile(connections=connections, paths=lake.paths)
        self.store = ObjectStore(self.store_root)

    def runtime(self) -> ObjectStoreRuntime:
        return ObjectStoreRuntime(SparkRuntime.local(self.profile, spark=self.spark), self.store)

    def reset(self, scenario: Scenario) -> None:
        shutil.rmtree(self.store_root, ignore_errors=True)
        shutil.copytree(self.template, self.store_root)
        if scenario.catalog_table:
            self.spark.sql(f"DROP TABLE IF EXISTS {scenario.catalog_table}")
        self.store.revive()

    def seen(self, scenario: Scenario) -> Seen:
        lake = Path(self.profile.local_path("s3://lake/out").removeprefix("file://"))
        rows = (
            self.spark.read.parquet(str(lake)).selectExpr("id", "v", "string(day)").collect()
            if lake.exists()
            else []
        )
        marks = {}
        for name, root in scenario.states.items():
            mapped = f"{self.profile.local_path(root)}/{name}"
            store = WatermarkStore(self.store.bucket(mapped), mapped)
            committed = store.committed("id")
            marks[name] = committed.value if committed else None
        leftovers = [
            str(p.relative_to(self.store_root))
            for p in self.store_root.rglob("*")
            if (p.is_file() and ("_glueprint_staging" in p.parts or "_publish" in p.parts))
            or p.name == "_lease.json"
        ]
        assert not leftovers, f"left behind: {leftovers}"
        return Seen(sorted(tuple(r) for r in rows), marks, self._catalog(scenario.catalog_table))

    def _catalog(self, table: str | None) -> tuple[list[tuple[Any, ...]], list[str]] | None:
        if table is None:
            return None
        rows = self.spark.table(table).selectExpr("id", "v", "string(day)").collect()
        partitions = self.spark.sql(f"SHOW PARTITIONS {table}").collect()
        return sorted(tuple(r) for r in rows), sorted(r[0] for r in partitions)

    def exhaust(self, scenario: Scenario) -> int:
        """Run the clean run and every crash point; return how many crash points were run."""
        shutil.rmtree(self.store_root, ignore_errors=True)
        for bucket in BUCKETS:
            (self.store_root / bucket).mkdir(parents=True)
        self.store.revive()
        scenario.prepare(self.runtime())
        shutil.copytree(self.store_root, self.template)

        self.reset(scenario)
        scenario.job.run(self.runtime(), RUN)
        operations = self.store.operations
        clean = self.seen(scenario)
        assert clean.rows, "the clean run must publish something to compare with"

        for k in range(operations):
            self.reset(scenario)
            self.store.crash_after(k)
            with pytest.raises(Crashed):
                scenario.job.run(self.runtime(), RUN)
            self.store.revive()
            result = scenario.job.run(self.runtime(), RUN)
            assert self.seen(scenario) == clean, f"crash after operation {k} of {operations}"
            assert result.outputs, k
        print(f"{scenario.job.name}: {operations} crash points, each rerun equals a clean run")
        return operations


@pytest.fixture
def harness(spark: SparkSession, tmp_path: Path) -> Harness:
    return Harness(spark, tmp_path, {})


def _write(
    runtime: ObjectStoreRuntime,
    uri: str,
    rows: list[tuple[int, str, str]],
    partition_by: tuple[str, ...] = (),
) -> None:
    runtime.start("prepare", [], {})
    frame = runtime.spark.createDataFrame(rows, "id INT, day STRING, v STRING")
    frame.write.partitionBy(*partition_by).parquet(runtime.path(uri))


def _copy_job(
    mode: str, partition_by: tuple[str, ...] = (), catalog_table: str | None = None
) -> Job[..., DataFrame]:
    @job(
        sources={"rows": S3Source("s3://src/new")},
        sink=S3Sink(
            "s3://lake/out", partition_by=list(partition_by), mode=mode, catalog_table=catalog_table
        ),
        name=f"copy-{mode}{'-partitioned' if partition_by else ''}",
    )
    def copy(rows: DataFrame) -> DataFrame:
        return rows.repartition(2)

    return copy


NEW = [(i, f"2024-01-0{i % 3 + 2}", f"new{i}") for i in range(1, 9)]
OLD = [(i, f"2024-01-0{i % 2 + 1}", f"old{i}") for i in range(100, 106)]


@pytest.mark.parametrize(
    ("mode", "partition_by", "catalog_table"),
    [
        ("overwrite", (), None),
        ("overwrite", ("day",), None),
        ("append", (), None),
        ("append", ("day",), "etl_crash_catalog.out"),
    ],
    ids=["unpartitioned-overwrite", "dynamic-partition-overwrite", "append", "append-catalog"],
)
def test_every_crash_point_of_a_file_job(
    harness: Harness, mode: str, partition_by: tuple[str, ...], catalog_table: str | None
) -> None:
    def prepare(runtime: ObjectStoreRuntime) -> None:
        _write(runtime, "s3://src/new", NEW)
        _write(runtime, "s3://lake/out", OLD, partition_by)
        runtime.spark.sql("CREATE DATABASE IF NOT EXISTS etl_crash_catalog")

    scenario = Scenario(_copy_job(mode, partition_by, catalog_table), prepare, {}, catalog_table)
    assert harness.exhaust(scenario) >= 10
    seen = harness.seen(scenario)
    rows = seen.rows
    if catalog_table:  # registered whatever the crash point: every row, every partition
        assert seen.catalog is not None and seen.catalog[0] == rows
        assert seen.catalog[1] == sorted({f"day={day}" for _, _, day in rows})
    if mode == "append":
        assert len(rows) == len(OLD) + len(NEW)
    elif partition_by:  # day 2024-01-02 is in both: replaced; 2024-01-01 kept; -03, -04 added
        assert {r[1] for r in rows} == {f"new{i}" for i in range(1, 9)} | {
            f"old{i}" for i, day, _ in OLD if day == "2024-01-01"
        }
    else:
        assert sorted(r[0] for r in rows) == [i for i, _, _ in NEW]


@pytest.fixture
def tables(psql: Psql, pg_table: str) -> Iterator[tuple[str, str]]:
    first, second = f"{pg_table}_a", f"{pg_table}_b"
    for table, offset in ((first, 0), (second, 1000)):
        psql(
            f"DROP TABLE IF EXISTS {table};"
            f"CREATE TABLE {table} (id int PRIMARY KEY, day text, v text);"
            f"INSERT INTO {table} SELECT {offset} + i, '2024-01-0' || (i % 3 + 1), 'v' || i "
            f"FROM generate_series(1, 12) i"
        )
    yield first, second
    psql(f"DROP TABLE IF EXISTS {first}; DROP TABLE IF EXISTS {second}")


def _incremental_job(tables: tuple[str, ...], state: str | None, name: str) -> Job[..., DataFrame]:
    names = ("a", "b")[: len(tables)]
    sources = {
        source: JdbcSource(
            connection=CONNECTION,
            table=table,
            watermark_column="id",
            watermark_state=state,
            num_partitions=1,
        )
        for source, table in zip(names, tables, strict=True)
    }

    @job(
        sources=sources,
        sink=S3Sink("s3://lake/out", partition_by=["day"], mode="append"),
        name=name,
    )
    def load(**frames: DataFrame) -> DataFrame:
        union = None
        for frame in frames.values():
            union = frame if union is None else union.unionByName(frame)
        assert union is not None
        return union

    return load


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("sources", "state", "new_rows"),
    [(1, None, 8), (2, None, 8), (1, "s3://state/watermarks", 8), (1, None, 0)],
    ids=["append-watermark", "two-incremental-sources", "state-in-another-bucket", "nothing-new"],
)
def test_every_crash_point_of_an_incremental_job(
    *,
    spark: SparkSession,
    tmp_path: Path,
    psql: Psql,
    pg_connection: LocalConnection,
    tables: tuple[str, str],
    sources: int,
    state: str | None,
    new_rows: int,
) -> None:
    harness = Harness(spark, tmp_path, {CONNECTION: pg_connection})
    chosen = tables[:sources]
    load = _incremental_job(chosen, state, f"load-{sources}-{'state' if state else 'home'}")
    first_batch = {table: psql(f"SELECT max(id) FROM {table}") for table in chosen}

    def prepare(runtime: ObjectStoreRuntime) -> None:
        """An earlier run published ids 1..12 (1001..1012); ``new_rows`` rows arrived since."""
        load.run(runtime, ["--JOB_RUN_ID", "jr_earlier"])
        for table in chosen:
            offset = 0 if table == tables[0] else 1000
            psql(
                f"INSERT INTO {table} SELECT {offset} + i, '2024-01-0' || (i % 3 + 1), 'v' || i "
                f"FROM generate_series(13, {12 + new_rows}) i"
            )

    root = state or f"s3://lake/out/{STATE_DIR}"
    scenario = Scenario(load, prepare, {name: root for name in ("a", "b")[:sources]})
    covered = harness.exhaust(scenario)
    seen = harness.seen(scenario)
    assert covered >= 10
    assert len(seen.rows) == len({r[0] for r in seen.rows}) == (12 + new_rows) * sources
    assert seen.marks == {
        name: str(int(first_batch[table]) + new_rows)
        for name, table in zip(("a", "b"), chosen, strict=False)
    }
