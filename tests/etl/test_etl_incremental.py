"""Incremental JDBC loads: a watermark stored next to the output, advanced with the data.

Crashes at every point of a run are in test_etl_crash_points.py."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from chispa import assert_df_equality
from conftest import CONNECTION
from pyspark.sql import DataFrame, SparkSession

from etl import JdbcSource, OptionError, S3Sink, StateError, job
from etl.job import Job
from etl.profile import LocalProfile
from etl.publish import STATE_DIR
from etl.testing import local_profile, run_local

pytestmark = [pytest.mark.spark, pytest.mark.postgres]
Psql = Callable[[str], str]


def _insert(psql: Psql, table: str, first: int, last: int) -> None:
    psql(
        f"INSERT INTO {table} SELECT i, DATE '2024-01-01' + (i % 4),"
        f" TIMESTAMP '2024-01-01 00:00:00.000001' + i * INTERVAL '1 minute 1.5 second', 'v' || i"
        f" FROM generate_series({first}, {last}) i"
    )


def _jobs(table: str, column: str) -> tuple[Job[..., DataFrame], Job[..., DataFrame]]:
    @job(
        sources={"rows": JdbcSource(connection=CONNECTION, table=table, watermark_column=column)},
        sink=S3Sink("s3://lake/inc", partition_by=["day"], mode="append"),
    )
    def incremental(rows: DataFrame) -> DataFrame:
        return rows

    @job(
        sources={"rows": JdbcSource(connection=CONNECTION, table=table)},
        sink=S3Sink("s3://lake/full", partition_by=["day"]),
    )
    def full(rows: DataFrame) -> DataFrame:
        return rows

    return incremental, full


def _read(spark: SparkSession, profile: LocalProfile, where: str) -> DataFrame:
    return spark.read.parquet(profile.local_path(where)).orderBy("id")


@pytest.fixture
def profile(pg_profile: LocalProfile, tmp_path: Path) -> LocalProfile:
    lake = local_profile(tmp_path, ["lake"])
    return LocalProfile(connections=pg_profile.connections, paths=lake.paths)


@pytest.mark.parametrize("column", ["id", "updated_at"])
def test_three_incremental_runs_equal_one_full_run(
    spark: SparkSession, psql: Psql, pg_table: str, profile: LocalProfile, column: str
) -> None:
    psql(f"CREATE TABLE {pg_table} (id int PRIMARY KEY, day date, updated_at timestamp, v text)")
    incremental, full = _jobs(pg_table, column)
    _insert(psql, pg_table, 1, 100)
    assert run_local(incremental, spark, profile).watermarks["rows"] is not None
    _insert(psql, pg_table, 101, 130)
    run_local(incremental, spark, profile)
    _insert(psql, pg_table, 131, 200)
    result = run_local(incremental, spark, profile)
    expected_mark = psql(f"SELECT max({column})::text FROM {pg_table}")
    assert result.watermarks == {"rows": expected_mark}
    assert run_local(incremental, spark, profile).watermarks == {"rows": None}  # nothing new

    run_local(full, spark, profile)
    assert_df_equality(
        _read(spark, profile, "s3://lake/inc"), _read(spark, profile, "s3://lake/full")
    )
    state = Path(profile.local_path("s3://lake/inc")[7:], STATE_DIR, "rows")
    assert sorted(p.name for p in state.iterdir() if not p.name.startswith(".")) == [
        "0000000001.json", "0000000002.json", "0000000003.json",
    ]  # fmt: skip


def test_watermark_options_are_checked() -> None:
    with pytest.raises(OptionError, match="did you mean 'watermark_column'"):
        JdbcSource(connection="c", table="t", watermark_colum="id")  # type: ignore[call-arg]
    with pytest.raises(
        OptionError, match="watermark_state, watermark_lookback and watermark_key need"
    ):
        JdbcSource(connection="c", table="t", watermark_state="s3://b/state")
    with pytest.raises(OptionError, match="did you mean 'append'"):
        S3Sink("s3://b/o", mode="apend")
    with pytest.raises(OptionError, match="needs watermark_key"):
        JdbcSource(connection="c", table="t", watermark_column="ts", watermark_lookback=60)


def _published(spark: SparkSession, profile: LocalProfile) -> list[int]:
    return sorted(r.id for r in _read(spark, profile, "s3://lake/inc").select("id").collect())


def test_a_query_reads_incrementally(
    spark: SparkSession, psql: Psql, pg_table: str, profile: LocalProfile
) -> None:
    psql(f"CREATE TABLE {pg_table} (id int PRIMARY KEY, day date, updated_at timestamp, v text)")
    _insert(psql, pg_table, 1, 30)

    @job(
        sources={
            "rows": JdbcSource(
                connection=CONNECTION,
                query=f"SELECT id, day, v FROM {pg_table} WHERE id % 3 <> 0",
                watermark_column="id",
            )
        },
        sink=S3Sink("s3://lake/inc", mode="append"),
    )
    def from_query(rows: DataFrame) -> DataFrame:
        return rows

    assert run_local(from_query, spark, profile).watermarks == {"rows": "29"}
    _insert(psql, pg_table, 31, 40)
    assert run_local(from_query, spark, profile).watermarks == {"rows": "40"}
    assert _published(spark, profile) == [i for i in range(1, 41) if i % 3]


def test_null_watermarks_are_read_by_the_first_load_only(
    spark: SparkSession, psql: Psql, pg_table: str, profile: LocalProfile
) -> None:
    psql(f'CREATE TABLE {pg_table} (id int PRIMARY KEY, day date, "updatedAt" timestamp, v text)')
    psql(
        f"INSERT INTO {pg_table} SELECT i, DATE '2024-01-01', CASE WHEN i % 4 = 0 THEN NULL "
        f"ELSE TIMESTAMP '2024-01-01' + i * INTERVAL '1 minute' END, 'v' "
        "FROM generate_series(1, 20) i"
    )
    incremental, _ = _jobs(pg_table, "updatedAt")  # a mixed-case column: quoted as written
    first = run_local(incremental, spark, profile)
    assert first.watermarks == {"rows": "2024-01-01 00:19:00"}
    assert _published(spark, profile) == list(range(1, 21))  # NULLs included, once
    psql(
        f"INSERT INTO {pg_table} VALUES (21, DATE '2024-01-02', TIMESTAMP '2024-01-02', 'v'),"
        f" (22, DATE '2024-01-02', NULL, 'v')"
    )
    run_local(incremental, spark, profile)
    assert _published(spark, profile) == list(range(1, 22))  # 22 has a NULL: never read again


def test_only_nulls_on_the_first_load_are_not_read_twice(
    spark: SparkSession, psql: Psql, pg_table: str, profile: LocalProfile
) -> None:
    psql(f"CREATE TABLE {pg_table} (id int PRIMARY KEY, day date, updated_at timestamp, v text)")
    psql(
        f"INSERT INTO {pg_table} SELECT i, DATE '2024-01-01', NULL, 'v' "
        "FROM generate_series(1, 5) i"
    )
    incremental, _ = _jobs(pg_table, "updated_at")
    assert run_local(incremental, spark, profile).watermarks == {"rows": None}
    _insert(psql, pg_table, 6, 8)
    run_local(incremental, spark, profile)
    assert _published(spark, profile) == list(range(1, 9))


def _late_job(table: str, lookback: float | None) -> Job[..., DataFrame]:
    @job(
        sources={
            "rows": JdbcSource(
                connection=CONNECTION,
                table=table,
                watermark_column="updated_at",
                watermark_lookback=lookback,
                watermark_key=["id"] if lookback else [],
            )
        },
        sink=S3Sink("s3://lake/inc", partition_by=["day"], mode="append"),
    )
    def late(rows: DataFrame) -> DataFrame:
        return rows

    return late


@pytest.mark.parametrize("lookback", [None, 600.0], ids=["no-lookback", "lookback"])
def test_rows_committed_late_are_read_within_the_lookback(
    spark: SparkSession, psql: Psql, pg_table: str, profile: LocalProfile, lookback: float | None
) -> None:
    psql(f"CREATE TABLE {pg_table} (id int PRIMARY KEY, day date, updated_at timestamp, v text)")
    _insert(psql, pg_table, 1, 50)
    late = _late_job(pg_table, lookback)
    mark = run_local(late, spark, profile).watermarks["rows"]
    # Two writers committed late: one at exactly the mark, one 2 minutes below it.
    psql(
        f"INSERT INTO {pg_table} VALUES (51, DATE '2024-01-01', TIMESTAMP '{mark}', 'late'),"
        f" (52, DATE '2024-01-01', TIMESTAMP '{mark}' - INTERVAL '2 minutes', 'late')"
    )
    _insert(psql, pg_table, 60, 70)
    run_local(late, spark, profile)
    run_local(late, spark, profile)  # nothing new: the window is re-read, nothing republished
    expected = [*range(1, 51), *range(60, 71)]
    if lookback:
        expected = sorted([*expected, 51, 52])
    assert _published(spark, profile) == expected  # no row twice; late rows only with lookback


def test_an_overlapping_run_is_refused(
    spark: SparkSession, psql: Psql, pg_table: str, profile: LocalProfile
) -> None:
    psql(f"CREATE TABLE {pg_table} (id int PRIMARY KEY, day date, updated_at timestamp, v text)")
    _insert(psql, pg_table, 1, 10)
    inside, release = threading.Event(), threading.Event()

    @job(
        sources={"rows": JdbcSource(connection=CONNECTION, table=pg_table, watermark_column="id")},
        sink=S3Sink("s3://lake/inc", mode="append"),
    )
    def slow(rows: DataFrame) -> DataFrame:
        inside.set()
        release.wait(timeout=60)
        return rows

    first: list[object] = []
    runner = threading.Thread(target=lambda: first.append(run_local(slow, spark, profile)))
    runner.start()
    try:
        assert inside.wait(timeout=60)
        with pytest.raises(StateError, match=r"holds .*_lease\.json.* two runs of a job"):
            run_local(slow, spark, profile, ["--JOB_RUN_ID", "jr_overlap"])
    finally:
        release.set()
        runner.join(timeout=120)
    assert len(first) == 1 and _published(spark, profile) == list(range(1, 11))
