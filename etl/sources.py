"""Sources: where a job's input frames come from.

A source is a declaration (frozen, typo-proof options) plus ``read(runtime)`` for a plain read
and ``open(name, context)`` for a read inside a job run (see :mod:`etl.reading`).  Names, not
locations, appear in job code: ``s3://`` URIs are mapped by the runtime (to local directories in a
local profile) and JDBC connections are Glue connection names resolved by the runtime.

Every string option (each element of a list, each value of ``options``) may hold ``${argument}``
placeholders: ``bind`` replaces them with the job's arguments before the run reads anything
(:func:`etl.arguments.bind_placeholders`), and a value with a placeholder is validated then,
as a literal one is at construction.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from etl.arguments import bind_placeholders, has_placeholder
from etl.connections import READ_DEFAULTS, JdbcConnection
from etl.errors import OptionError, SchemaMismatchError
from etl.incremental import bound_query, restricted, rows_condition, window_query
from etl.jdbc import read_bound, read_keys
from etl.options import FILE_FORMATS, Strict, require_choice, require_one_of
from etl.partitioning import (
    DEFAULT_MAX_CONNECTIONS,
    PartitionRequest,
    check_partition_options,
    plan_read,
)
from etl.quarantine import (
    CORRUPT_COLUMN,
    CheckedRead,
    Quarantine,
    raw_records,
    read_permissive,
)
from etl.reading import FrameRead, RunContext, SourceRead
from etl.retry import DEFAULT_RETRY, RetryPolicy, call_with_retry
from etl.watermark import IncrementalRead, Watermark

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession
    from pyspark.sql.types import StructType

    from etl.runtime import Runtime

log = logging.getLogger("etl.sources")

T = TypeVar("T")

# Options that JdbcSource sets itself; passing them in ``options`` would be ambiguous.
_MANAGED_JDBC_OPTIONS = frozenset(
    {
        "url",
        "user",
        "password",
        "driver",
        "dbtable",
        "query",
        "partitionColumn",
        "lowerBound",
        "upperBound",
        "numPartitions",
        "fetchsize",
        "hashfield",
        "hashexpression",
        "hashpartitions",
    }
)


class Source(Protocol):
    """Anything a job can read a DataFrame from."""

    def bind(self, values: Mapping[str, str]) -> Source:
        """Return a copy with ``${argument}`` placeholders replaced."""

    def read(self, runtime: Runtime) -> DataFrame:
        """Read the frame in ``runtime``."""

    def open(self, name: str, context: RunContext) -> SourceRead:
        """Read the frame as source ``name`` of a job run."""


@dataclasses.dataclass(frozen=True)
class S3Source(Strict):
    """Files under an S3 prefix (or any Hadoop URI).

    ``schema`` (DDL string such as ``"id INT, amount DECIMAL(10,2)"`` or a ``StructType``) is
    enforced: csv/json are parsed with it in FAILFAST mode, parquet must contain every declared
    column with the declared type (else :class:`SchemaMismatchError`); only declared columns are
    kept.  ``partition_filter`` is applied right after the read, where Spark prunes partition
    directories before listing files.  ``quarantine`` (csv/json with a schema) parses
    permissively instead and sets malformed rows aside (see :mod:`etl.quarantine`).
    """

    path: str
    _: dataclasses.KW_ONLY
    format: str = "parquet"
    schema: str | StructType | None = None
    partition_filter: str | None = None
    quarantine: Quarantine | None = None
    options: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        if not has_placeholder(self.format):
            require_choice("S3Source", "format", self.format, FILE_FORMATS)
        if self.quarantine is not None:
            if not isinstance(self.quarantine, Quarantine):
                raise OptionError("S3Source: quarantine must be a Quarantine(...)")
            if self.format == "parquet" or self.schema is None:
                raise OptionError(
                    "S3Source: quarantine needs format='csv' or 'json' and a schema "
                    "(malformed rows are those that do not parse with the schema)"
                )
            if "mode" in self.options or "columnNameOfCorruptRecord" in self.options:
                raise OptionError(
                    "S3Source: with quarantine, 'mode' and 'columnNameOfCorruptRecord' are set "
                    "by etl; remove them from options"
                )

    def bind(self, values: Mapping[str, str]) -> S3Source:
        return bind_placeholders(self, values)

    @property
    def reader_options(self) -> dict[str, str]:
        """The reader's options: csv files have a header unless ``options`` say otherwise."""
        return {"header": "true", **self.options} if self.format == "csv" else dict(self.options)

    def _reader(self, runtime: Runtime) -> Any:
        return runtime.spark.read.format(self.format).options(**self.reader_options)

    def read(self, runtime: Runtime) -> DataFrame:
        """Read strictly (FAILFAST); inside a job, :meth:`open` applies the quarantine."""
        spark = runtime.spark
        expected = _schema(spark, self.schema) if self.schema is not None else None
        reader = self._reader(runtime)
        if expected is not None and self.format != "parquet":
            reader = reader.schema(expected).option("mode", "FAILFAST")
        frame: DataFrame = reader.load(runtime.path(self.path))
        if self.partition_filter:
            frame = frame.where(self.partition_filter)
        if expected is not None:
            frame = enforce_schema(frame, expected, where=self.path)
        return frame

    def open(self, name: str, context: RunContext) -> SourceRead:
        """A strict read, or with ``quarantine`` a permissive one that sets malformed rows
        aside (see :mod:`etl.quarantine`)."""
        if self.quarantine is None:
            return FrameRead(self.read(context.runtime))
        return self._read_checked(name, context)

    def _read_checked(self, name: str, context: RunContext) -> CheckedRead:
        from pyspark.sql.types import StringType, StructField, StructType

        assert self.quarantine is not None and self.schema is not None  # see __post_init__
        runtime = context.runtime
        expected = _schema(runtime.spark, self.schema)
        with_corrupt = StructType([*expected.fields, StructField(CORRUPT_COLUMN, StringType())])
        reader = (
            self._reader(runtime)
            .schema(with_corrupt)
            .option("mode", "PERMISSIVE")
            .option("columnNameOfCorruptRecord", CORRUPT_COLUMN)
        )
        frame = reader.load(runtime.path(self.path))
        raw = runtime.spark.read.text(runtime.path(self.path))
        if self.partition_filter:
            frame = frame.where(self.partition_filter)
            raw = raw.where(self.partition_filter)
        return read_permissive(
            frame,
            self.format,
            expected,
            dict(self.options),
            records=raw_records(raw, self.format, self.reader_options),
            quarantine=self.quarantine,
            source=name,
            context=context,
        )


