"""Sinks: where a job's output goes, written so that readers never see partial output.

:class:`S3Sink` writes in two steps.  ``stage`` lets Spark write the whole output under
``<path>/_glueprint_staging/<run id>/`` (Spark, Athena and Glue crawlers ignore ``_`` prefixes);
if the transform or the write fails, the staging directory is deleted and the published data is
untouched.  ``publish`` (called by the job only after every sink staged successfully) then swaps
output in: with ``partition_by``, each written partition directory replaces the published one
(dynamic partition overwrite: a rerun replaces, never duplicates, and other partitions stay);
without, the whole dataset is replaced.  With ``mode="append"`` (incremental loads) the staged
files are moved in next to the existing ones instead.  Directories starting with ``_``
(``_quarantine``, ``_glueprint_state``) are never replaced.  On object stores the swap is a
sequence of renames, so it narrows rather than removes the window in which a crash leaves mixed
data.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from etl.arguments import substitute
from etl.errors import OptionError
from etl.options import FILE_FORMATS, Strict, require_choice
from etl.storage import Storage

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from etl.runtime import Runtime

log = logging.getLogger("etl.sinks")

STAGING_DIR = "_glueprint_staging"
SINK_MODES = ("overwrite", "append")
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")


class Staged(Protocol):
    """Output written aside, waiting to be published or discarded."""

    location: str

    def publish(self) -> None: ...

    def discard(self) -> None: ...


class Sink(Protocol):
    """Anything a job can write a DataFrame to."""

    @property
    def path(self) -> str:
        """Where the output lives (before the runtime maps it)."""

    def bind(self, values: Mapping[str, str]) -> Sink: ...

    def stage(self, frame: DataFrame, runtime: Runtime, run_id: str) -> Staged: ...

    def has_staged(self, runtime: Runtime, run_id: str) -> bool:
        """Whether run ``run_id`` left staged output that it never published."""

    def discard_staged(self, runtime: Runtime, run_id: str) -> None:
        """Remove what run ``run_id`` staged (nothing if it staged nothing)."""


def staging_dir(location: str, run_id: str) -> str:
    """Where a run stages its output for the (runtime-mapped) sink ``location``."""
    return f"{location.rstrip('/')}/{STAGING_DIR}/{run_id}"


def _discard(storage: Storage, location: str, run_id: str) -> None:
    """Delete a run's staging directory, and the staging root once no run uses it."""
    storage.delete(staging_dir(location, run_id))
    root = f"{location}/{STAGING_DIR}"
    if not storage.children(root):
        storage.delete(root)


@dataclasses.dataclass(frozen=True)
class S3Sink(Strict):
    """A dataset under an S3 prefix, parquet by default.

    ``catalog_table="database.table"`` registers the location in the catalog after publishing
    (on Glue with ``--enable-glue-datacatalog`` that is the Glue Data Catalog) and adds new
    partitions.
    """

    path: str
    _: dataclasses.KW_ONLY
    partition_by: Sequence[str] = ()
    format: str = "parquet"
    mode: str = "overwrite"
    catalog_table: str | None = None
    options: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        require_choice("S3Sink", "format", self.format, FILE_FORMATS)
        require_choice("S3Sink", "mode", self.mode, SINK_MODES)
        if isinstance(self.partition_by, str):
            raise OptionError("S3Sink: partition_by must be a list of column names, not a string")
        if self.catalog_table is not None and not _TABLE_NAME.match(self.catalog_table):
            raise OptionError(
                f"S3Sink: catalog_table={self.catalog_table!r} must look like 'database.table'"
            )

    def bind(self, values: Mapping[str, str]) -> S3Sink:
        return dataclasses.replace(
            self, path=substitute(self.path, values, f"S3Sink({self.path!r})")
        )

    def has_staged(self, runtime: Runtime, run_id: str) -> bool:
        location = runtime.path(self.path).rstrip("/")
        return Storage(runtime.spark, location).exists(staging_dir(location, run_id))

    def discard_staged(self, runtime: Runtime, run_id: str) -> None:
        location = runtime.path(self.path).rstrip("/")
        _discard(Storage(runtime.spark, location), location, run_id)

    def stage(self, frame: DataFrame, runtime: Runtime, run_id: str) -> StagedS3:
        missing = [c for c in self.partition_by if c not in frame.columns]
        if missing:
            raise OptionError(
                f"S3Sink({self.path!r}): partition_by columns {missing} are not in the output "
                f"(columns: {', '.join(frame.columns)})"
            )
        target = runtime.path(self.path).rstrip("/")
        columns = ", ".join(f"`{f.name}` {f.dataType.simpleString()}" for f in frame.schema.fields)
        staged = StagedS3(self, runtime, target, run_id, columns)
        writer = frame.write.format(self.format).options(**self.options).mode("errorifexists")
        if self.partition_by:
            writer = writer.partitionBy(*self.partition_by)
        try:
            writer.save(staged.staging)
        except BaseException:
            staged.discard()
            raise
        return staged


