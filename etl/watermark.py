"""Portable bookmarks for incremental JDBC loads: a high watermark stored next to the output.

A :class:`~etl.sources.JdbcSource` with ``watermark_column`` reads only rows whose column is
greater than the last committed watermark and at most the ``max`` taken at the start of the run.
The state lives under ``<first sink>/_glueprint_state/<source name>/`` (or ``watermark_state``,
which may be in another bucket), on S3 or the local directory, as numbered JSON files that are
only ever added, never rewritten::

    0000000007.json            the watermark committed by the 7th run that read something new

The next run trusts the highest file.  A run does not write its file itself: it hands it to the
run's publish journal (:mod:`etl.publish`), which writes it after the data is published, in the
same roll-forward as the data.  So data and watermark advance together even across a crash: a
crash before the journal publishes neither, a crash after it is completed by the next run
before that run reads anything.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from etl.errors import StateError
from etl.publish import STATE_DIR, StateCommit
from etl.reading import RunContext, SourceReport

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from etl.runtime import Runtime
    from etl.sinks import Staged
    from etl.storage import Storage

log = logging.getLogger("etl.watermark")

_FILE = re.compile(r"^(\d{10})\.json$")
_KEEP = 5


@dataclasses.dataclass(frozen=True)
class Watermark:
    """A committed high watermark of one source."""

    column: str
    value: str | None
    """The value as SQL text: a number, or a string to quote (``quoted``); ``None`` after a
    first load that found only NULLs."""
    quoted: bool
    seq: int
    run_id: str
    window: tuple[tuple[str, ...], ...] = ()
    """With a lookback: the keys of the rows within the lookback of ``value``, published
    already, which the next load re-reads and drops (see :mod:`etl.incremental`)."""

    def literal(self) -> str:
        if self.value is None:
            raise StateError(f"watermark of {self.column} has no value to compare with")
        return "'" + self.value.replace("'", "''") + "'" if self.quoted else self.value


class WatermarkStore:
    """The numbered state files of one source in one directory (see the module doc)."""

    def __init__(self, storage: Storage, root: str) -> None:
        self.root = root.rstrip("/")
        self._storage = storage
        self._files: dict[int, str] | None = None

    def _committed_files(self) -> dict[int, str]:
        if self._files is None:
            self._files = {}
            for uri in self._storage.list(self.root):
                match = _FILE.match(uri.rsplit("/", 1)[1])
                if match:
                    self._files[int(match.group(1))] = uri
        return self._files

    def _load(self, uri: str) -> Watermark:
        try:
            data = json.loads(self._storage.read_text(uri))
            return Watermark(
                column=str(data["column"]),
                value=None if data["value"] is None else str(data["value"]),
                quoted=bool(data["quoted"]),
                seq=int(data["seq"]),
                run_id=str(data["run_id"]),
                window=tuple(tuple(str(v) for v in key) for key in data.get("window", ())),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise StateError(
                f"watermark state {uri} is unreadable ({exc}); fix or delete it (deleting "
                "the state directory makes the next run a full load)"
            ) from None

    def committed(self, column: str) -> Watermark | None:
        """The last committed watermark (``None``: never committed, a full load)."""
        files = self._committed_files()
        if not files:
            return None
        current = self._load(files[max(files)])
        if current.column != column:
            raise StateError(
                f"watermark state {self.root} tracks column '{current.column}', the source now "
                f"uses '{column}'; delete the state directory to start a full load"
            )
        return current

    def commit_of(self, mark: Watermark, run_id: str) -> StateCommit:
        """The state file that commits ``mark`` for ``run_id`` (written by the journal)."""
        seq = max(self._committed_files(), default=0) + 1
        mark = dataclasses.replace(mark, seq=seq, run_id=run_id)
        text = json.dumps(dataclasses.asdict(mark), sort_keys=True)
        return StateCommit(f"{self.root}/{seq:010d}.json", text)

    def prune(self) -> None:
        """Delete committed files but the last few (state files are only ever added)."""
        files = self._committed_files()
        old = sorted(files)[:-_KEEP]
        if old:
            self._storage.delete_all(files.pop(seq) for seq in old)


class IncrementalSource(Protocol):
    """A source that reads the rows past a watermark (:class:`~etl.sources.JdbcSource`)."""

    @property
    def watermark_column(self) -> str | None: ...

    @property
    def watermark_state(self) -> str | None: ...

    @property
    def watermark_lookback(self) -> float | None: ...

    @property
    def watermark_key(self) -> Sequence[str]: ...

    def read_since(
        self, runtime: Runtime, since: Watermark | None
    ) -> tuple[DataFrame, Watermark | None]: ...

    def window_keys(self, runtime: Runtime, high: Watermark) -> tuple[tuple[str, ...], ...]: ...


@dataclasses.dataclass
class IncrementalRead:
    """The :class:`~etl.reading.SourceRead` of an incremental source: reads past the committed
    watermark and hands the new one to the run's journal, which commits it after the data."""

    frame: DataFrame
    name: str
    store: WatermarkStore
    mark: Watermark | None
    run_id: str

    @classmethod
    def open(cls, source: IncrementalSource, name: str, context: RunContext) -> IncrementalRead:
        runtime = context.runtime
        column = source.watermark_column
        if column is None:
            raise StateError(f"source '{name}': an incremental read needs watermark_column")
        root = source.watermark_state or f"{context.home}/{STATE_DIR}"
        mapped = f"{runtime.path(root).rstrip('/')}/{name}"
        store = WatermarkStore(runtime.storage(mapped), mapped)
        since = store.committed(column)
        store.prune()
        frame, high = source.read_since(runtime, since)
        if source.watermark_lookback:
            key = tuple(source.watermark_key)
            frame = _drop_published(frame, key, since.window if since is not None else ())
            if high is not None and high.value is not None:
                high = dataclasses.replace(high, window=source.window_keys(runtime, high))
        log.info(
            "source %s: rows past watermark %s up to %s",
            name,
            since.value if since else "(none: full load)",
            high.value if high else "(nothing new)",
        )
        return cls(frame, name, store, high, context.run_id)

    def stage(self) -> Sequence[Staged]:
        return ()

    def state(self) -> Sequence[StateCommit]:
        return () if self.mark is None else (self.store.commit_of(self.mark, self.run_id),)

    def release(self) -> None:
        return None

    def report(self) -> SourceReport:
        return SourceReport(
            incremental=True, watermark=self.mark.value if self.mark is not None else None
        )


def _drop_published(
    frame: DataFrame, key: tuple[str, ...], published: tuple[tuple[str, ...], ...]
) -> DataFrame:
    """``frame`` without the rows whose key an earlier load published (the lookback window)."""
    if not published:
        return frame
    from pyspark.sql import functions as fn

    spark = frame.sparkSession
    types = {field.name: field.dataType for field in frame.schema.fields}
    keys = spark.createDataFrame(list(published), ", ".join(f"`{k}` STRING" for k in key))
    keys = keys.select(*[fn.col(f"`{k}`").cast(types[k]).alias(k) for k in key])
    kept = frame.join(fn.broadcast(keys), list(key), "left_anti")
    return kept.select(*[fn.col(f"`{name}`") for name in frame.columns])
