"""Turning a Data Catalog table name into what to read: a JDBC table or files with a format.

Ported Glue scripts read ``create_dynamic_frame.from_catalog(database=..., table_name=...)``;
:class:`~etl.catalog_source.CatalogSource` reads the same tables.  A catalog, chosen by the
runtime, looks the name up:

* :class:`AwsCatalog`: Glue ``GetTable`` (and ``GetPartitions`` for a partitioned table) with
  boto3, on Glue and on any other Spark with AWS access.  A crawled JDBC table names its Glue
  connection in the ``connectionName`` parameter and its source table in
  ``StorageDescriptor.Location`` (``database.schema.table``; ``database.table`` for MySQL); a
  crawled S3 table has an ``s3://`` location, a format (``classification``, else the SerDe)
  and, for csv, the SerDe's delimiter and quoting and ``skip.header.line.count``.
* :class:`~etl.profile.ProfileCatalog`: the ``[catalog."database.table"]`` sections of a local
  profile.

What etl cannot read the way Glue does (views, Iceberg, Delta and Hudi tables, governed tables,
resource links, orc/avro files, streams) is an error that says so and what to use instead.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from typing import Any, Protocol

from etl.catalog_table import quote_identifier
from etl.errors import EtlError
from etl.options import FILE_FORMATS

_OPEN_TABLE_FORMATS = {"iceberg": "Iceberg", "delta": "Delta Lake", "hudi": "Hudi"}
_STREAMS = ("kafka", "kinesis")
"""``typeOfData`` of streaming source tables."""
_FORMAT_PROPERTIES = ("table_type", "classification", "spark.sql.sources.provider")
"""Table parameters that name an open table format (Iceberg sets ``table_type``)."""
_SERDE_FORMATS = (
    ("parquet", "parquet"),
    ("opencsvserde", "csv"),
    ("lazysimpleserde", "csv"),
    ("jsonserde", "json"),
    ("orc", "orc"),
    ("avro", "avro"),
)
"""Substring of the SerDe or input format -> format, when a table has no ``classification``."""
_CHAR_TYPE = re.compile(r"\b(?:var)?char\(\d+\)", re.IGNORECASE)


@dataclasses.dataclass(frozen=True)
class Column:
    """A column as the catalog types it (Hive type names such as ``bigint``, ``decimal(10,2)``)."""

    name: str
    type: str

    @property
    def spark_type(self) -> str:
        """The type in Spark's DDL: Hive's ``char(n)``/``varchar(n)`` are strings to Spark."""
        return _CHAR_TYPE.sub("string", self.type)


def ddl(columns: tuple[Column, ...]) -> str:
    """``"`id` bigint, `name` string"``: columns as a Spark DDL schema."""
    return ", ".join(f"{quote_identifier(c.name)} {c.spark_type}" for c in columns)


@dataclasses.dataclass(frozen=True)
class JdbcTable:
    """A table behind a Glue connection: what :class:`~etl.sources.JdbcSource` reads."""

    connection: str
    table: str
    """What goes after ``FROM``, e.g. ``public.orders``."""


@dataclasses.dataclass(frozen=True)
class Partition:
    """One partition the catalog lists: its values, in the order of the partition keys."""

    values: tuple[str, ...]
    location: str


@dataclasses.dataclass(frozen=True)
class FileTable:
    """Files under a location: what :class:`~etl.sources.S3Source` reads."""

    location: str
    format: str
    options: Mapping[str, str] = dataclasses.field(default_factory=dict)
    """Reader options the catalog implies (csv: ``sep``, ``header``, ``quote``, ``escape``)."""
    schema: str | None = None
    """The columns as a DDL string: Glue's data columns (its partition keys are
    ``partition_keys``), or a profile's ``schema``, partition columns included."""
    partition_keys: tuple[Column, ...] = ()
    partitions: tuple[Partition, ...] | None = None
    """The partitions the catalog lists, or ``None`` when no catalog lists them (an
    unpartitioned table, or a local directory whose partitions Spark discovers)."""

    @property
    def columns(self) -> str:
        """Every column a read returns, as a DDL string: the data columns, then the keys."""
        return ", ".join(filter(None, (self.schema, ddl(self.partition_keys))))


ResolvedTable = JdbcTable | FileTable


