"""Quarantine for malformed csv/json rows: parse permissively, set bad rows aside with a reason.

With ``S3Source(..., schema=..., quarantine=Quarantine(...))`` a csv or json source is parsed in
Spark's PERMISSIVE mode with a corrupt-record column instead of FAILFAST.  Rows that do not match
the declared schema (wrong number of csv fields, a value that does not parse as its type, broken
JSON) are removed from the frame the transform sees and written, with the raw record, the input
file and a reason, to ``<first sink>/_quarantine/<source name>/run_id=<run id>/`` (json lines),
staged and published together with the sinks.  The job checks ``rows in = rows out +
quarantined`` for the source and fails with :class:`~etl.errors.DataQualityError` when the
quarantined rows exceed ``max_rows`` or ``max_fraction`` of the rows read; the quarantine is
still published then, so the bad rows can be inspected.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from etl.errors import DataQualityError, OptionError
from etl.options import Strict
from etl.publish import StateCommit
from etl.reading import RunContext, SourceReport
from etl.sinks import S3Sink, Staged

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame
    from pyspark.sql.types import StructType

log = logging.getLogger("etl.quarantine")

QUARANTINE_DIR = "_quarantine"
CORRUPT_COLUMN = "_glueprint_corrupt_record"


@dataclasses.dataclass(frozen=True, kw_only=True)
class Quarantine(Strict):
    """Where malformed rows go and how many are tolerated.

    ``path`` defaults to ``<first sink path>/_quarantine/<source name>``.  ``max_rows`` (a count)
    and ``max_fraction`` (of the rows read, 0..1) fail the job when exceeded; leaving both unset
    tolerates any number, ``max_rows=0`` none.
    """

    path: str | None = None
    max_rows: int | None = None
    max_fraction: float | None = None

    def __post_init__(self) -> None:
        if self.max_rows is not None and self.max_rows < 0:
            raise OptionError("Quarantine: max_rows must not be negative")
        if self.max_fraction is not None and not 0 <= self.max_fraction <= 1:
            raise OptionError("Quarantine: max_fraction must be between 0 and 1 (a fraction)")

    def check(self, source: str, rows_in: int, quarantined: int) -> None:
        """Raise :class:`DataQualityError` when ``quarantined`` rows exceed the threshold."""
        limits = []
        if self.max_rows is not None and quarantined > self.max_rows:
            limits.append(f"max_rows={self.max_rows}")
        if self.max_fraction is not None and rows_in and quarantined / rows_in > self.max_fraction:
            limits.append(f"max_fraction={self.max_fraction:g}")
        if limits:
            raise DataQualityError(
                f"source '{source}': {quarantined} of {rows_in} rows are malformed, over "
                f"{' and '.join(limits)}; the rows are in the quarantine"
            )


@dataclasses.dataclass(frozen=True)
class SourceStats:
    """Row accounting of one source: ``rows_in == rows_out + quarantined``, where ``rows_in``
    is counted from the files' lines, apart from the parser (:func:`raw_records`)."""

    rows_in: int
    rows_out: int
    quarantined: int
    quarantine: str | None = None


@dataclasses.dataclass
class CheckedRead:
    """A permissively parsed source split into good rows and quarantined ones: the
    :class:`~etl.reading.SourceRead` of a quarantining source.  ``stage`` stages the
    quarantine and enforces the thresholds, publishing the quarantine of a source over its
    threshold before failing, so the rows can be inspected."""

    frame: DataFrame
    bad: DataFrame
    stats: SourceStats
    cached: DataFrame
    quarantine: Quarantine
    name: str
    context: RunContext

    def stage(self) -> Sequence[Staged]:
        from pyspark.sql import functions as fn

        run_id = self.context.run_id
        path = self.quarantine.path or f"{self.context.home}/{QUARANTINE_DIR}/{self.name}"
        sink = S3Sink(path, partition_by=["run_id"], format="json")
        bad = self.bad.withColumn("run_id", fn.lit(run_id))
        staged = sink.stage(bad, self.context.runtime, run_id)
        self.stats = dataclasses.replace(
            self.stats, quarantine=f"{staged.location}/run_id={run_id}"
        )
        log.info(
            "source %s: %d rows in, %d out, %d quarantined (%s)",
            self.name,
            self.stats.rows_in,
            self.stats.rows_out,
            self.stats.quarantined,
            self.stats.quarantine,
        )
        try:
            self.quarantine.check(self.name, self.stats.rows_in, self.stats.quarantined)
        except Exception:
            self.context.publish_now(staged)
            raise
        return (staged,)

    def state(self) -> Sequence[StateCommit]:
        return ()

    def release(self) -> None:
        self.cached.unpersist()

    def report(self) -> SourceReport:
        return SourceReport(stats=self.stats)