@dataclasses.dataclass
class StagedS3:
    """An :class:`S3Sink` output in its staging directory."""

    sink: S3Sink
    runtime: Runtime
    location: str
    run_id: str
    columns: str
    """The output's columns as DDL, for the catalog table."""

    @property
    def staging(self) -> str:
        return staging_dir(self.location, self.run_id)

    def publish(self) -> None:
        storage = Storage(self.runtime.spark, self.location)
        depth = len(self.sink.partition_by)
        if self.sink.mode == "append":
            marker = f"/{STAGING_DIR}/{self.run_id}/"
            for child in storage.files(self.staging):
                relative = child.split(marker, 1)[1]
                if relative.rsplit("/", 1)[-1].startswith(("_", ".")):
                    continue  # _SUCCESS and friends
                storage.move(child, f"{self.location}/{relative}")
        elif depth:
            marker = f"/{STAGING_DIR}/{self.run_id}/"
            for directory in self._leaves(storage, self.staging, depth):
                target = f"{self.location}/{directory.split(marker, 1)[1]}"
                if storage.exists(target):
                    storage.delete(target)
                storage.move(directory, target)
        else:
            for child in storage.children(self.location):
                name = child.rstrip("/").rsplit("/", 1)[1]
                if not (name.startswith("_") and storage.is_dir(child)):
                    storage.delete(child)
        for child in storage.children(self.staging) if self.sink.mode != "append" else []:
            if not storage.is_dir(child):  # data files, _SUCCESS
                name = child.rsplit("/", 1)[1]
                if storage.exists(f"{self.location}/{name}"):
                    storage.delete(f"{self.location}/{name}")
                storage.move(child, f"{self.location}/{name}")
        self.discard()
        log.info("published %s", self.location)
        if self.sink.catalog_table:
            self._register()

    def discard(self) -> None:
        _discard(Storage(self.runtime.spark, self.location), self.location, self.run_id)

    def _leaves(self, storage: Storage, root: str, depth: int) -> list[str]:
        level = [root]
        for _ in range(depth):
            level = [c for d in level for c in storage.children(d) if storage.is_dir(c)]
        return level

    def _register(self) -> None:
        spark = self.runtime.spark
        table = self.sink.catalog_table
        partitioned = (
            f" PARTITIONED BY ({', '.join(self.sink.partition_by)})"
            if self.sink.partition_by
            else ""
        )
        location = self.location.replace("'", "\\'")
        spark.sql(
            f"CREATE TABLE IF NOT EXISTS {table} ({self.columns}) USING {self.sink.format}"
            f"{partitioned} LOCATION '{location}'"
        )
        if self.sink.partition_by:
            spark.sql(f"ALTER TABLE {table} RECOVER PARTITIONS")
        spark.sql(f"REFRESH TABLE {table}")
        log.info("registered %s in the catalog", table)
