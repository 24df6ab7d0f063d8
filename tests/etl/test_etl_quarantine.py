"""Malformed csv/json rows go to a quarantine with a reason; rows in = rows out + quarantined."""

from __future__ import annotations

from pathlib import Path

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession

from etl import DataQualityError, OptionError, Quarantine, S3Sink, S3Source, SourceStats, job
from etl import quarantine as quarantine_module
from etl import sources as sources_module
from etl.job import Job
from etl.profile import LocalProfile
from etl.testing import local_profile, run_local

SCHEMA = "id INT, amount DOUBLE, name STRING"
CSV = """id,amount,name
1,1.5,a
2,oops,b
3,3.5
4,4.5,d
5,5.5,e,extra
"""
JSON = """{"id": 1, "amount": 1.5, "name": "a"}
{"id": 2, "amount": "lots", "name": "b"}
{"id": 3, "amount": 3.5, "name": "c"
{"id": 4, "amount": 4.5, "name": "d"}
"""


@pytest.fixture
def profile(tmp_path: Path) -> LocalProfile:
    return local_profile(tmp_path, ["lake"])


def _copy(
    fmt: str, quarantine: Quarantine, partition_by: tuple[str, ...] = ()
) -> Job[..., DataFrame]:
    @job(
        sources={
            "raw": S3Source("s3://lake/raw", format=fmt, schema=SCHEMA, quarantine=quarantine)
        },
        sink=S3Sink("s3://lake/out", partition_by=partition_by),
    )
    def copy(raw: DataFrame) -> DataFrame:
        return raw

    return copy


def _write(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / "lake" / "raw").mkdir(parents=True, exist_ok=True)
    (tmp_path / "lake" / "raw" / name).write_text(text)


@pytest.mark.spark
def test_malformed_csv_rows_are_quarantined_with_reasons(
    spark: SparkSession, profile: LocalProfile, tmp_path: Path
) -> None:
    _write(tmp_path, "a.csv", CSV)
    result = run_local(_copy("csv", Quarantine(max_rows=3)), spark, profile, ["--JOB_RUN_ID", "r1"])

    stats = result.sources["raw"]
    assert (stats.rows_in, stats.rows_out, stats.quarantined) == (5, 2, 3)
    assert stats.rows_in == stats.rows_out + stats.quarantined
    assert stats.quarantine is not None and stats.quarantine.endswith(
        "out/_quarantine/raw/run_id=r1"
    )
    out = spark.read.parquet(profile.local_path("s3://lake/out"))
    assert_df_equality(
        out, spark.createDataFrame([(1, 1.5, "a"), (4, 4.5, "d")], SCHEMA), ignore_row_order=True
    )
    bad = spark.read.json(stats.quarantine).orderBy("record").collect()
    assert [(r.record, r.reason) for r in bad] == [
        ("2,oops,b", "cannot parse column(s) amount (double)"),
        ("3,3.5", "expected 3 fields, got 2"),
        ("5,5.5,e,extra", "expected 3 fields, got 4"),
    ]
    assert all(r.file.endswith("a.csv") and r.source == "raw" for r in bad)

    # A rerun of the unpartitioned sink replaces the output but keeps the quarantine.
    run_local(_copy("csv", Quarantine()), spark, profile, ["--JOB_RUN_ID", "r2"])
    quarantine_root = tmp_path / "lake" / "out" / "_quarantine" / "raw"
    runs = sorted(p.name for p in quarantine_root.iterdir() if p.name.startswith("run_id="))
    assert runs == ["run_id=r1", "run_id=r2"]


