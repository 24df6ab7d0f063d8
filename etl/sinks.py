"""Sinks: where a job's output goes, written so that readers never see partial output.

:class:`S3Sink` writes in two steps.  ``stage`` lets Spark write the whole output under
``<path>/_glueprint_staging/<run id>/`` (Spark, Athena and Glue crawlers ignore ``_`` prefixes);
if the transform or the write fails, the staging directory is deleted and the published data is
untouched.  Once every sink staged, the job publishes them together through one journal
(:mod:`etl.publish`), from the plan :meth:`StagedS3.plan` lists: every staged data file moves to
the same place under ``path``; with ``mode="overwrite"`` the files it replaces are deleted after:
with ``partition_by``, those of each partition the run wrote (dynamic partition overwrite: a
rerun replaces, never duplicates, and other partitions stay), without, every published file.
With ``mode="append"`` nothing is deleted, and an output without rows (an incremental run that
found nothing new) publishes no file at all, where Spark would write an empty one.  Paths with a
component starting with ``_`` or ``.`` (``_quarantine``, ``_glueprint_state``, markers,
checksums) are never published or replaced.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from etl.arguments import bind_placeholders, has_placeholder
from etl.catalog_table import CatalogRegistration, parse_catalog_table, quote_identifier
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


class Staged(Protocol):
    """Output written aside, waiting to be published (by the job's journal) or discarded."""

    location: str

    def plan(self) -> OutputPlan:
        """The moves and deletes that publish it (see :mod:`etl.publish`)."""

    def discard(self) -> None: ...


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

    ``catalog_table="database.table"`` (Glue's naming rule: :mod:`etl.catalog_table`) registers
    the location in the catalog as a step of the publish journal, after the data and before the
    watermarks (on Glue with ``--enable-glue-datacatalog`` that is the Glue Data Catalog), and
    adds new partitions.  Every string option may hold ``${argument}`` placeholders; a value
    with one is checked once bound.
    """

    path: str
    _: dataclasses.KW_ONLY
    partition_by: Sequence[str] = ()
    format: str = "parquet"
    mode: str = "overwrite"
    catalog_table: str | None = None
    options: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not has_placeholder(self.format):
            require_choice("S3Sink", "format", self.format, FILE_FORMATS)
        if not has_placeholder(self.mode):
            require_choice("S3Sink", "mode", self.mode, SINK_MODES)
        if isinstance(self.partition_by, str):
            raise OptionError("S3Sink: partition_by must be a list of column names, not a string")
        if self.catalog_table is not None and not has_placeholder(self.catalog_table):
            parse_catalog_table(self.catalog_table, owner="S3Sink")

    def bind(self, values: Mapping[str, str]) -> S3Sink:
        return bind_placeholders(self, values)

    def stage(self, frame: DataFrame, runtime: Runtime, run_id: str) -> StagedS3:
        missing = [c for c in self.partition_by if c not in frame.columns]
        if missing:
            raise OptionError(
                f"S3Sink({self.path!r}): partition_by columns {missing} are not in the output "
                f"(columns: {', '.join(frame.columns)})"
            )
        target = runtime.path(self.path).rstrip("/")
        columns = ", ".join(
            f"{quote_identifier(f.name)} {f.dataType.simpleString()}" for f in frame.schema.fields
        )
        staged = StagedS3(self, runtime, target, run_id, columns)
        storage = runtime.storage(target)
        storage.delete_prefix(f"{target}/{STAGING_DIR}")
        writer = frame.write.format(self.format).options(**self.options).mode("errorifexists")
        if self.partition_by:
            writer = writer.partitionBy(*self.partition_by)
        try:
            writer.save(staged.staging)
            if self.mode == "append" and not self._holds_rows(runtime, staged.staging, frame):
                log.info("%s: the output has no rows; nothing to append", self.path)
                staged.discard()
        except BaseException:
            staged.discard()
            raise
        return staged

    def _holds_rows(self, runtime: Runtime, staging: str, frame: DataFrame) -> bool:
        """Whether the staged output has a row.  Spark writes one empty file for an output
        without rows (to keep its schema); appending it would only add clutter.  Reading the
        staged files back stops at the first row, so this costs one file's first rows."""
        reader = runtime.spark.read.format(self.format).options(**self.options)
        return not reader.schema(frame.schema).load(staging).isEmpty()


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
        return OutputPlan(
            self.location, self.staging, moves, self._replaced(storage, moves), self._catalog()
        )

    def _catalog(self) -> CatalogRegistration | None:
        if self.sink.catalog_table is None:
            return None
        return CatalogRegistration(
            self.sink.catalog_table,
            self.location,
            self.columns,
            self.sink.format,
            tuple(self.sink.partition_by),
        )

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


def visible(relative: str) -> bool:
    """Whether readers see an object at ``relative``: Spark, Athena and crawlers skip paths with
    a component starting with ``_`` or ``.`` (markers, checksums, glueprint's own data)."""
    return not any(part.startswith(("_", ".")) for part in relative.split("/"))


def _below(uri: str, base: str) -> str:
    """``uri`` relative to ``base``, whichever way each spells ``file:`` URIs."""
    tail = base.split(":", 1)[-1].lstrip("/")
    return uri.split(tail, 1)[-1].lstrip("/")
