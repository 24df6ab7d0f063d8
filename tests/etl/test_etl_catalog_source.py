"""CatalogSource on AWS: Data Catalog tables in the shapes Glue crawlers write (in moto),
resolved to the real PostgreSQL or to files read by local Spark (the local profile's [catalog]
mapping is in test_etl_catalog_local.py).

S3 is stood in for by local directories mapped by a profile's [paths], as elsewhere in these
tests; the catalog and the connections are moto's.  moto implements GetPartitions'
``Expression`` filtering, so catalog_partition_predicate is filtered by the emulator itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import test_etl_connections
import test_etl_glue_runtime
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.types import DateType, StringType

from etl import CatalogSource, EtlError, GlueRuntime, OptionError, S3Sink, SparkRuntime, job
from etl.catalog_lookup import AwsCatalog
from etl.connections import AwsConnectionResolver
from etl.profile import LocalProfile

CONNECTION = "my-rds-vpc-connection"
CRAWLED = {
    "UPDATED_BY_CRAWLER": "lake-crawler",
    "CrawlerSchemaSerializerVersion": "1.0",
    "CrawlerSchemaDeserializerVersion": "1.0",
    "compressionType": "none",
}
PARQUET = {
    "InputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat",
    "OutputFormat": "org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat",
    "SerdeInfo": {
        "SerializationLibrary": "org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe",
        "Parameters": {"serialization.format": "1"},
    },
}
EVENT_COLUMNS = [{"Name": "id", "Type": "bigint"}, {"Name": "amount", "Type": "double"}]
EVENT_KEYS = [{"Name": "dt", "Type": "date"}, {"Name": "shard", "Type": "string"}]
CATALOGUED = [("2024-01-01", "007"), ("2024-01-01", "eu,west"), ("2024-01-02", "007")]
"""The partitions the crawler registered; ``2024-02-01/007`` exists only on disk."""


def _columns(spec: str) -> list[dict[str, str]]:
    return [{"Name": n, "Type": t} for n, t in (c.split() for c in spec.split(", "))]


def _table(session: Any, database: str, name: str, **table: Any) -> None:
    """A catalog table as a crawler writes it: its parameters on the table and its storage."""
    glue = session.client("glue")
    if database not in {d["Name"] for d in glue.get_databases()["DatabaseList"]}:
        glue.create_database(DatabaseInput={"Name": database})
    storage = {"Compressed": False, "NumberOfBuckets": -1, "StoredAsSubDirectories": False}
    storage.update(table.pop("storage"))
    parameters = {**CRAWLED, **table.pop("parameters", {})}
    storage["Parameters"] = parameters
    table_input = {
        "Name": name,
        "TableType": "EXTERNAL_TABLE",
        "Parameters": parameters,
        "StorageDescriptor": storage,
        "PartitionKeys": [],
        **table,
    }
    glue.create_table(DatabaseName=database, TableInput=table_input)


def _runtime(spark: SparkSession | None, session: Any, lake: Path | None = None) -> SparkRuntime:
    """Spark with moto's catalog and connections; ``s3://lake`` is the directory ``lake``."""
    return SparkRuntime(
        spark,
        resolver=AwsConnectionResolver(session),
        catalog=AwsCatalog(session),
        profile=LocalProfile(paths={"s3://lake": lake.resolve()}) if lake else None,
    )


@pytest.fixture
def events(spark: SparkSession, aws: Any, tmp_path: Path) -> Path:
    """``lake.events``: parquet partitioned by dt (a date) and shard, as Spark writes it and a
    crawler catalogs it, with one partition directory the catalog does not list."""
    rows = [
        (1, 1.0, dt.date(2024, 1, 1), "007"),
        (2, 2.0, dt.date(2024, 1, 1), "eu,west"),
        (3, 3.0, dt.date(2024, 1, 2), "007"),
        (4, 4.0, dt.date(2024, 2, 1), "007"),
    ]
    schema = "id BIGINT, amount DOUBLE, dt DATE, shard STRING"
    lake = tmp_path / "lake"
    spark.createDataFrame(rows, schema).write.partitionBy("dt", "shard").parquet(
        str(lake / "events")
    )
    storage = {"Columns": EVENT_COLUMNS, "Location": "s3://lake/events/", **PARQUET}
    _table(
        aws,
        "lake",
        "events",
        storage=storage,
        parameters={"classification": "parquet", "typeOfData": "file"},
        PartitionKeys=EVENT_KEYS,
    )
    aws.client("glue").batch_create_partition(
        DatabaseName="lake",
        TableName="events",
        PartitionInputList=[
            {
                "Values": [day, shard],
                "StorageDescriptor": {
                    **storage,
                    "Location": f"s3://lake/events/dt={day}/shard={shard}/",
                },
            }
            for day, shard in CATALOGUED
        ],
    )
    return lake


def _partitions_read(frame: DataFrame) -> set[str]:
    """The partition directories of the files the frame reads."""
    return {"/".join(f.split("/")[-3:-1]) for f in frame.inputFiles()}


