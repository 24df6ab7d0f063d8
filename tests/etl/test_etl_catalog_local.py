"""CatalogSource on a laptop: the local profile's [catalog] section says what each Data Catalog
table is here (a JDBC table on a profile connection, or a directory), and a CatalogSource's
predicates filter the directories Spark discovers."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from pyspark.sql import DataFrame, SparkSession

from etl import CatalogSource, EtlError, OptionError, S3Sink, SparkRuntime, job
from etl.profile import LocalProfile
from etl.testing import run_local

LOCAL_PROFILE = """
[connections.my-rds-vpc-connection]
url = "{url}"
user_env = "TEST_PG_USER"
password_env = "TEST_PG_PASSWORD"

[paths]
"s3://out" = "out"

[catalog."sales-db.sales_orders"]
connection = "my-rds-vpc-connection"
table = "{table}"

[catalog."lake.events"]
path = "data/events"
format = "parquet"
"""


@dataclasses.dataclass(frozen=True)
class DayArgs:
    day: str


@pytest.mark.spark
@pytest.mark.postgres
def test_the_local_profile_maps_catalog_tables_and_predicates_filter_directories(
    spark: SparkSession,
    *,
    pg_jdbc_url: str,
    pg_env: dict[str, str],
    psql: Callable[[str], str],
    pg_table: str,
    tmp_path: Path,
) -> None:
    psql(
        f"CREATE TABLE {pg_table} (id int PRIMARY KEY, v text); "
        f"INSERT INTO {pg_table} VALUES (1, 'one'), (2, 'two'), (3, 'three')"
    )
    rows = [(1, dt.date(2024, 1, 1)), (2, dt.date(2024, 1, 2)), (3, dt.date(2024, 1, 2))]
    spark.createDataFrame(rows, "id INT, dt DATE").write.partitionBy("dt").parquet(
        str(tmp_path / "data" / "events")
    )
    (tmp_path / "local.toml").write_text(LOCAL_PROFILE.format(url=pg_jdbc_url, table=pg_table))
    profile = LocalProfile.load(tmp_path / "local.toml")

    @job(
        sources={
            "orders": CatalogSource(database="Sales-DB", table="sales_orders"),
            "events": CatalogSource(
                database="lake", table="events", push_down_predicate="dt = '${day}'"
            ),
        },
        sink=S3Sink("s3://out/joined"),
        arguments=DayArgs,
    )
    def joined(orders: DataFrame, events: DataFrame) -> DataFrame:
        return events.join(orders, "id").select("id", "v")

    run_local(joined, spark, profile, ["--day", "2024-01-02"])

    written = spark.read.parquet(str(tmp_path / "out" / "joined")).collect()
    assert sorted((r.id, r.v) for r in written) == [(2, "two"), (3, "three")]


def test_an_unmapped_table_locally_shows_the_profile_section_to_add() -> None:
    with pytest.raises(
        EtlError, match=r'(?s)not in the local profile.*\[catalog\."lake\.events"\]'
    ):
        CatalogSource(database="lake", table="events").read(SparkRuntime.local(LocalProfile()))


@pytest.mark.parametrize(
    ("section", "message"),
    [
        ('path = "d"\nformt = "csv"', r"unknown key 'formt' \(did you mean 'format'\?\)"),
        ('path = "d"\nconnection = "c"', "either connection and table"),
        ('connection = "c"', "needs table"),
        ('path = "d"\nformat = "orc"', "format 'orc': use one of parquet, csv, json"),
    ],
)
def test_profile_catalog_sections_are_checked(tmp_path: Path, section: str, message: str) -> None:
    (tmp_path / "p.toml").write_text(f'[catalog."lake.events"]\n{section}\n')
    with pytest.raises(EtlError, match=message):
        LocalProfile.load(tmp_path / "p.toml")


def test_names_follow_glues_rule_and_are_looked_up_lowercase() -> None:
    assert str(CatalogSource(database="Sales-DB", table="Daily-Orders").name) == (
        "sales-db.daily-orders"
    )
    with pytest.raises(OptionError, match=r"CatalogSource: .*'lake\.a\.b' must look like"):
        CatalogSource(database="lake", table="a.b")
    with pytest.raises(OptionError, match="both non-empty"):
        CatalogSource(database="lake", table="")
