"""Publishing a run's output with a journal, so that a crash at any operation rolls forward.

Everything a run publishes is first staged aside (``_glueprint_staging/<run id>/`` under each
output, invisible to Spark, Athena and crawlers).  Then, before the first step that changes what
readers see, the run writes one durable record, the *journal*, under the job's state directory
(``<first sink>/_glueprint_state/_publish/<run id>.json``).  It lists every step: each staged
object's move into place, each old object an overwrite replaces, each catalog registration
(:mod:`etl.catalog_table`), each state file to commit (watermarks), and the record that the
run's batch is done.  Writing it is the commit point:

* a crash before it leaves only staging, which the next run removes: nothing was published;
* a crash after it leaves a journal, which the next run applies again, before it reads any
  source: every step is idempotent (a move whose target exists is done; deleting a missing
  object is a no-op; a registration creates the table only if it does not exist; state files
  are rewritten with the same content), so the journal rolls forward to exactly what an
  uninterrupted publish gives, copying each byte once.  A step that fails (a registration the
  catalog refuses) leaves the journal too: the next run completes it before reading anything.

The steps run in an order that keeps readers safe: new objects are moved in first (their names
are unique to the write), old ones deleted after, so a reader of a partition sees the old files,
then old and new, then the new: never neither.  Catalog registrations follow the data, state is
committed after them (a watermark never runs ahead of the catalog) and the journal is deleted
last.  Moves run in parallel (bounded): on S3 each is a server-side copy and a
delete.

A run is identified by ``JOB_RUN_ID`` less Glue's ``_attempt_N`` suffix, its *batch*: a retry of
a batch whose publish was already committed (by the crashed attempt, rolled forward) publishes
nothing again, so a rerun equals one clean run even for plain appends.  Each batch leaves one
small record under ``_glueprint_state/_batches/``; nothing lists them (a retry looks up its own),
so an S3 lifecycle rule may expire them once retries are over.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import json
import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from etl.catalog_table import CatalogRegistration
from etl.errors import StateError

if TYPE_CHECKING:
    from etl.runtime import Runtime
    from etl.storage import Storage

log = logging.getLogger("etl.publish")

STATE_DIR = "_glueprint_state"
JOURNAL_DIR = "_publish"
BATCHES_DIR = "_batches"
PARALLEL_MOVES = 16
"""Moves in flight at once: S3 serves thousands of requests per second per prefix."""
_ATTEMPT = re.compile(r"_attempt_\d+$")


def batch_of(run_id: str) -> str:
    """The batch a run belongs to: Glue names retry attempts ``<run id>_attempt_<n>``."""
    return _ATTEMPT.sub("", run_id)


@dataclasses.dataclass(frozen=True)
class OutputPlan:
    """How one staged output goes live: moves first, then deletes, then its registration in
    the catalog (if any), then staging removed."""

    location: str
    staging: str
    moves: tuple[tuple[str, str], ...]
    deletes: tuple[str, ...] = ()
    catalog: CatalogRegistration | None = None


@dataclasses.dataclass(frozen=True)
class StateCommit:
    """A state file (a watermark) to write once the data is published."""

    uri: str
    text: str


@dataclasses.dataclass(frozen=True)
class Journal:
    """Every step of one run's publish (see the module doc)."""

    run_id: str
    outputs: tuple[OutputPlan, ...]
    states: tuple[StateCommit, ...] = ()
    record: Mapping[str, Any] | None = None
    """What the batch record says (outputs, watermarks); ``None``: no record (a partial
    publish, e.g. the quarantine of a failing run)."""

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str, where: str) -> Journal:
        try:
            data = json.loads(text)
            return cls(
                run_id=str(data["run_id"]),
                outputs=tuple(
                    OutputPlan(
                        location=o["location"],
                        staging=o["staging"],
                        moves=tuple((m[0], m[1]) for m in o["moves"]),
                        deletes=tuple(o["deletes"]),
                        catalog=_registration(o.get("catalog")),
                    )
                    for o in data["outputs"]
                ),
                states=tuple(StateCommit(s["uri"], s["text"]) for s in data["states"]),
                record=data["record"],
            )
        except (ValueError, KeyError, TypeError, IndexError) as exc:
            raise StateError(
                f"publish journal {where} is unreadable ({exc}); it records a run that crashed "
                "while publishing: inspect it, then delete it to let jobs run again"
            ) from None


