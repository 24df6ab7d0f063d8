"""An ``s3://`` location mapped by a local profile is the directory Spark really reads and
writes, also when the key holds characters a URI escapes: Hive-style partitions
(``dt=2024-01-01``), commas and spaces."""

from __future__ import annotations

from pathlib import Path

import pytest
from pyspark.sql import SparkSession

from etl.catalog_lookup import FileTable
from etl.profile import LocalProfile

pytestmark = pytest.mark.spark


@pytest.mark.parametrize("key", ["events/dt=2024-01-01", "exports/a,b", "my exports/today"])
def test_spark_reads_the_mapped_directory_itself(
    spark: SparkSession, tmp_path: Path, key: str
) -> None:
    profile = LocalProfile(paths={"s3://lake": tmp_path / "lake"})
    written = tmp_path / "lake" / key
    written.mkdir(parents=True)
    (written / "part-0.json").write_text('{"id": 1}\n{"id": 2}\n')

    uri = profile.local_path(f"s3://lake/{key}")

    assert uri == f"file://{written}"
    assert sorted(row.id for row in spark.read.json(uri).collect()) == [1, 2]


def test_partition_directories_written_through_a_mapped_path_are_read_back(
    spark: SparkSession, tmp_path: Path
) -> None:
    profile = LocalProfile(paths={"s3://lake": tmp_path / "lake dir"})
    frame = spark.createDataFrame([(1, "2024-01-01"), (2, "2024-01-02")], "id INT, dt STRING")

    frame.write.partitionBy("dt").parquet(profile.local_path("s3://lake/events"))
    day = spark.read.parquet(profile.local_path("s3://lake/events/dt=2024-01-02"))

    assert (tmp_path / "lake dir" / "events" / "dt=2024-01-02").is_dir()
    assert [row.id for row in day.collect()] == [2]


def test_a_catalog_table_of_local_files_is_read_from_its_directory(
    spark: SparkSession, tmp_path: Path
) -> None:
    (tmp_path / "p.toml").write_text('[catalog."lake.events"]\npath = "my data/dt=2024-01-01"\n')
    written = tmp_path / "my data" / "dt=2024-01-01"
    written.mkdir(parents=True)
    (written / "part-0.json").write_text('{"id": 3}\n')

    table = LocalProfile.load(tmp_path / "p.toml").catalog["lake.events"]

    assert isinstance(table, FileTable) and table.location == f"file://{written}"
    assert [row.id for row in spark.read.json(table.location).collect()] == [3]