def _schema(spark: Any, schema: str | StructType) -> StructType:
    if isinstance(schema, str):
        parsed: StructType = spark.createDataFrame([], schema).schema
        return parsed
    return schema


def enforce_schema(frame: DataFrame, expected: StructType, where: str) -> DataFrame:
    """Select the declared columns, failing with every missing column and type difference."""
    actual = {field.name: field.dataType for field in frame.schema.fields}
    problems = []
    for field in expected.fields:
        if field.name not in actual:
            problems.append(f"missing column {field.name}")
        elif actual[field.name] != field.dataType:
            problems.append(
                f"column {field.name} is {actual[field.name].simpleString()}, "
                f"expected {field.dataType.simpleString()}"
            )
    if problems:
        raise SchemaMismatchError(f"{where}: " + "; ".join(problems))
    return frame.select(*expected.names)


@dataclasses.dataclass(frozen=True, kw_only=True)
class JdbcSource(Strict):
    """A table or query behind a named Glue JDBC connection.

    Reads are parallel by default (see :mod:`etl.partitioning`): on ``hashexpression`` or
    ``hashfield`` (Glue's options of those names) or ``partition_column`` if given, else on the
    table's primary key, split at its statistics' quantiles, in equal steps or by a hash.
    ``num_partitions`` (Glue's ``hashpartitions``) defaults to the cluster's parallelism, at most
    ``max_connections``, the connections the read opens at once; ``num_partitions=1`` forces one.
    ``fetchsize`` is always set (PostgreSQL otherwise buffers the whole result in memory).
    ``options`` passes extra driver/Spark options (e.g. ``sessionInitStatement``).

    ``retry`` governs connects on the driver (see :mod:`etl.retry`): transient errors back off
    within a budget, permanent ones (bad password, unknown database or table) fail at once.
    ``watermark_column`` makes the load incremental (see :mod:`etl.watermark` and
    :mod:`etl.incremental`): inside a job only rows past the last committed watermark are read;
    the state is stored under ``watermark_state`` or ``<first sink>/_glueprint_state/<source
    name>``.  ``watermark_lookback`` (in the column's unit; seconds for a date or timestamp)
    re-reads that far below the watermark, for rows committed late, and drops the rows an
    earlier load published, identified by ``watermark_key``.
    """

    connection: str
    table: str | None = None
    query: str | None = None
    partition_column: str | None = None
    num_partitions: int | None = None
    hashfield: str | None = None
    hashexpression: str | None = None
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    fetchsize: int = 10_000
    retry: RetryPolicy = DEFAULT_RETRY
    watermark_column: str | None = None
    watermark_state: str | None = None
    watermark_lookback: float | None = None
    watermark_key: Sequence[str] = ()
    options: Mapping[str, str] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        require_one_of("JdbcSource", table=self.table, query=self.query)
        if not isinstance(self.retry, RetryPolicy):
            raise OptionError("JdbcSource: retry must be a RetryPolicy(...)")
        if self.watermark_column is None and (
            self.watermark_state is not None or self.watermark_lookback or self.watermark_key
        ):
            raise OptionError(
                "JdbcSource: watermark_state, watermark_lookback and watermark_key need "
                "watermark_column"
            )
        if isinstance(self.watermark_key, str):
            raise OptionError("JdbcSource: watermark_key must be a list of column names")
        if self.watermark_lookback is not None and (
            self.watermark_lookback <= 0 or not self.watermark_key
        ):
            raise OptionError(
                "JdbcSource: watermark_lookback must be positive and needs watermark_key (the "
                "columns that identify a row, to drop rows an earlier load published)"
            )
        if not self.connection:
            raise OptionError("JdbcSource: connection must name a Glue connection")
        if self.num_partitions is not None and self.num_partitions < 1:
            raise OptionError("JdbcSource: num_partitions must be at least 1")
        check_partition_options(
            partition_column=self.partition_column,
            hashfield=self.hashfield,
            hashexpression=self.hashexpression,
            num_partitions=self.num_partitions,
            max_connections=self.max_connections,
        )
        if self.fetchsize < 1:
            raise OptionError("JdbcSource: fetchsize must be at least 1")
        managed = sorted(_MANAGED_JDBC_OPTIONS & set(self.options))
        if managed:
            raise OptionError(
                f"JdbcSource: options {managed} are set by JdbcSource itself; use the "
                "connection, table/query, partition_column, hashfield, hashexpression, "
                "num_partitions (Glue's hashpartitions) and fetchsize fields"
            )

    @property
    def relation(self) -> str:
        """What goes after ``FROM``: the table, or the query as a derived table."""
        return self.table if self.table is not None else f"({self.query}) glueprint_src"

    def bind(self, values: Mapping[str, str]) -> JdbcSource:
        return bind_placeholders(self, values)

    def reader_options(
        self, connection: JdbcConnection, spark: SparkSession | None = None
    ) -> dict[str, str]:
        """Spark JDBC options: the vendor's fast-read defaults, the connection (URL, credentials,
        TLS; ``spark``: the session that reads, see :meth:`JdbcConnection.spark_options`), the
        source's own `options`, and `fetchsize`, later ones winning."""
        return {
            **READ_DEFAULTS.get(connection.vendor, {}),
            **connection.spark_options(self.options, spark),
            **self.options,
            "fetchsize": str(self.fetchsize),
        }

    def read(self, runtime: Runtime) -> DataFrame:
        """Read the whole relation (a ``watermark_column`` is honoured only inside a job)."""
        return self.read_since(runtime, None)[0]

    def window_keys(self, runtime: Runtime, high: Watermark) -> tuple[tuple[str, ...], ...]:
        """The keys of the rows within the lookback of ``high`` (see :mod:`etl.incremental`)."""
        assert self.watermark_column is not None and self.watermark_lookback is not None
        connection = runtime.connection(self.connection)
        query = window_query(
            connection.vendor,
            self.relation,
            self.watermark_column,
            key=tuple(self.watermark_key),
            high=high,
            lookback=self.watermark_lookback,
        )
        options = self.reader_options(connection, runtime.spark)
        return call_with_retry(
            lambda: read_keys(runtime.spark, options, query),
            policy=self.retry,
            connection=self.connection,
            what=f"reading the lookback window of {self.relation}",
            secrets=(connection.password,),
        )

    def open(self, name: str, context: RunContext) -> SourceRead:
        """The whole relation, or with ``watermark_column`` the rows past the committed
        watermark (see :mod:`etl.watermark`)."""
        if self.watermark_column is None:
            return FrameRead(self.read(context.runtime))
        return IncrementalRead.open(self, name, context)

    def read_since(
        self, runtime: Runtime, since: Watermark | None
    ) -> tuple[DataFrame, Watermark | None]:
        """Read the rows with ``watermark_column`` past ``since`` (all rows when ``None``) and
        up to the current maximum; return them and the new high watermark (``seq``/``run_id``
        left empty for the caller), or ``None`` when no row is new."""
        spark = runtime.spark
        connection = runtime.connection(self.connection)
        options = self.reader_options(connection, runtime.spark)
        vendor = connection.vendor

        def attempt(what: str, operation: Callable[[], T]) -> T:
            return call_with_retry(
                operation,
                policy=self.retry,
                connection=self.connection,
                what=f"{what} of {self.relation}",
                secrets=(connection.password,),
            )

        def plan() -> tuple[DataFrame, Watermark | None]:
            relation, high = self.relation, None
            if self.watermark_column is not None:
                mark, lookback = self.watermark_column, self.watermark_lookback
                bound = bound_query(vendor, self.relation, mark, since, lookback)
                high = read_bound(spark, options, bound, mark, since)
                relation = restricted(
                    self.relation, rows_condition(vendor, mark, since, high, lookback)
                )
            nothing_new = high is None and since is not None
            parallelism = min(spark.sparkContext.defaultParallelism, self.max_connections)
            request = PartitionRequest(
                relation=relation,
                table=self.table,
                partitions=1 if nothing_new else self.num_partitions or parallelism,
                column=self.partition_column,
                hashfield=self.hashfield,
                hashexpression=self.hashexpression,
                subset=since is not None,
            )
            read_plan = plan_read(spark, options, vendor, request)
            log.info("jdbc %s via %s: %s", relation, self.connection, read_plan.description)
            # Resolving the schema fails at once on bad credentials or an unknown table.
            return read_plan.load(spark, options, relation, vendor), high

        return attempt("reading", plan)