class Publisher:
    """The journal directory of one job (under its first sink) and the steps it records."""

    def __init__(self, runtime: Runtime, home: str, parallel: int = PARALLEL_MOVES) -> None:
        self.runtime = runtime
        self.parallel = parallel
        self.state_dir = f"{runtime.path(home).rstrip('/')}/{STATE_DIR}"
        self._storage = runtime.storage(self.state_dir)

    def _journal_uri(self, run_id: str) -> str:
        return f"{self.state_dir}/{JOURNAL_DIR}/{run_id}.json"

    def _batch_uri(self, batch: str) -> str:
        return f"{self.state_dir}/{BATCHES_DIR}/{batch}.json"

    def recover(self) -> int:
        """Roll forward every journal a crashed run left; return how many there were."""
        journals = self._storage.list(f"{self.state_dir}/{JOURNAL_DIR}")
        for uri in journals:
            journal = Journal.from_json(self._storage.read_text(uri), uri)
            log.warning(
                "run %s stopped while publishing; completing its publish from %s",
                journal.run_id,
                uri,
            )
            self._apply(journal, resumed=True)
            self._storage.delete(uri)
        return len(journals)

    def committed(self, run_id: str) -> Mapping[str, Any] | None:
        """The record of ``run_id``'s batch if an earlier attempt published it, else None."""
        uri = self._batch_uri(batch_of(run_id))
        if not self._storage.exists(uri):
            return None
        record: Mapping[str, Any] = json.loads(self._storage.read_text(uri))
        return record

    def publish(self, journal: Journal) -> None:
        """Write the journal (the commit point), apply it, then delete it."""
        uri = self._journal_uri(journal.run_id)
        self._storage.write_text(uri, journal.to_json())
        self._apply(journal, resumed=False)
        self._storage.delete(uri)

    def _apply(self, journal: Journal, *, resumed: bool) -> None:
        for output in journal.outputs:
            storage = self.runtime.storage(output.location)
            move = functools.partial(_move_once, storage) if resumed else storage.move
            with concurrent.futures.ThreadPoolExecutor(self.parallel) as pool:
                for done in [pool.submit(move, src, dst) for src, dst in output.moves]:
                    done.result()
            if output.deletes:
                storage.delete_all(output.deletes)
        for output in journal.outputs:
            if output.catalog is not None:
                output.catalog.register(self.runtime.spark)
        for state in journal.states:
            self.runtime.storage(state.uri).write_text(state.uri, state.text)
        if journal.record is not None:
            batch = batch_of(journal.run_id)
            self._storage.write_text(self._batch_uri(batch), json.dumps(journal.record))
        for output in journal.outputs:
            remove_staging(self.runtime.storage(output.staging), output.staging)
            log.info("published %s", output.location)


def _registration(data: Mapping[str, Any] | None) -> CatalogRegistration | None:
    """A journal's catalog step (journals written before registration was a step have none)."""
    if data is None:
        return None
    return CatalogRegistration(
        table=data["table"],
        location=data["location"],
        columns=data["columns"],
        format=data["format"],
        partition_by=tuple(data["partition_by"]),
    )


def remove_staging(storage: Storage, staging: str) -> None:
    """Delete a run's staging prefix, and the staging root once no run has anything there
    (S3 keeps no empty prefixes; local and HDFS file systems keep empty directories)."""
    storage.delete_prefix(staging)
    root = staging.rstrip("/").rsplit("/", 1)[0]
    if not storage.list(root):
        storage.delete_prefix(root)


def _move_once(storage: Storage, source: str, target: str) -> None:
    """Move ``source`` to ``target`` unless an earlier attempt did (part of) it already."""
    if storage.exists(source):
        if storage.exists(target):  # copied, not yet deleted: S3's move stopped half-way
            storage.delete(source)
        else:
            storage.move(source, target)
    elif not storage.exists(target):
        raise StateError(f"publish journal lists {source}, which is gone and was never moved")


def batch_record(
    run_id: str, outputs: Mapping[str, str], watermarks: Mapping[str, str | None], now: float
) -> dict[str, Any]:
    """What a batch's record keeps: enough to answer a retry with the original result."""
    return {
        "run_id": run_id,
        "outputs": dict(outputs),
        "watermarks": dict(watermarks),
        "committed_at": now,
    }
