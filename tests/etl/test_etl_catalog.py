"""``catalog_table``: Glue's naming rule (hyphens are fine), and registration as a step of the
publish journal, before the watermark: a failed registration is reported as such and completed
by the next run.  Crashes at every point around it are in test_etl_crash_points.py."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import CONNECTION
from pyspark.sql import DataFrame, SparkSession

from etl import EtlError, JdbcSource, OptionError, S3Sink, S3Source, job
from etl.catalog_table import CatalogTable, parse_catalog_table
from etl.job import Job
from etl.profile import LocalProfile
from etl.publish import STATE_DIR
from etl.testing import local_profile, run_local

Psql = Callable[[str], str]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sales-eu.daily-orders", CatalogTable("sales-eu", "daily-orders")),
        ("Sales.Orders", CatalogTable("sales", "orders")),  # Glue stores names lowercase
        ("ventes.données 2024", CatalogTable("ventes", "données 2024")),
        ("d" * 255 + ".t", CatalogTable("d" * 255, "t")),
        ("_raw.2024_orders", CatalogTable("_raw", "2024_orders")),
    ],
)
def test_names_glue_accepts_are_accepted(text: str, expected: CatalogTable) -> None:
    assert parse_catalog_table(text) == expected
    S3Sink("s3://b/p", catalog_table=text)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("orders", "must look like 'database.table'"),
        ("a.b.c", "one '.' between a database name and a table name"),
        (".orders", "both non-empty"),
        ("db.ord\ners", "the table name contains the character U\\+000A; .* single-line"),
        ("db\x00.t", "the database name contains the character U\\+0000"),
        (" db.t", "the database name ' db' starts or ends with whitespace"),
        ("db.t" + "é" * 128, "the table name is 257 bytes long in UTF-8; Glue allows 1 to 255"),
    ],
)
def test_names_glue_refuses_are_refused_with_the_reason(text: str, problem: str) -> None:
    with pytest.raises(OptionError, match=rf"^S3Sink: catalog_table=.*{problem}"):
        S3Sink("s3://b/p", catalog_table=text)


def test_the_sql_name_is_quoted() -> None:
    assert parse_catalog_table("sales-eu.my`table").sql == "`sales-eu`.`my``table`"


@pytest.fixture
def database(spark: SparkSession, request: pytest.FixtureRequest) -> Iterator[str]:
    """A database name of this test's own, dropped (with its tables) afterwards."""
    name = f"etl_cat_{request.node.name.split('[')[0][-30:].lower()}"
    yield name
    spark.sql(f"DROP DATABASE IF EXISTS {name} CASCADE")


@pytest.fixture
def profile(pg_profile: LocalProfile, tmp_path: Path) -> LocalProfile:
    lake = local_profile(tmp_path, ["lake"])
    return LocalProfile(connections=pg_profile.connections, paths=lake.paths)


def _incremental(table: str, catalog_table: str) -> Job[..., DataFrame]:
    @job(
        sources={"rows": JdbcSource(connection=CONNECTION, table=table, watermark_column="id")},
        sink=S3Sink(
            "s3://lake/out", partition_by=["day"], mode="append", catalog_table=catalog_table
        ),
    )
    def load(rows: DataFrame) -> DataFrame:
        return rows

    return load


def _state(profile: LocalProfile, *parts: str) -> list[str]:
    directory = Path(profile.local_path("s3://lake/out").removeprefix("file://"), STATE_DIR, *parts)
    names = (p.name for p in directory.iterdir()) if directory.is_dir() else ()
    return sorted(name for name in names if not name.startswith("."))  # not the .crc files


