"""Reading what a job script uses (connections, the catalog, arguments) without running it."""

from __future__ import annotations

from pathlib import Path

from generator.config.job_code import (
    CatalogUse,
    ConnectionUse,
    RequiredArgument,
    bookmark_sources,
    catalog_uses,
    connection_uses,
    incremental_sources,
    required_arguments,
)

SCRIPT = """
import etl
from etl import JdbcSource
NAME = "dyn"
a = JdbcSource(connection="rds-a", table="t")
b = etl.JdbcSource(connection=NAME, query="select 1")
opts = {"useConnectionProperties": "true", "connectionName": "rds-glue", "dbtable": "t"}
conf = glue_context.extract_jdbc_conf("rds-conf")
glue_context.write_dynamic_frame.from_jdbc_conf(frame=f, catalog_connection="rds-write")
unrelated = {"connection": "not-a-glue-connection"}
"""


def test_every_spelling_of_a_connection_reference_is_found(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text(SCRIPT)
    assert connection_uses(script) == [
        ConnectionUse("rds-a", 5),
        ConnectionUse(None, 6),
        ConnectionUse("rds-glue", 7),
        ConnectionUse("rds-conf", 8),
        ConnectionUse("rds-write", 9),
    ]


CATALOG_SCRIPT = """
from etl import S3Sink
a = S3Sink("s3://lake/orders/", catalog_table="sales-db.daily-orders")
b = S3Sink("s3://lake/other/", catalog_table=None)
c = S3Sink("s3://lake/more/", catalog_table=TABLE)
d = glue_context.create_dynamic_frame.from_catalog(database="hr", table_name="emp")
sink.setCatalogInfo(catalogDatabase="db", catalogTableName="t")
frame.write.saveAsTable("db.t")
orders = CatalogSource(database="sales-db", table="orders")
spark.table("db.t")
"""


def test_every_spelling_of_a_data_catalog_use_is_found(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text(CATALOG_SCRIPT)
    assert catalog_uses(script) == [
        CatalogUse("catalog_table='sales-db.daily-orders'", 3),
        CatalogUse("catalog_table=...", 5),
        CatalogUse("from_catalog(...)", 6),
        CatalogUse("setCatalogInfo(...)", 7),
        CatalogUse("saveAsTable(...)", 8),
        CatalogUse("CatalogSource(...)", 9),
    ]


ARGUMENTS_SCRIPT = """
import dataclasses
import datetime as dt
from dataclasses import KW_ONLY, InitVar, dataclass, field
from typing import ClassVar, Optional, Union

from etl import S3Sink, S3Source, job


@dataclasses.dataclass(frozen=True)
class Base:
    region: str
    data_bucket: str = "lake"


@dataclass
class Args(Base):
    run_date: dt.date
    _: KW_ONLY
    limit: int = 10
    since: dt.date | None
    until: Optional[dt.date]
    mode: Union[str, None]
    note: "str | None"
    tags: list[str] = field(default_factory=list)
    owner: str = field(default="etl")
    batch: str = field(metadata={"doc": "no default"})
    derived: str = field(init=False)
    version: ClassVar[str] = "1"
    seed: InitVar[int]
    region: str = "eu-west-1"


class NotADataclass:
    ignored: str


@job(sources={"a": S3Source("s3://lake/a/")}, sink=S3Sink("s3://lake/b/"), arguments=Args)
def transform(a, args):
    return a


other = job(sources={}, sink=S3Sink("s3://lake/c/"), arguments=NotADataclass)
args = getResolvedOptions(sys.argv, ["JOB_NAME", "source_path"])
client.start_job_run(JobName="x", arguments=Args)
"""


def test_required_arguments_are_the_fields_etl_cannot_bind_without(tmp_path: Path) -> None:
    """No default, not `| None`, an init field; base classes first; Glue-native names too."""
    script = tmp_path / "job.py"
    script.write_text(ARGUMENTS_SCRIPT)
    assert required_arguments(script) == [
        RequiredArgument("run_date", 18, "dataclass Args"),
        RequiredArgument("batch", 27, "dataclass Args"),
        RequiredArgument("JOB_NAME", 44, "getResolvedOptions"),
        RequiredArgument("source_path", 44, "getResolvedOptions"),
    ]


def test_bookmark_keys_are_found_apart_from_watermarks(tmp_path: Path) -> None:
    script = tmp_path / "job.py"
    script.write_text(
        'a = JdbcSource(connection="c", table="t", watermark_column="id")\n'
        'b = glue_context.create_dynamic_frame.from_options("postgresql", {\n'
        '    "jobBookmarkKeys": ["id"], "jobBookmarkKeysSortOrder": "asc"})\n'
    )
    assert bookmark_sources(script) == [2]
    assert incremental_sources(script) == [1, 2]