@pytest.mark.spark
def test_malformed_json_rows_are_quarantined(
    spark: SparkSession, profile: LocalProfile, tmp_path: Path
) -> None:
    _write(tmp_path, "a.json", JSON)
    result = run_local(_copy("json", Quarantine(max_fraction=0.5)), spark, profile)
    assert result.sources["raw"].rows_in == 4 and result.sources["raw"].quarantined == 2
    bad = spark.read.json(result.sources["raw"].quarantine).orderBy("record").collect()
    reasons = {r.record.split(",")[0]: r.reason for r in bad}
    assert reasons['{"id": 2'].startswith("values do not match the declared schema")
    assert reasons['{"id": 3'] == "invalid JSON"


@pytest.mark.spark
@pytest.mark.parametrize(
    ("quarantine", "limit"),
    [(Quarantine(max_rows=2), "max_rows=2"), (Quarantine(max_fraction=0.5), "max_fraction=0.5")],
)
def test_threshold_fails_the_job_and_leaves_the_output_unchanged(
    spark: SparkSession,
    profile: LocalProfile,
    tmp_path: Path,
    quarantine: Quarantine,
    limit: str,
) -> None:
    _write(tmp_path, "a.csv", "id,amount,name\n1,1.0,a\n")
    run_local(_copy("csv", quarantine, ("name",)), spark, profile)
    before = spark.read.parquet(profile.local_path("s3://lake/out")).collect()

    _write(tmp_path, "a.csv", CSV)
    with pytest.raises(
        DataQualityError, match=rf"source 'raw': 3 of 5 rows are malformed, over {limit}"
    ):
        run_local(_copy("csv", quarantine, ("name",)), spark, profile, ["--JOB_RUN_ID", "bad"])
    assert spark.read.parquet(profile.local_path("s3://lake/out")).collect() == before
    # The bad rows are published for inspection even though the job failed.
    bad_rows = tmp_path / "lake" / "out" / "_quarantine" / "raw" / "run_id=bad"
    assert spark.read.json(str(bad_rows)).count() == 3


def test_quarantine_options_are_checked() -> None:
    with pytest.raises(OptionError, match="did you mean 'max_rows'"):
        Quarantine(max_row=1)  # type: ignore[call-arg]
    with pytest.raises(OptionError, match="fraction"):
        Quarantine(max_fraction=5)
    with pytest.raises(OptionError, match="needs format='csv' or 'json' and a schema"):
        S3Source("s3://b/p", quarantine=Quarantine())
    with pytest.raises(OptionError, match="needs format='csv' or 'json' and a schema"):
        S3Source("s3://b/p", format="csv", quarantine=Quarantine())
    with pytest.raises(OptionError, match="set by etl"):
        S3Source(
            "s3://b/p", format="csv", schema=SCHEMA, quarantine=Quarantine(), options={"mode": "x"}
        )
    assert SourceStats(3, 2, 1).quarantine is None


@pytest.mark.spark
def test_a_row_the_parser_loses_fails_the_job(
    spark: SparkSession, profile: LocalProfile, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The input is counted from the files' lines, apart from the parser, so a record the
    parser drops (simulated at the one seam between parsing and accounting) is caught."""
    _write(tmp_path, "a.csv", CSV)
    _write(tmp_path, "b.csv", "id,amount,name\n\n6,6.5,f\n")  # a blank line is no record
    original = quarantine_module.read_permissive

    def losing_row_4(frame: DataFrame, *args: object, **kwargs: object) -> object:
        return original(frame.where("id IS NULL OR id <> 4"), *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sources_module, "read_permissive", losing_row_4)
    with pytest.raises(
        DataQualityError,
        match=r"^source 'raw': the files hold 6 records but the parser returned 2 rows and "
        r"quarantined 3: 1 went missing$",
    ):
        run_local(_copy("csv", Quarantine()), spark, profile)
    assert not (tmp_path / "lake" / "out").exists() or not list(
        (tmp_path / "lake" / "out").glob("*.parquet")
    )
    monkeypatch.undo()
    result = run_local(_copy("csv", Quarantine()), spark, profile)
    assert result.sources["raw"] == SourceStats(6, 3, 3, result.sources["raw"].quarantine)
