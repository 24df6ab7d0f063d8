"""The one protocol between the job lifecycle and a source's read.

The lifecycle (:meth:`etl.job.Job.run`) knows a source only through :meth:`Source.open`, the way
Kedro's runner knows datasets only through load/save.  What is special about a source lives in
the :class:`SourceRead` it returns: a quarantining read stages its malformed rows and enforces
its threshold (:mod:`etl.quarantine`), an incremental read reads past its committed watermark
and hands the new one to the run's publish journal (:mod:`etl.watermark`).  A plain read is a
:class:`FrameRead`: a frame and nothing else.

The lifecycle calls, in this order: ``open`` for every source; the transform on every
``frame``; ``stage`` for every read, then every sink stages; ``state`` for every read, which
goes into the journal with the staged outputs; the journal publishes everything.  ``release``
runs once the output is staged or the run failed, whichever comes first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

from etl.publish import Journal, Publisher, StateCommit

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
    """The run's sinks, arguments bound."""

    @property
    def home(self) -> str:
        """The first sink's path: job-owned data (quarantine, watermark state, the publish
        journal) lives beside the output unless a source names another place."""
        return next(iter(self.sinks.values())).path.rstrip("/")

    @property
    def publisher(self) -> Publisher:
        return Publisher(self.runtime, self.home)

    def publish_now(self, staged: Staged) -> None:
        """Publish one staged output on its own, through a journal of its own: what a run
        that is about to fail keeps (its quarantine, for inspection)."""
        self.publisher.publish(Journal(self.run_id, (staged.plan(),)))


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

    def state(self) -> Sequence[StateCommit]:
        """State files to commit once the data is published (they go into the journal)."""

    def release(self) -> None:
        """Free what the read holds (cached frames)."""

    def report(self) -> SourceReport: ...


@dataclasses.dataclass(frozen=True)
class FrameRead:
    """A read with nothing to stage, record or commit."""

    frame: DataFrame

    def stage(self) -> Sequence[Staged]:
        return ()

    def state(self) -> Sequence[StateCommit]:
        return ()

    def release(self) -> None:
        return None

    def report(self) -> SourceReport:
        return SourceReport()
