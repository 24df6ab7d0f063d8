"""One run at a time per job state: a lease taken with a create-once write.

Two runs publishing into the same outputs, or advancing the same watermarks, would interleave
their steps; Glue allows up to 1,000 concurrent runs of a job.  So a run takes a lease,
``<first sink>/_glueprint_state/_lease.json``, with a conditional create (S3's ``If-None-Match:
*``) before it recovers or reads anything, and gives it back when it ends.  A second run finds the
lease and stops with :class:`~etl.errors.StateError` naming the holder.

A run that died keeps its lease, so a later run may take a lease over when its holder is known
to be gone: a Glue retry attempt of the holder's run (``<run id>_attempt_<n>``, which Glue starts
only after the attempt before it ended), a process on this host that no longer exists, or a
lease older than :data:`LEASE_SECONDS`.  Taking over is a delete and a new create-once write, so
of two runs taking over at once only one wins.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import socket
import threading
import time
from types import TracebackType
from typing import TYPE_CHECKING, Any

from etl.errors import StateError
from etl.publish import batch_of

if TYPE_CHECKING:
    from etl.storage import Storage

log = logging.getLogger("etl.lease")

LEASE_FILE = "_lease.json"
LEASE_SECONDS = 48 * 3600
"""Glue's default job timeout: no run holds a lease longer unless its job allows it."""

_ACTIVE: set[str] = set()
"""Run ids holding a lease in this process (a crashed run in a live process is not active)."""
_ACTIVE_LOCK = threading.Lock()


@dataclasses.dataclass
class RunLease:
    """The lease of one run on one state directory; a context manager."""

    storage: Storage
    uri: str
    run_id: str
    now: float = dataclasses.field(default_factory=time.time)
    taken: bool = False

    @classmethod
    def for_state(cls, storage: Storage, state_dir: str, run_id: str) -> RunLease:
        return cls(storage, f"{state_dir}/{LEASE_FILE}", run_id)

    def _holder(self) -> str:
        return json.dumps(
            {
                "run_id": self.run_id,
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "taken_at": self.now,
            },
            sort_keys=True,
        )

    def __enter__(self) -> RunLease:
        if not self.storage.create_text(self.uri, self._holder()):
            holder = self._read_holder()
            gone = _gone(holder, self.run_id, self.now)
            if gone is None:
                since = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(holder["taken_at"]))
                raise StateError(
                    f"run {holder.get('run_id')} (host {holder.get('host')}, pid "
                    f"{holder.get('pid')}) holds {self.uri} since {since}: two runs of a job "
                    "must not publish at once. If that run is not running any more, delete the "
                    "lease file and run again"
                )
            log.warning("taking over the lease of run %s: %s", holder.get("run_id"), gone)
            self.storage.delete(self.uri)
            if not self.storage.create_text(self.uri, self._holder()):
                raise StateError(f"another run took over {self.uri} at the same time; run later")
        self.taken = True
        with _ACTIVE_LOCK:
            _ACTIVE.add(self.run_id)
        return self

    def _read_holder(self) -> dict[str, Any]:
        try:
            holder: dict[str, Any] = json.loads(self.storage.read_text(self.uri))
        except ValueError:
            return {}
        return holder

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with _ACTIVE_LOCK:
            _ACTIVE.discard(self.run_id)
        if self.taken and (error is None or isinstance(error, Exception)):
            self.storage.delete(self.uri)  # a run that died (BaseException) keeps its lease


def _gone(holder: dict[str, Any], run_id: str, now: float) -> str | None:
    """Why the holder of a lease is known to be gone, or None when it may still be running."""
    held_by = str(holder.get("run_id", ""))
    if not holder:
        return "the lease file is unreadable"
    if run_id != held_by and batch_of(run_id) == batch_of(held_by):
        return f"this run is a retry of {held_by}"
    if holder.get("host") == socket.gethostname():
        pid = holder.get("pid")
        if pid == os.getpid():
            with _ACTIVE_LOCK:
                if held_by not in _ACTIVE:
                    return f"run {held_by} of this process ended without giving it back"
        elif isinstance(pid, int) and not _process_exists(pid):
            return f"process {pid} on this host no longer exists"
    if now - float(holder.get("taken_at", now)) > LEASE_SECONDS:
        return f"it is older than {LEASE_SECONDS // 3600} hours"
    return None


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