def _reason(fmt: str, schema: StructType, options: dict[str, str]) -> Column:
    """A SQL expression explaining why the raw record did not parse."""
    from pyspark.sql import functions as fn

    raw = fn.col(CORRUPT_COLUMN)
    if fmt == "json":
        return fn.when(fn.get_json_object(raw, "$").isNull(), fn.lit("invalid JSON")).otherwise(
            fn.lit(f"values do not match the declared schema ({schema.simpleString()})")
        )
    sep = options.get("sep", options.get("delimiter", ","))
    tokens = fn.split(raw, re.escape(sep), -1)
    count = fn.size(tokens)
    expected = len(schema.fields)
    failed = fn.concat_ws(
        ", ",
        *[
            fn.when(
                fn.col(f"`{field.name}`").isNull()
                & (fn.trim(fn.element_at(tokens, i + 1)) != fn.lit("")),
                fn.lit(f"{field.name} ({field.dataType.simpleString()})"),
            )
            for i, field in enumerate(schema.fields)
        ],
    )
    return (
        fn.when(
            count != fn.lit(expected),
            fn.concat(fn.lit(f"expected {expected} fields, got "), count.cast("string")),
        )
        .when(failed != fn.lit(""), fn.concat(fn.lit("cannot parse column(s) "), failed))
        .otherwise(fn.lit("does not match the declared schema"))
    )


def raw_records(raw: DataFrame, fmt: str, options: dict[str, str]) -> int | None:
    """How many records the files hold, counted from their lines (``spark.read.text``), apart
    from the parser: non-blank lines, less comment lines and one header line per csv file.
    ``None`` for ``multiLine`` sources, whose records span lines."""
    from pyspark.sql import functions as fn

    if options.get("multiLine", "false").lower() == "true":
        return None
    lines = raw.where(fn.trim(fn.col("value")) != fn.lit(""))
    comment = options.get("comment")
    if fmt == "csv" and comment:
        lines = lines.where(~fn.col("value").startswith(comment))
    records: int = lines.count()
    if fmt == "csv" and options.get("header", "true").lower() == "true":
        records -= lines.select(fn.input_file_name()).distinct().count()
    return records


def read_permissive(
    frame: DataFrame,
    fmt: str,
    schema: StructType,
    options: dict[str, str],
    *,
    records: int | None,
    quarantine: Quarantine,
    source: str,
    context: RunContext,
) -> CheckedRead:
    """Split a PERMISSIVE read (with :data:`CORRUPT_COLUMN`) into good rows and quarantine;
    ``records`` (from :func:`raw_records`) must equal good plus quarantined rows."""
    from pyspark.sql import functions as fn

    with_file = frame.withColumn("_glueprint_file", fn.col("_metadata.file_path"))
    cached = with_file.cache()
    corrupt = fn.col(CORRUPT_COLUMN)
    quarantined = cached.where(corrupt.isNotNull()).count()
    good = cached.where(corrupt.isNull()).select(*[f"`{n}`" for n in schema.names])
    rows_out = good.count()
    rows_in = rows_out + quarantined if records is None else records
    if rows_in != rows_out + quarantined:
        cached.unpersist()
        raise DataQualityError(
            f"source '{source}': the files hold {rows_in} records but the parser returned "
            f"{rows_out} rows and quarantined {quarantined}: "
            f"{rows_in - rows_out - quarantined} went missing"
        )
    bad = cached.where(corrupt.isNotNull()).select(
        corrupt.alias("record"),
        _reason(fmt, schema, options).alias("reason"),
        fn.col("_glueprint_file").alias("file"),
        fn.lit(source).alias("source"),
        fn.current_timestamp().alias("quarantined_at"),
    )
    stats = SourceStats(rows_in, rows_out, quarantined)
    return CheckedRead(good, bad, stats, cached, quarantine, source, context)
