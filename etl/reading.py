"""The one protocol between the job lifecycle and a source's read.

The lifecycle (:meth:`etl.job.Job.run`) knows a source only through :meth:`Source.open`, the way
Kedro's runner knows datasets only through load/save.  What is special about a source lives in
the :class:`SourceRead` it returns: a quarantining read stages its malformed rows and enforces
its threshold (:mod:`etl.quarantine`), an incremental read settles a crashed run's state before
reading, records its pending watermark before anything is published and commits it afterwards
(:mod:`etl.watermark`).  A plain read is a :class:`FrameRead`: a frame and nothing else.

The lifecycle calls, in this order: ``open`` for every source; the transform on every
``frame``; ``stage`` for every read, then every sink stages; ``prepare`` for every read; every
staged output publishes; ``commit`` for every read.  ``release`` runs once the output is staged
or the run failed, whichever comes first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

    from etl.quarantine import SourceStats
    from etl.runtime import Runtime
    from etl.sinks import Sink, Staged


@dataclasses.dataclass(frozen=True)
class RunContext:
    """What a source may know about the run that reads it."""

    runtime: Runtime
    run_id: str
    job_name: str
    sinks: Mapping[str, Sink]
    """The run's sinks, arguments bound: where a crashed run's staged output would be."""

    @property
    def home(self) -> str:
        """The first sink's path: job-owned data (quarantine, watermark state) lives beside the
        output unless a source names another place."""
        return next(iter(self.sinks.values())).path.rstrip("/")


@dataclasses.dataclass(frozen=True)
class SourceReport:
    """What a read tells the :class:`~etl.job.JobResult`."""

    stats: SourceStats | None = None
    """Row accounting, for sources that quarantine malformed rows."""
    incremental: bool = False
    watermark: str | None = None
    """The committed high watermark of an incremental source (``None``: nothing was new)."""


class SourceRead(Protocol):
    """One source's read within one run (see the module doc for the order of calls)."""

    @property
    def frame(self) -> DataFrame: ...

    def stage(self) -> Sequence[Staged]:
        """Stage what the read itself publishes next to the sinks; may fail the run."""

    def prepare(self) -> None:
        """Durably record what ``commit`` will commit, before anything is published."""

    def commit(self) -> None:
        """Commit the read's state once every output is published."""

    def release(self) -> None:
        """Free what the read holds (cached frames)."""

    def report(self) -> SourceReport: ...


@dataclasses.dataclass(frozen=True)
class FrameRead:
    """A read with nothing to stage, record or commit."""

    frame: DataFrame

    def stage(self) -> Sequence[Staged]:
        return ()

    def prepare(self) -> None:
        return None

    def commit(self) -> None:
        return None

    def release(self) -> None:
        return None

    def report(self) -> SourceReport:
        return SourceReport()
