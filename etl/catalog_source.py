"""CatalogSource: a Data Catalog table, read as Glue's ``from_catalog`` reads it.

The runtime resolves the table (:mod:`etl.catalog_lookup`) to a JDBC table, read by a
:class:`~etl.sources.JdbcSource` on the table's connection, or to files, read by an
:class:`~etl.sources.S3Source` with the catalogued format and csv options.

A partitioned table whose catalog lists its partitions (Glue's) is read partition by partition
as Glue reads it: ``catalog_partition_predicate`` (Glue's ``catalogPartitionPredicate``, in
``GetPartitions`` expression syntax) selects partitions in the catalog itself, and
``push_down_predicate`` (Spark SQL on the partition keys, typed as catalogued) selects among the
listed ones on the driver; only the selected partitions' locations are listed and read, and
their key values become columns typed as catalogued.  Where no catalog lists partitions (a local
profile, an unpartitioned table) both predicates filter right after the read, where Spark prunes
partition directories.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import re
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from etl.arguments import bind_placeholders, has_placeholder
from etl.catalog_lookup import Column, FileTable, JdbcTable, Partition, ddl
from etl.catalog_table import CatalogTable, parse_catalog_table
from etl.errors import EtlError, OptionError
from etl.options import Strict
from etl.reading import FrameRead, RunContext, SourceRead
from etl.sources import JdbcSource, S3Source

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from etl.runtime import Runtime

log = logging.getLogger("etl.catalog_source")

_INDEX = "_glueprint_partition"
_GLOB_SPECIAL = re.compile(r"([\\{}\[\]*?,])")
_TYPE_INFERENCE = "spark.sql.sources.partitionColumnTypeInference.enabled"


@dataclasses.dataclass(frozen=True, kw_only=True)
class CatalogSource(Strict):
    """A table of the Glue Data Catalog: a crawled JDBC table or S3 table (see the module doc).

    ``database`` and ``table`` are the catalog's names, by Glue's naming rule (hyphens are
    allowed; see :mod:`etl.catalog_table`), looked up lowercase as Glue stores them.
    ``options`` go to the reader: csv/json/parquet reader options over the ones the catalog
    implies, or JDBC driver options.
    """

    database: str
    table: str
    push_down_predicate: str | None = None
    catalog_partition_predicate: str | None = None
    options: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not (has_placeholder(self.database) or has_placeholder(self.table)):
            parse_catalog_table(f"{self.database}.{self.table}", owner="CatalogSource")

    @property
    def name(self) -> CatalogTable:
        """The database and table, lowercase as the catalog stores them."""
        return parse_catalog_table(f"{self.database}.{self.table}", owner="CatalogSource")

    def bind(self, values: Mapping[str, str]) -> CatalogSource:
        return bind_placeholders(self, values)

    def read(self, runtime: Runtime) -> DataFrame:
        found = runtime.catalog_table(
            self.name.database, self.name.table, self.catalog_partition_predicate
        )
        if isinstance(found, JdbcTable):
            return self._jdbc(found).read(runtime)
        if found.partitions is None:
            return self._files(found.location, found, self._filter()).read(runtime)
        return self._read_partitions(runtime, found)

    def open(self, name: str, context: RunContext) -> SourceRead:
        return FrameRead(self.read(context.runtime))

    def _filter(self) -> str | None:
        given = [p for p in (self.catalog_partition_predicate, self.push_down_predicate) if p]
        return " AND ".join(f"({p})" for p in given) or None

    def _jdbc(self, found: JdbcTable) -> JdbcSource:
        where = f"CatalogSource({self.name}) is JDBC table {found.table} on {found.connection}"
        if self._filter():
            raise OptionError(
                f"{where}: push_down_predicate and catalog_partition_predicate select partitions "
                "of S3 tables; filter in the transform instead (Spark sends simple filters to "
                "the database)"
            )
        try:
            return JdbcSource(connection=found.connection, table=found.table, options=self.options)
        except OptionError as exc:
            raise OptionError(f"{where}: {exc}") from None

    def _files(
        self, path: str, found: FileTable, partition_filter: str | None, base: str | None = None
    ) -> S3Source:
        schema = None
        if found.format != "parquet" and found.schema:
            # csv/json columns are positional or untyped: read them as catalogued, partition
            # keys included (S3Source keeps exactly the declared columns).
            schema = found.columns
        options = {**found.options, **self.options}
        if base is not None:
            options["basePath"] = base
        return S3Source(
            path,
            format=found.format,
            schema=schema,
            partition_filter=partition_filter,
            options=options,
        )

    def _read_partitions(self, runtime: Runtime, found: FileTable) -> DataFrame:
        assert found.partitions is not None
        spark = runtime.spark
        selected = _selected(spark, found, self.push_down_predicate, str(self.name))
        log.info(
            "catalog table %s: reading %d of %d listed partitions",
            self.name,
            len(selected),
            len(found.partitions),
        )
        if not selected:
            return spark.createDataFrame([], found.columns)
        base, relatives = _layout(found, selected, str(self.name))
        mapped = runtime.path(base)
        escaped = [_GLOB_SPECIAL.sub(r"\\\1", relative) for relative in relatives]
        pattern = escaped[0] if len(escaped) == 1 else "{" + ",".join(escaped) + "}"
        with _partition_values_as_strings(spark):
            frame = self._files(f"{mapped}/{pattern}", found, None, base=mapped).read(runtime)
        return _typed(frame, found.partition_keys)


def _selected(
    spark: SparkSession, found: FileTable, predicate: str | None, name: str
) -> tuple[Partition, ...]:
    """The listed partitions whose key values (typed as catalogued) satisfy ``predicate``,
    evaluated by Spark SQL on the driver as Glue evaluates ``push_down_predicate``."""
    # Defined here in Spark 3.3 (Glue 4.0), re-exported from pyspark.errors since 3.4.
    from pyspark.sql.utils import AnalysisException  # type: ignore[attr-defined]

    listed = found.partitions or ()
    if not predicate or not listed:
        return listed
    as_strings = tuple(Column(key.name, "string") for key in found.partition_keys)
    rows = [(index, *partition.values) for index, partition in enumerate(listed)]
    listing = spark.createDataFrame(rows, f"`{_INDEX}` int, {ddl(as_strings)}")
    try:
        kept = {
            row[0]
            for row in _typed(listing, found.partition_keys)
            .where(predicate)
            .select(_INDEX)
            .collect()
        }
    except AnalysisException as exc:
        keys = ", ".join(key.name for key in found.partition_keys)
        reason = str(exc).strip().splitlines()[0]
        raise OptionError(
            f"CatalogSource({name}): push_down_predicate {predicate!r} must be Spark SQL on the "
            f"partition keys ({keys}): {reason}"
        ) from None
    return tuple(partition for index, partition in enumerate(listed) if index in kept)


def _layout(found: FileTable, selected: tuple[Partition, ...], name: str) -> tuple[str, list[str]]:
    """The directory the partitions lie under and each one's ``key=value/...`` path below it:
    Spark turns those directory names into the partition columns."""
    keys = found.partition_keys
    bases: set[str] = set()
    relatives = []
    for partition in selected:
        segments = partition.location.rstrip("/").split("/")
        tail = segments[-len(keys) :]
        hive_style = len(segments) > len(keys) + 2 and all(
            segment.partition("=")[0].lower() == key.name.lower() and "=" in segment
            for segment, key in zip(tail, keys, strict=True)
        )
        if not hive_style:
            layout = "/".join(f"{key.name}=..." for key in keys)
            raise EtlError(
                f"partition {list(partition.values)} of Data Catalog table {name} is at "
                f"{partition.location}, not in a {layout} directory: etl reads partitions laid "
                "out Hive-style (key=value directories), as Spark writes them"
            )
        bases.add("/".join(segments[: -len(keys)]))
        relatives.append("/".join(tail))
    if len(bases) > 1:
        raise EtlError(
            f"the selected partitions of Data Catalog table {name} lie under different "
            f"directories ({', '.join(sorted(bases)[:2])}); etl reads partitions under one"
        )
    return bases.pop(), relatives


def _typed(frame: DataFrame, keys: tuple[Column, ...]) -> DataFrame:
    """``frame`` with its partition key columns cast to the catalogued types."""
    by_name = {key.name.lower(): key for key in keys}
    return frame.select(
        *(
            frame[column]
            .cast(by_name[column.lower()].spark_type)
            .alias(by_name[column.lower()].name)
            if column.lower() in by_name
            else frame[column]
            for column in frame.columns
        )
    )


@contextlib.contextmanager
def _partition_values_as_strings(spark: SparkSession) -> Iterator[None]:
    """Spark types partition values it discovers by guessing (``007`` becomes the int 7);
    the catalog's type is applied instead, to the values as written."""
    before = str(spark.conf.get(_TYPE_INFERENCE, "true"))
    spark.conf.set(_TYPE_INFERENCE, "false")
    try:
        yield
    finally:
        spark.conf.set(_TYPE_INFERENCE, before)
