"""The keys of an incremental load's lookback window are kept as the text Spark gives them in
its session time zone (UTC), not through this Python process's local zone: the next load casts
them back in Spark to drop rows it already published, so a key written in another zone would
name another instant and the row would be published twice."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest
from pyspark.sql import SparkSession

from etl.jdbc import read_keys

pytestmark = [pytest.mark.spark, pytest.mark.postgres]


@pytest.fixture
def los_angeles(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process's local zone is Los Angeles (UTC-8 in January) for the test."""
    monkeypatch.setenv("TZ", "America/Los_Angeles")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("los_angeles")
def test_timestamp_keys_are_utc_text_whatever_the_process_zone(
    spark: SparkSession,
    psql: Callable[[str], str],
    pg_table: str,
    pg_jdbc_url: str,
    pg_env: dict[str, str],
) -> None:
    psql(f"CREATE TABLE {pg_table} (at timestamptz, day date, id bigint)")
    psql(f"INSERT INTO {pg_table} VALUES ('2025-01-02 03:00:00.25+00', '2025-01-02', 7)")
    options = {
        "url": pg_jdbc_url,
        "driver": "org.postgresql.Driver",
        "user": pg_env["TEST_PG_USER"],
        "password": pg_env["TEST_PG_PASSWORD"],
    }
    assert time.localtime(0).tm_hour == 16  # the local zone really is Los Angeles

    keys = read_keys(spark, options, f"SELECT at, day, id FROM {pg_table}")

    assert keys == (("2025-01-02 03:00:00.25", "2025-01-02", "7"),)
    back = spark.createDataFrame(list(keys), "at STRING, day STRING, id STRING")
    instant = back.selectExpr("unix_timestamp(CAST(at AS TIMESTAMP)) AS s").first()
    assert instant is not None and instant.s == 1735786800  # 2025-01-02 03:00:00 UTC