class Catalog(Protocol):
    """Resolves a catalog table name (database and table, lowercase) to what to read."""

    def table(
        self, database: str, name: str, partition_expression: str | None = None
    ) -> ResolvedTable:
        """The table; ``partition_expression`` (Glue's ``GetPartitions`` expression syntax)
        selects the partitions the catalog lists, where the catalog lists them."""


class AwsCatalog:
    """The Glue Data Catalog through boto3.

    In a private VPC this needs the ``glue`` interface endpoint and the ``glue:GetTable`` and
    ``glue:GetPartitions`` permissions (``catalog: true`` in glueprint.yaml).
    """

    def __init__(self, session: Any = None) -> None:
        if session is None:
            import boto3

            session = boto3.session.Session()
        self._session = session

    def table(
        self, database: str, name: str, partition_expression: str | None = None
    ) -> ResolvedTable:
        from botocore.exceptions import ClientError

        glue = self._session.client("glue")
        try:
            found = glue.get_table(DatabaseName=database, Name=name)["Table"]
        except ClientError as exc:
            raise EtlError(
                f"Data Catalog table {database}.{name} could not be read "
                f"({exc.response['Error']['Code']}); check that it exists in region "
                f"{self._session.region_name} and that the role may call glue:GetTable "
                "(catalog: true in glueprint.yaml)"
            ) from None
        described = describe(found, f"{database}.{name}")
        if isinstance(described, FileTable) and described.partition_keys:
            partitions = self._partitions(glue, database, name, partition_expression)
            described = dataclasses.replace(described, partitions=partitions)
        return described

    @staticmethod
    def _partitions(
        glue: Any, database: str, name: str, expression: str | None
    ) -> tuple[Partition, ...]:
        from botocore.exceptions import ClientError

        query = {"DatabaseName": database, "TableName": name}
        if expression:
            query["Expression"] = expression
        try:
            pages = list(glue.get_paginator("get_partitions").paginate(**query))
        except ClientError as exc:
            error = exc.response["Error"]
            raise EtlError(
                f"partitions of Data Catalog table {database}.{name} could not be listed "
                f"({error['Code']}: {error.get('Message', '')}); the role needs "
                "glue:GetPartitions, and catalog_partition_predicate must use the GetPartitions "
                "expression syntax (=, <, >, BETWEEN, IN, LIKE, AND, OR on partition keys)"
            ) from None
        return tuple(
            Partition(tuple(found["Values"]), found["StorageDescriptor"]["Location"])
            for page in pages
            for found in page["Partitions"]
        )


def describe(table: Mapping[str, Any], name: str) -> ResolvedTable:
    """What a ``GetTable`` answer says to read (its partitions not listed yet)."""
    storage = table.get("StorageDescriptor") or {}
    parameters = {**storage.get("Parameters", {}), **table.get("Parameters", {})}
    _refuse_unreadable(table, parameters, name)
    location = storage.get("Location") or ""
    if "://" not in location:
        if parameters.get("connectionName"):
            return JdbcTable(parameters["connectionName"], _jdbc_relation(location, name))
        raise EtlError(
            f"Data Catalog table {name} is neither a JDBC table (it has no connectionName "
            f"parameter) nor files (its location {location!r} is not a URI such as s3://...); "
            "CatalogSource reads crawled JDBC and S3 tables"
        )
    file_format = _file_format(parameters, storage, name)
    return FileTable(
        location=location,
        format=file_format,
        options=_reader_options(file_format, parameters, storage, name),
        schema=ddl(_columns(storage.get("Columns", []))) or None,
        partition_keys=_columns(table.get("PartitionKeys", [])),
    )


def _columns(found: list[Mapping[str, str]]) -> tuple[Column, ...]:
    return tuple(Column(c["Name"], c.get("Type", "string")) for c in found)