@pytest.mark.spark
@pytest.mark.postgres
def test_a_failed_registration_keeps_the_watermark_and_the_next_run_completes_it(
    spark: SparkSession, psql: Psql, pg_table: str, profile: LocalProfile, database: str
) -> None:
    psql(f"CREATE TABLE {pg_table} (id int PRIMARY KEY, day text)")
    psql(f"INSERT INTO {pg_table} SELECT i, 'd' || (i % 2) FROM generate_series(1, 10) i")
    load = _incremental(pg_table, f"{database}.orders")
    out = profile.local_path("s3://lake/out")

    with pytest.raises(EtlError) as failed:  # the database does not exist yet
        run_local(load, spark, profile, ["--JOB_RUN_ID", "jr_first"])
    message = str(failed.value)
    assert type(failed.value).__name__ == "CatalogRegistrationError"
    assert f"the data was published at {out}, but registering {database}.orders" in message
    assert f"create database {database}" in message and "next run" in message
    assert spark.read.parquet(out).count() == 10  # the data is published ...
    assert _state(profile, "rows") == []  # ... the watermark is not committed
    assert _state(profile, "_publish") == ["jr_first.json"]  # the journal keeps the step
    assert _state(profile, "_batches") == []

    spark.sql(f"CREATE DATABASE {database}")
    psql(f"INSERT INTO {pg_table} SELECT i, 'd' || (i % 2) FROM generate_series(11, 15) i")
    result = run_local(load, spark, profile, ["--JOB_RUN_ID", "jr_second"])
    assert result.watermarks == {"rows": "15"}
    assert _state(profile, "rows") == ["0000000001.json", "0000000002.json"]
    assert _state(profile, "_publish") == []
    rows = spark.table(f"{database}.orders").collect()
    assert sorted(r.id for r in rows) == list(range(1, 16))  # each row once
    partitions = spark.sql(f"SHOW PARTITIONS {database}.orders").collect()
    assert sorted(r[0] for r in partitions) == ["day=d0", "day=d1"]


def _copy(catalog_table: str) -> Job[..., DataFrame]:
    @job(
        sources={"raw": S3Source("s3://lake/raw")},
        sink=S3Sink("s3://lake/out", partition_by=["dt"], catalog_table=catalog_table),
    )
    def copy(raw: DataFrame) -> DataFrame:
        return raw

    return copy


@pytest.mark.spark
def test_a_hyphenated_table_that_exists_gets_its_partitions(
    spark: SparkSession, tmp_path: Path, database: str
) -> None:
    profile = local_profile(tmp_path, ["lake"])
    raw, out = profile.local_path("s3://lake/raw"), profile.local_path("s3://lake/out")
    spark.createDataFrame([(1, "a"), (2, "b")], "id INT, dt STRING").write.parquet(raw)
    # Spark creates only names of letters, digits and _; Glue (Terraform, the console) creates
    # any: make the table as Glue would, by renaming it in the catalog itself.
    spark.sql(f"CREATE DATABASE {database}")
    spark.sql(
        f"CREATE TABLE {database}.made_by_terraform (id INT, dt STRING) USING parquet "
        f"PARTITIONED BY (dt) LOCATION '{out}'"
    )
    catalog = spark._jsparkSession.sharedState().externalCatalog()
    catalog.renameTable(database, "made_by_terraform", "daily-orders")

    run_local(_copy(f"{database}.daily-orders"), spark, profile)
    table = f"{database}.`daily-orders`"
    assert sorted((r.id, r.dt) for r in spark.table(table).collect()) == [(1, "a"), (2, "b")]
    partitions = spark.sql(f"SHOW PARTITIONS {table}").collect()
    assert sorted(r[0] for r in partitions) == ["dt=a", "dt=b"]


@pytest.mark.spark
def test_a_hyphenated_table_spark_cannot_create_is_reported_with_the_fix(
    spark: SparkSession, tmp_path: Path, database: str
) -> None:
    profile = local_profile(tmp_path, ["lake"])
    spark.createDataFrame([(1, "a")], "id INT, dt STRING").write.parquet(
        profile.local_path("s3://lake/raw")
    )
    spark.sql(f"CREATE DATABASE {database}")
    with pytest.raises(EtlError, match=f"create {database}.new-orders beforehand"):
        run_local(_copy(f"{database}.new-orders"), spark, profile)
