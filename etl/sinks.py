"""Sinks: where a job's output goes, written so that readers never see partial output.

:class:`S3Sink` writes in two steps.  ``stage`` lets Spark write the whole output under
``<path>/_glueprint_staging/<run id>/`` (Spark, Athena and Glue crawlers ignore ``_`` prefixes);
if the transform or the write fails, the staging directory is deleted and the published data is
untouched.  Once every sink staged, the job publishes them together through one journal
(:mod:`etl.publish`), from the plan :meth:`StagedS3.plan` lists: every staged data file moves to
the same place under ``path``; with ``mode="overwrite"`` the files it replaces are deleted after:
with ``partition_by``, those of each partition the run wrote (dynamic partition overwrite: a
rerun replaces, never duplicates, and other partitions stay), without, every published file.
With ``mode="append"`` nothing is deleted.  Paths with a component starting with ``_`` or ``.``
(``_quarantine``, ``_glueprint_state``, markers, checksums) are never published or replaced.
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
from etl.publish import OutputPlan, remove_staging

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from etl.runtime import Runtime
    from etl.storage import Storage

log = logging.getLogger("etl.sinks")

STAGING_DIR = "_glueprint_staging"
SINK_MODES = ("overwrite", "append")
_TABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")


class Staged(Protocol):
    """Output written aside, waiting to be published (by the job's journal) or discarded."""

    location: str

    def plan(self) -> OutputPlan:
        """The moves and deletes that publish it (see :mod:`etl.publish`)."""

    def discard(self) -> None: ...

    def published(self) -> None:
        """Called once the journal published it (catalog registration)."""


class Sink(Protocol):
    """Anything a job can write a DataFrame to."""

    @property
    def path(self) -> str:
        """Where the output lives (before the runtime maps it)."""

    def bind(self, values: Mapping[str, str]) -> Sink: ...

    def stage(self, frame: DataFrame, runtime: Runtime, run_id: str) -> Staged:
        """Write ``frame`` aside for run ``run_id``, first removing what crashed runs left
        staged (the job holds its lease, so no other run is staging)."""


def staging_dir(location: str, run_id: str) -> str:
    """Where a run stages its output for the (runtime-mapped) sink ``location``."""
    return f"{location.rstrip('/')}/{STAGING_DIR}/{run_id}"


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
        storage = runtime.storage(target)
        storage.delete_prefix(f"{target}/{STAGING_DIR}")
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

    def plan(self) -> OutputPlan:
        storage = self.runtime.storage(self.location)
        marker = f"/{STAGING_DIR}/{self.run_id}/"
        relatives = [uri.split(marker, 1)[1] for uri in storage.list(self.staging)]
        moves = tuple(
            (f"{self.staging}/{relative}", f"{self.location}/{relative}")
            for relative in relatives
            if visible(relative)
        )
        return OutputPlan(self.location, self.staging, moves, self._replaced(storage, moves))

    def _replaced(self, storage: Storage, moves: Sequence[tuple[str, str]]) -> tuple[str, ...]:
        """The published files an overwrite replaces: every visible one, or with
        ``partition_by`` those of the partitions this run wrote."""
        if self.sink.mode == "append":
            return ()
        depth = len(self.sink.partition_by)
        scopes = {"/".join(_below(dst, self.location).split("/")[:depth]) for _, dst in moves}
        replaced = []
        for scope in sorted(scopes) if depth else [""]:
            prefix = f"{self.location}/{scope}" if scope else self.location
            for uri in storage.list(prefix):
                relative = _below(uri, self.location)
                if visible(relative):
                    replaced.append(f"{self.location}/{relative}")
        return tuple(replaced)

    def discard(self) -> None:
        remove_staging(self.runtime.storage(self.location), self.staging)

    def published(self) -> None:
        if self.sink.catalog_table:
            self._register()

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


def visible(relative: str) -> bool:
    """Whether readers see an object at ``relative``: Spark, Athena and crawlers skip paths with
    a component starting with ``_`` or ``.`` (markers, checksums, glueprint's own data)."""
    return not any(part.startswith(("_", ".")) for part in relative.split("/"))


def _below(uri: str, base: str) -> str:
    """``uri`` relative to ``base``, whichever way each spells ``file:`` URIs."""
    tail = base.split(":", 1)[-1].lstrip("/")
    return uri.split(tail, 1)[-1].lstrip("/")