def _refuse_unreadable(table: Mapping[str, Any], parameters: Mapping[str, str], name: str) -> None:
    """Raise for tables that are not plain files or a JDBC table, saying what to use instead."""
    kind = str(table.get("TableType") or "").upper()
    if kind == "VIRTUAL_VIEW" or table.get("ViewOriginalText") or table.get("ViewDefinition"):
        raise EtlError(
            f"Data Catalog table {name} is a view; CatalogSource reads tables only: read the "
            "tables the view selects from with CatalogSource and join them in the transform"
        )
    if kind == "GOVERNED":
        raise EtlError(
            f"Data Catalog table {name} is a Lake Formation governed table, which etl cannot "
            "read (its files are visible only through Lake Formation transactions)"
        )
    if table.get("TargetTable"):
        target = table["TargetTable"]
        raise EtlError(
            f"Data Catalog table {name} is a resource link to "
            f"{target.get('CatalogId', '?')}:{target.get('DatabaseName')}.{target.get('Name')}; "
            "etl reads this account's catalog only: read the shared data with S3Source or "
            "JdbcSource"
        )
    if table.get("FederatedTable"):
        raise EtlError(
            f"Data Catalog table {name} is a federated table; etl reads crawled JDBC and S3 "
            "tables only: read the source with JdbcSource"
        )
    if str(parameters.get("typeOfData", "")).lower() in _STREAMS:
        raise EtlError(
            f"Data Catalog table {name} describes a {parameters['typeOfData']} stream; etl "
            "reads batch sources only: use a Glue streaming job"
        )
    named = {str(parameters.get(key, "")).lower() for key in _FORMAT_PROPERTIES}
    input_format = str((table.get("StorageDescriptor") or {}).get("InputFormat", "")).lower()
    if "symlinktextinputformat" in input_format:
        raise EtlError(
            f"Data Catalog table {name} is a symlink manifest table (Delta Lake or Hudi "
            "manifests); etl reads plain parquet, csv and json tables and JDBC tables"
        )
    for key, label in _OPEN_TABLE_FORMATS.items():
        if key in named or key in input_format:
            raise EtlError(
                f"Data Catalog table {name} is stored as {label}; etl reads plain parquet, csv "
                f"and json tables and JDBC tables, not {label} snapshots (reading its files "
                f"directly would return deleted and superseded rows): read it with Glue's "
                f"{label} support in a Glue-native script"
            )


def _jdbc_relation(location: str, name: str) -> str:
    """``sales.public.orders`` -> ``public.orders``: crawlers prefix the database, which the
    connection's URL already names (MySQL's ``database.table`` stays as it is)."""
    parts = location.split(".")
    if not location or not all(parts) or len(parts) > 3:
        raise EtlError(
            f"Data Catalog table {name} names its connection but its location {location!r} is "
            "not database.schema.table (or database.table, as crawlers write for MySQL)"
        )
    return ".".join(parts[1:]) if len(parts) == 3 else location


def _file_format(parameters: Mapping[str, str], storage: Mapping[str, Any], name: str) -> str:
    found = str(parameters.get("classification", "")).lower()
    if not found:
        serde = str((storage.get("SerdeInfo") or {}).get("SerializationLibrary", ""))
        described = f"{serde} {storage.get('InputFormat', '')}".lower()
        found = next((fmt for part, fmt in _SERDE_FORMATS if part in described), "unknown")
    if found not in FILE_FORMATS:
        raise EtlError(
            f"Data Catalog table {name} holds {found} files; etl reads "
            f"{', '.join(FILE_FORMATS)} tables: convert the data, or read it with S3Source "
            "once etl supports the format"
        )
    return found


def _reader_options(
    file_format: str, parameters: Mapping[str, str], storage: Mapping[str, Any], name: str
) -> dict[str, str]:
    """Spark csv options from the SerDe: OpenCSVSerde's ``separatorChar``/``quoteChar``/
    ``escapeChar`` or LazySimpleSerDe's ``field.delim``, and ``skip.header.line.count``."""
    if file_format != "csv":
        return {}
    serde = (storage.get("SerdeInfo") or {}).get("Parameters", {})
    options = {
        "sep": serde.get("separatorChar")
        or serde.get("field.delim")
        or parameters.get("delimiter")
        or ","
    }
    if "quoteChar" in serde:
        options["quote"] = serde["quoteChar"]
    if "escapeChar" in serde:
        options["escape"] = serde["escapeChar"]
    skipped = str(parameters.get("skip.header.line.count", "0")).strip()
    if skipped not in ("0", "1"):
        raise EtlError(
            f"Data Catalog table {name} skips {skipped} header lines; Spark's csv reader "
            "skips at most one (a header): remove the extra lines from the files"
        )
    options["header"] = "true" if skipped == "1" else "false"
    return options
