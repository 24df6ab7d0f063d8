"""``${argument}`` placeholders: every string option of every source and sink is templatable, an
unknown placeholder is an error naming the field, and values are validated once substituted."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import CONNECTION
from pyspark.sql import DataFrame, SparkSession

from etl import ArgumentError, JdbcSource, OptionError, Quarantine, S3Sink, S3Source, job
from etl.profile import LocalProfile
from etl.testing import local_profile, run_local

VALUES = {"x": "bound", "run_date": "2024-05-01"}
Case = tuple[Callable[[str], Any], Callable[[Any], object], object]

CASES: dict[str, Case] = {
    "S3Source.path": (lambda p: S3Source(f"s3://b/{p}"), lambda s: s.path, "s3://b/bound"),
    "S3Source.format": (
        lambda p: S3Source("s3://b/", format=p.replace("${x}", "${fmt}")),
        lambda s: s.format,
        "csv",
    ),
    "S3Source.partition_filter": (
        lambda p: S3Source("s3://b/", partition_filter=f"dt = '{p}'"),
        lambda s: s.partition_filter,
        "dt = 'bound'",
    ),
    "S3Source.schema": (
        lambda p: S3Source("s3://b/", schema=f"{p} INT"),
        lambda s: s.schema,
        "bound INT",
    ),
    "S3Source.options": (
        lambda p: S3Source("s3://b/", options={"sep": p}),
        lambda s: s.options["sep"],
        "bound",
    ),
    "S3Source.quarantine.path": (
        lambda p: S3Source(
            "s3://b/", format="csv", schema="a INT", quarantine=Quarantine(path=f"s3://q/{p}")
        ),
        lambda s: s.quarantine.path,
        "s3://q/bound",
    ),
    "JdbcSource.connection": (
        lambda p: JdbcSource(connection=p, table="t"),
        lambda s: s.connection,
        "bound",
    ),
    "JdbcSource.table": (lambda p: JdbcSource(connection="c", table=p), lambda s: s.table, "bound"),
    "JdbcSource.query": (
        lambda p: JdbcSource(connection="c", query=f"SELECT '{p}'"),
        lambda s: s.query,
        "SELECT 'bound'",
    ),
    "JdbcSource.partition_column": (
        lambda p: JdbcSource(connection="c", table="t", partition_column=p),
        lambda s: s.partition_column,
        "bound",
    ),
    "JdbcSource.watermark_column": (
        lambda p: JdbcSource(connection="c", table="t", watermark_column=p),
        lambda s: s.watermark_column,
        "bound",
    ),
    "JdbcSource.watermark_state": (
        lambda p: JdbcSource(
            connection="c", table="t", watermark_column="id", watermark_state=f"s3://s/{p}"
        ),
        lambda s: s.watermark_state,
        "s3://s/bound",
    ),
    "JdbcSource.watermark_key[1]": (
        lambda p: JdbcSource(
            connection="c",
            table="t",
            watermark_column="id",
            watermark_lookback=60,
            watermark_key=["id", p],
        ),
        lambda s: list(s.watermark_key),
        ["id", "bound"],
    ),
    "JdbcSource.options": (
        lambda p: JdbcSource(connection="c", table="t", options={"sessionInitStatement": p}),
        lambda s: s.options["sessionInitStatement"],
        "bound",
    ),
    "S3Sink.path": (lambda p: S3Sink(f"s3://b/{p}"), lambda s: s.path, "s3://b/bound"),
    "S3Sink.format": (
        lambda p: S3Sink("s3://b/", format=p.replace("${x}", "${fmt}")),
        lambda s: s.format,
        "csv",
    ),
    "S3Sink.mode": (
        lambda p: S3Sink("s3://b/", mode=p.replace("${x}", "${mode}")),
        lambda s: s.mode,
        "append",
    ),
    "S3Sink.partition_by[0]": (
        lambda p: S3Sink("s3://b/", partition_by=[p]),
        lambda s: list(s.partition_by),
        ["bound"],
    ),
    "S3Sink.catalog_table": (
        lambda p: S3Sink("s3://b/", catalog_table=f"db-{p}.orders"),
        lambda s: s.catalog_table,
        "db-bound.orders",
    ),
    "S3Sink.options": (
        lambda p: S3Sink("s3://b/", options={"compression": p}),
        lambda s: s.options["compression"],
        "bound",
    ),
}
BOUND = {**VALUES, "fmt": "csv", "mode": "append"}


@pytest.mark.parametrize("field", list(CASES))
def test_every_string_option_is_templated(field: str) -> None:
    make, read, expected = CASES[field]
    assert read(make("${x}").bind(BOUND)) == expected


@pytest.mark.parametrize("field", list(CASES))
def test_an_unknown_placeholder_names_the_field_and_the_arguments(field: str) -> None:
    make, _, _ = CASES[field]
    declared = make("${input_name}")
    where = field.split("[", maxsplit=1)[0].replace(".", r"\.")
    with pytest.raises(
        ArgumentError, match=rf"^{where}\S*: placeholder \$\{{input_name\}}"
    ) as info:
        declared.bind({"run_date": "2024-05-01", "input_nam": "x"})
    message = str(info.value)
    assert "did you mean 'input_nam'" in message
    assert "arguments with a value: input_nam, run_date" in message


@pytest.mark.parametrize(
    ("make", "literal"),
    [
        (lambda v: S3Source("s3://b/", format=v), "parket"),
        (lambda v: S3Sink("s3://b/", format=v), "jsn"),
        (lambda v: S3Sink("s3://b/", mode=v), "apend"),
        (lambda v: S3Sink("s3://b/", catalog_table=v), "orders"),
        (lambda v: JdbcSource(connection=v, table="t"), ""),
    ],
    ids=["source-format", "sink-format", "sink-mode", "catalog-table", "connection"],
)
def test_a_templated_value_is_checked_once_bound_like_a_literal(
    make: Callable[[str], Any], literal: str
) -> None:
    with pytest.raises(OptionError) as direct:
        make(literal)
    templated = make("${v}")  # not checked yet: its value comes with the run's arguments
    with pytest.raises(OptionError) as bound:
        templated.bind({"v": literal})
    assert str(bound.value) == str(direct.value)


def test_fields_without_placeholders_are_left_as_they_are() -> None:
    source = S3Source("s3://b/", format="csv", schema="a INT", quarantine=Quarantine(max_rows=3))
    assert source.bind(VALUES) == source
    bound = S3Source("s3://b/${x}", options={"sep": ";"}).bind(VALUES)
    assert bound == S3Source("s3://b/bound", options={"sep": ";"})


@pytest.fixture
def profile(pg_profile: LocalProfile, tmp_path: Path) -> LocalProfile:
    lake = local_profile(tmp_path, ["lake"])
    return LocalProfile(connections=pg_profile.connections, paths=lake.paths)


@dataclasses.dataclass(frozen=True)
class Inputs:
    input_connection_name: str
    table: str
    fmt: str = "parquet"
    part: str = "day"


@pytest.mark.spark
@pytest.mark.postgres
def test_a_job_reads_through_a_templated_connection_and_writes_a_templated_sink(
    spark: SparkSession, psql: Callable[[str], str], pg_table: str, profile: LocalProfile
) -> None:
    psql(f"CREATE TABLE {pg_table} (id int PRIMARY KEY, day text)")
    psql(f"INSERT INTO {pg_table} SELECT i, 'd' || (i % 2) FROM generate_series(1, 6) i")

    @job(
        sources={"rows": JdbcSource(connection="${input_connection_name}", table="${table}")},
        sink=S3Sink("s3://lake/out", format="${fmt}", partition_by=["${part}"]),
        arguments=Inputs,
    )
    def copy(rows: DataFrame) -> DataFrame:
        return rows

    argv = ["--input_connection_name", CONNECTION, "--table", pg_table, "--fmt", "json"]
    run_local(copy, spark, profile, argv)
    out = profile.local_path("s3://lake/out")
    partitions = sorted(p.name for p in Path(out.removeprefix("file://")).glob("day=*"))
    assert partitions == ["day=d0", "day=d1"]
    written = spark.read.json(out).orderBy("id").collect()
    assert [(r.id, r.day) for r in written] == [(i, f"d{i % 2}") for i in range(1, 7)]


@pytest.mark.spark
@pytest.mark.parametrize(
    ("argv", "error", "message"),
    [
        (["--fmt", "parket"], OptionError, r"^source 'b': S3Source: format='parket' .*'parquet'"),
        (["--fmt", "csv", "--dest", "x"], ArgumentError, r"^sink 'output': S3Sink\.path: .*\$\{"),
    ],
    ids=["bad-substituted-format", "unknown-placeholder-in-the-sink"],
)
def test_bad_bindings_fail_before_anything_is_read(
    spark: SparkSession,
    tmp_path: Path,
    argv: list[str],
    error: type[Exception],
    message: str,
) -> None:
    @dataclasses.dataclass(frozen=True)
    class Args:
        fmt: str
        dest: str = "out"

    @job(
        sources={
            "a": S3Source("s3://lake/missing"),  # read first, it would fail: path does not exist
            "b": S3Source("s3://lake/in", format="${fmt}"),
        },
        sink=S3Sink("s3://lake/${destination}"),
        arguments=Args,
    )
    def both(a: DataFrame, b: DataFrame) -> DataFrame:
        return a.unionByName(b)

    with pytest.raises(error, match=message):
        run_local(both, spark, local_profile(tmp_path, ["lake"]), argv)