@pytest.mark.spark
def test_a_partitioned_table_reads_its_catalogued_partitions_with_typed_keys(
    spark: SparkSession, aws: Any, events: Path
) -> None:
    frame = CatalogSource(database="lake", table="events").read(_runtime(spark, aws, events))

    assert sorted(tuple(r) for r in frame.collect()) == [
        (1, 1.0, dt.date(2024, 1, 1), "007"),
        (2, 2.0, dt.date(2024, 1, 1), "eu,west"),
        (3, 3.0, dt.date(2024, 1, 2), "007"),
    ]
    types = {f.name: f.dataType for f in frame.schema.fields}
    assert (types["dt"], types["shard"]) == (DateType(), StringType())  # "007" stays a string


@pytest.mark.spark
def test_push_down_predicate_is_spark_sql_on_the_listing_and_prunes_the_read(
    spark: SparkSession, aws: Any, events: Path
) -> None:
    source = CatalogSource(
        database="lake", table="events", push_down_predicate="month(dt) = 1 AND day(dt) = 1"
    )
    frame = source.read(_runtime(spark, aws, events))

    assert sorted(r.id for r in frame.collect()) == [1, 2]
    assert _partitions_read(frame) == {"dt=2024-01-01/shard=007", "dt=2024-01-01/shard=eu,west"}


@pytest.mark.spark
def test_catalog_partition_predicate_is_sent_to_get_partitions(
    spark: SparkSession, aws: Any, events: Path
) -> None:
    sent: list[dict[str, Any]] = []
    aws.events.register(
        "provide-client-params.glue.GetPartitions", lambda params, **_: sent.append(params)
    )
    source = CatalogSource(
        database="lake",
        table="events",
        catalog_partition_predicate="dt >= '2024-01-02'",
    )
    frame = source.read(_runtime(spark, aws, events))

    assert [params.get("Expression") for params in sent] == ["dt >= '2024-01-02'"]
    assert [r.id for r in frame.collect()] == [3]
    assert _partitions_read(frame) == {"dt=2024-01-02/shard=007"}


@pytest.mark.spark
def test_no_matching_partition_gives_an_empty_frame_with_the_catalogued_columns(
    spark: SparkSession, aws: Any, events: Path
) -> None:
    source = CatalogSource(database="lake", table="events", push_down_predicate="shard = 'x'")
    frame = source.read(_runtime(spark, aws, events))
    assert frame.count() == 0
    assert frame.columns == ["id", "amount", "dt", "shard"]


@pytest.mark.spark
def test_a_predicate_on_data_columns_names_the_partition_keys(
    spark: SparkSession, aws: Any, events: Path
) -> None:
    source = CatalogSource(database="lake", table="events", push_down_predicate="amount > 1")
    with pytest.raises(OptionError, match=r"Spark SQL on the partition keys \(dt, shard\)"):
        source.read(_runtime(spark, aws, events))


@pytest.mark.spark
@pytest.mark.parametrize(
    "serde",
    [
        {
            "SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
            "Parameters": {"field.delim": ";"},
        },
        {
            "SerializationLibrary": "org.apache.hadoop.hive.serde2.OpenCSVSerde",
            "Parameters": {"separatorChar": ";", "quoteChar": '"', "escapeChar": "\\"},
        },
    ],
    ids=["LazySimpleSerDe", "OpenCSVSerde"],
)
def test_a_csv_table_is_read_with_its_delimiter_header_and_column_types(
    spark: SparkSession, aws: Any, tmp_path: Path, serde: dict[str, Any]
) -> None:
    (tmp_path / "lake" / "prices").mkdir(parents=True)
    (tmp_path / "lake" / "prices" / "a.csv").write_text("sku;price\nA-1;2.50\nB-2;3.25\n")
    storage = {
        "Columns": _columns("sku string, price double"),
        "Location": "s3://lake/prices/",
        "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
        "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
        "SerdeInfo": serde,
    }
    parameters = {
        "classification": "csv",
        "delimiter": ";",
        "skip.header.line.count": "1",
        "typeOfData": "file",
    }
    _table(aws, "lake", "prices", storage=storage, parameters=parameters)

    frame = CatalogSource(database="lake", table="prices").read(
        _runtime(spark, aws, tmp_path / "lake")
    )

    assert [tuple(r) for r in frame.orderBy("sku").collect()] == [("A-1", 2.5), ("B-2", 3.25)]


def _crawled_jdbc_table(session: Any, name: str, location: str) -> None:
    """The table a JDBC crawler writes for a PostgreSQL ``database/schema/table``."""
    _table(
        session,
        "sales-db",
        name,
        storage={
            "Columns": _columns("id int, v string"),
            "Location": location,
            "SerdeInfo": {"Parameters": {}},
        },
        parameters={
            "classification": "postgresql",
            "connectionName": CONNECTION,
            "typeOfData": "table",
        },
    )


