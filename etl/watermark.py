"""Portable bookmarks for incremental JDBC loads: a high watermark stored next to the output.

A :class:`~etl.sources.JdbcSource` with ``watermark_column`` reads only rows whose column is
greater than the last committed watermark and at most the ``max`` taken at the start of the run.
The state lives under ``<first sink>/_glueprint_state/<source name>/`` (or ``watermark_state``),
on S3 or the local directory, as numbered JSON files that are only ever added, never rewritten::

    0000000007.pending.json    written after every sink staged, before any publishes
    0000000007.json            written after every sink published (the commit)

The next run trusts the highest committed file.  A pending file above it means the previous run
stopped between staging and committing its state.  If that run's staging directories are gone,
its publish finished (publish removes them last), so the state is rolled forward to the pending
value and its rows are not read, and written, again.  If they still exist, the run never
published: its leftovers are removed and its pending state dropped.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from etl.errors import StateError
from etl.reading import RunContext, SourceReport
from etl.storage import Storage

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

    from etl.runtime import Runtime
    from etl.sinks import Staged

log = logging.getLogger("etl.watermark")

STATE_DIR = "_glueprint_state"
_FILE = re.compile(r"^(\d{10})(\.pending)?\.json$")
_KEEP = 5


@dataclasses.dataclass(frozen=True)
class Watermark:
    """A committed (or pending) high watermark of one source."""

    column: str
    value: str
    """The value as SQL text: a number, or a string to quote (``quoted``)."""
    quoted: bool
    seq: int
    run_id: str

    def literal(self) -> str:
        return "'" + self.value.replace("'", "''") + "'" if self.quoted else self.value


class WatermarkStore:
    """The numbered state files of one source in one directory (see the module doc)."""

    def __init__(self, spark: SparkSession, root: str) -> None:
        self.root = root.rstrip("/")
        self._storage = Storage(spark, self.root)

    def _entries(self) -> dict[tuple[int, bool], str]:
        entries = {}
        for child in self._storage.children(self.root):
            match = _FILE.match(child.rsplit("/", 1)[1])
            if match:
                entries[(int(match.group(1)), bool(match.group(2)))] = child
        return entries

    def _load(self, uri: str) -> Watermark:
        try:
            data = json.loads(self._storage.read_text(uri))
            return Watermark(
                column=str(data["column"]),
                value=str(data["value"]),
                quoted=bool(data["quoted"]),
                seq=int(data["seq"]),
                run_id=str(data["run_id"]),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise StateError(
                f"watermark state {uri} is unreadable ({exc}); fix or delete it (deleting "
                "the state directory makes the next run a full load)"
            ) from None

    def committed(self) -> Watermark | None:
        done = [seq for seq, pending in self._entries() if not pending]
        return self._load(self._entries()[(max(done), False)]) if done else None

    def recover(
        self, column: str, staging_exists: Callable[[str], bool], discard: Callable[[str], None]
    ) -> Watermark | None:
        """The watermark to read from, after settling a pending state left by a crashed run."""
        entries = self._entries()
        current = self.committed()
        if current is not None and current.column != column:
            raise StateError(
                f"watermark state {self.root} tracks column '{current.column}', the source now "
                f"uses '{column}'; delete the state directory to start a full load"
            )
        top = max((seq for seq, pending in entries if pending), default=None)
        if top is not None and (current is None or top > current.seq):
            pending = self._load(entries[(top, True)])
            if staging_exists(pending.run_id):
                log.warning(
                    "watermark %s: run %s stopped before publishing; discarding its staged "
                    "output and its pending state",
                    self.root,
                    pending.run_id,
                )
                discard(pending.run_id)
                self._storage.delete(entries[(top, True)])
            else:
                log.warning(
                    "watermark %s: run %s published but did not commit its state; rolling "
                    "forward to %s",
                    self.root,
                    pending.run_id,
                    pending.value,
                )
                self._write(pending, pending=False)
                current = pending
        return current

    def next_seq(self) -> int:
        return max((seq for seq, _ in self._entries()), default=0) + 1

    def write_pending(self, mark: Watermark) -> None:
        self._write(mark, pending=True)

    def commit(self, mark: Watermark) -> None:
        self._write(mark, pending=False)
        self._prune()

    def _write(self, mark: Watermark, *, pending: bool) -> None:
        suffix = ".pending.json" if pending else ".json"
        uri = f"{self.root}/{mark.seq:010d}{suffix}"
        if self._storage.exists(uri):
            self._storage.delete(uri)
        self._storage.write_text(uri, json.dumps(dataclasses.asdict(mark), sort_keys=True))

    def _prune(self) -> None:
        entries = self._entries()
        done = sorted(seq for seq, pending in entries if not pending)
        keep = set(done[-_KEEP:])
        for (seq, _pending), uri in entries.items():
            if (seq not in keep or _pending) and seq <= max(done):
                self._storage.delete(uri)


class IncrementalSource(Protocol):
    """A source that reads the rows past a watermark (:class:`~etl.sources.JdbcSource`)."""

    @property
    def watermark_column(self) -> str | None: ...

    @property
    def watermark_state(self) -> str | None: ...

    def read_since(
        self, runtime: Runtime, since: Watermark | None
    ) -> tuple[DataFrame, Watermark | None]: ...


@dataclasses.dataclass
class IncrementalRead:
    """The :class:`~etl.reading.SourceRead` of an incremental source: settles a crashed run's
    state, reads past the committed watermark, records the new one as pending before anything
    is published and commits it after (see the module doc)."""

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
        store = WatermarkStore(runtime.spark, f"{runtime.path(root).rstrip('/')}/{name}")
        sinks = list(context.sinks.values())

        def staging_exists(run_id: str) -> bool:
            return any(sink.has_staged(runtime, run_id) for sink in sinks)

        def discard(run_id: str) -> None:
            for sink in sinks:
                sink.discard_staged(runtime, run_id)

        since = store.recover(column, staging_exists, discard)
        frame, high = source.read_since(runtime, since)
        log.info(
            "source %s: rows past watermark %s up to %s",
            name,
            since.value if since else "(none: full load)",
            high.value if high else "(nothing new)",
        )
        return cls(frame, name, store, high, context.run_id)

    def stage(self) -> Sequence[Staged]:
        return ()

    def prepare(self) -> None:
        if self.mark is not None:
            self.mark = dataclasses.replace(
                self.mark, seq=self.store.next_seq(), run_id=self.run_id
            )
            self.store.write_pending(self.mark)

    def commit(self) -> None:
        if self.mark is not None:
            self.store.commit(self.mark)
            log.info("source %s: watermark committed at %s", self.name, self.mark.value)

    def release(self) -> None:
        return None

    def report(self) -> SourceReport:
        return SourceReport(
            incremental=True, watermark=self.mark.value if self.mark is not None else None
        )