def _glue_connection(session: Any, pg_url: str, pg_jdbc_url: str) -> None:
    parts = urlsplit(pg_url)
    test_etl_connections._connection(
        session,
        CONNECTION,
        JDBC_CONNECTION_URL=pg_jdbc_url,
        USERNAME=parts.username or "",
        PASSWORD=parts.password or "",
    )


@dataclasses.dataclass(frozen=True)
class TableArgs:
    table: str


@pytest.mark.spark
@pytest.mark.postgres
def test_a_crawled_jdbc_table_is_read_through_its_connection_in_a_glue_job(
    spark: SparkSession,
    *,
    aws: Any,
    pg_url: str,
    pg_jdbc_url: str,
    psql: Callable[[str], str],
    pg_table: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    psql(
        f"CREATE TABLE {pg_table} (id int PRIMARY KEY, v text); "
        f"INSERT INTO {pg_table} SELECT i, 'v' || i FROM generate_series(1, 20) i"
    )
    _glue_connection(aws, pg_url, pg_jdbc_url)
    _crawled_jdbc_table(aws, "sales_orders", f"{urlsplit(pg_url).path.lstrip('/')}.{pg_table}")
    fake = test_etl_glue_runtime.FakeGlue(tmp_path / "out")
    for name, module in fake.modules().items():
        monkeypatch.setitem(sys.modules, name, module)

    @job(
        sources={"orders": CatalogSource(database="Sales-DB", table="${table}")},
        sink=S3Sink((tmp_path / "out").as_uri()),
        arguments=TableArgs,
    )
    def copy(orders: DataFrame) -> DataFrame:
        return orders

    runtime = GlueRuntime(resolver=AwsConnectionResolver(aws), catalog=AwsCatalog(aws))
    argv = [*test_etl_glue_runtime.GLUE_ARGV, "--JOB_NAME", "orders", "--table", "SALES_ORDERS"]
    copy.main(argv, runtime=runtime)

    written = spark.read.parquet(str(tmp_path / "out")).collect()
    assert sorted((r.id, r.v) for r in written) == [(i, f"v{i}") for i in range(1, 21)]
    assert [kind for kind, _ in fake.calls][-1] == "commit"


def test_a_jdbc_table_refuses_partition_predicates(aws: Any) -> None:
    _crawled_jdbc_table(aws, "orders", "sales.public.orders")
    source = CatalogSource(database="sales-db", table="orders", push_down_predicate="id > 1")
    with pytest.raises(OptionError, match="filter in the transform instead"):
        source.read(_runtime(None, aws))


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            {"TableType": "VIRTUAL_VIEW", "ViewOriginalText": "SELECT 1"},
            r"is a view; .*join them in the transform",
        ),
        ({"parameters": {"table_type": "ICEBERG"}}, "is stored as Iceberg"),
        ({"parameters": {"spark.sql.sources.provider": "delta"}}, "is stored as Delta Lake"),
        (
            {"storage": {"InputFormat": "org.apache.hudi.hadoop.HoodieParquetInputFormat"}},
            "is stored as Hudi",
        ),
        ({"TableType": "GOVERNED"}, "governed table"),
        ({"parameters": {"classification": "orc"}}, r"holds orc files; etl reads parquet, csv"),
        ({"parameters": {"typeOfData": "kafka"}}, "describes a kafka stream"),
    ],
    ids=["view", "iceberg", "delta", "hudi", "governed", "orc", "kafka"],
)
def test_tables_etl_cannot_read_are_refused_saying_what_to_do(
    aws: Any, table: dict[str, Any], message: str
) -> None:
    given = dict(table)
    storage = {"Location": "s3://lake/t/", **PARQUET, **given.pop("storage", {})}
    _table(aws, "lake", "t", storage=storage, **given)
    with pytest.raises(EtlError, match=message):
        CatalogSource(database="lake", table="t").read(_runtime(None, aws))


def test_a_missing_table_names_the_region_and_the_permission(aws: Any) -> None:
    with pytest.raises(EtlError, match=r"lake\.nope could not be read.*eu-west-1.*glue:GetTable"):
        CatalogSource(database="lake", table="nope").read(_runtime(None, aws))


@pytest.mark.spark
def test_partitions_that_are_not_key_value_directories_are_refused(
    spark: SparkSession, aws: Any, tmp_path: Path
) -> None:
    storage = {"Columns": EVENT_COLUMNS, "Location": "s3://lake/firehose/", **PARQUET}
    _table(aws, "lake", "firehose", storage=storage, PartitionKeys=_columns("partition_0 string"))
    aws.client("glue").create_partition(
        DatabaseName="lake",
        TableName="firehose",
        PartitionInput={
            "Values": ["2024"],
            "StorageDescriptor": {**storage, "Location": "s3://lake/firehose/2024/"},
        },
    )
    with pytest.raises(EtlError, match=r"not in a partition_0=\.\.\. directory.*Hive-style"):
        CatalogSource(database="lake", table="firehose").read(_runtime(spark, aws, tmp_path))
