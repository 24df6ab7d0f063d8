"""The job model: declared sources and sinks around a pure transform function.

::

    @job(
        sources={"orders": JdbcSource(connection="my-rds-vpc-connection", table="public.orders")},
        sink=S3Sink("s3://my-bucket/curated/orders/", partition_by=["order_date"]),
    )
    def curate_orders(orders: DataFrame) -> DataFrame:
        return orders.dropDuplicates(["order_id"])

    if __name__ == "__main__":
        curate_orders.main()

The decorated function stays callable as before (``curate_orders(orders=df)``), so a test
exercises the transform with plain DataFrames and no I/O, the way Kedro keeps nodes pure and
the catalog separate.  ``main()`` runs the lifecycle: parse arguments, start the runtime, read,
transform, stage every sink, publish, commit.
"""

from __future__ import annotations

import dataclasses
import inspect
import logging
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar

from etl.arguments import argument_values, bind_arguments, parse_argv
from etl.errors import ArgumentError, OptionError
from etl.lease import RunLease
from etl.options import did_you_mean
from etl.publish import Journal, batch_of, batch_record
from etl.quarantine import SourceStats
from etl.reading import RunContext, SourceRead
from etl.runtime import Runtime, select_runtime
from etl.sinks import Sink, Staged
from etl.sources import Source

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

P = ParamSpec("P")
R = TypeVar("R")
B = TypeVar("B", Source, Sink)

log = logging.getLogger("etl.job")

ARGS_PARAMETER = "args"
"""A transform parameter with this name receives the job's typed arguments."""


@dataclasses.dataclass(frozen=True)
class JobResult:
    """What a run did: the job name, the runtime, where each sink published, the row accounting
    of quarantining sources and the watermark each incremental source committed."""

    job_name: str
    runtime: str
    outputs: Mapping[str, str]
    sources: Mapping[str, SourceStats] = dataclasses.field(default_factory=dict)
    watermarks: Mapping[str, str | None] = dataclasses.field(default_factory=dict)
    replayed: bool = False
    """The run's batch had been published by an earlier attempt (a retry after a crash that
    happened after the commit point): nothing was read or written."""


class Job(Generic[P, R]):
    """A transform function plus its sources, sinks and argument declaration (see module doc)."""

    def __init__(
        self,
        func: Callable[P, R],
        *,
        sources: Mapping[str, Source],
        sinks: Mapping[str, Sink],
        single_sink: bool,
        arguments: type[Any] | None,
        name: str | None,
    ) -> None:
        self.func = func
        self.sources = dict(sources)
        self.sinks = dict(sinks)
        self.arguments = arguments
        self.name = name or func.__name__
        self._single_sink = single_sink
        self._takes_args = ARGS_PARAMETER in inspect.signature(func).parameters
        self._check_signature()

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        """Call the transform itself: no I/O, no runtime; what unit tests use."""
        return self.func(*args, **kwargs)

    def __repr__(self) -> str:
        return f"<etl job {self.name}: {', '.join(self.sources)} -> {', '.join(self.sinks)}>"

    def _check_signature(self) -> None:
        """Fail at import time when the function's parameters and the sources disagree."""
        where = f"job {self.name}"
        params = inspect.signature(self.func).parameters
        expected = [*self.sources, *([ARGS_PARAMETER] if self.arguments else [])]
        takes_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
        for param in params.values():
            if param.kind is inspect.Parameter.VAR_KEYWORD:
                continue
            if param.name == ARGS_PARAMETER and self.arguments is None:
                raise OptionError(f"{where}: parameter 'args' needs job(arguments=SomeDataclass)")
            if param.name not in expected:
                raise OptionError(
                    f"{where}: parameter '{param.name}' is not a source"
                    f"{did_you_mean(param.name, expected)}; sources: {', '.join(self.sources)}"
                )
        if not takes_kwargs:
            missing = [name for name in self.sources if name not in params]
            if missing:
                raise OptionError(f"{where}: add parameter(s) {', '.join(missing)} for the sources")

    def main(
        self,
        argv: Sequence[str] | None = None,
        *,
        runtime: Runtime | str | None = None,
        profile: Path | None = None,
    ) -> JobResult:
        """Entry point of the job script on Glue, spark-submit or locally.

        ``runtime`` overrides detection ("glue", "spark", "local" or a :class:`Runtime`);
        ``profile`` is the local profile file for the local runtime.
        """
        argv = list(sys.argv[1:] if argv is None else argv)
        if runtime is None or isinstance(runtime, str):
            runtime = select_runtime(argv, runtime, profile)
        return self.run(runtime, argv)

    def run(self, runtime: Runtime, argv: Sequence[str] = ()) -> JobResult:
        """Start ``runtime``, then read, transform, stage, publish and commit.

        The run holds the job's lease throughout (:mod:`etl.lease`) and first completes the
        publish of a run that crashed (:mod:`etl.publish`).  Nothing is published unless every
        source was read, the transform returned and every read and sink staged its output;
        then one journal publishes the data and the state together.  What a source needs
        besides its frame happens in its read (see :mod:`etl.reading`).
        """
        run, args, sources = self._start(runtime, argv)
        publisher = run.publisher
        with RunLease.for_state(
            runtime.storage(publisher.state_dir), publisher.state_dir, run.run_id
        ):
            publisher.recover()
            earlier = publisher.committed(run.run_id)
            if earlier is not None:
                return self._replay(run, earlier)
            reads: dict[str, SourceRead] = {}
            staged: list[Staged] = []
            try:
                for name, source in sources.items():
                    reads[name] = source.open(name, run)
                outputs = self._transform(reads, args)
                sinks = self._stage(run, reads, outputs, staged)
            except BaseException:
                for done in staged:
                    done.discard()
                raise
            finally:
                for read in reads.values():
                    read.release()
            result = self._result(run, reads, sinks)
            self._publish(run, reads, staged, result)
            self._commit(run)
        return result

    def _start(
        self, runtime: Runtime, argv: Sequence[str]
    ) -> tuple[RunContext, Any, dict[str, Source]]:
        """Parse the arguments, bind them into every source and sink, then start the runtime:
        a bad argument or placeholder fails before Spark starts and anything is read."""
        raw = parse_argv(argv)
        args = bind_arguments(self.arguments, raw)
        values = argument_values(args)
        sources = {name: _bound("source", name, s, values) for name, s in self.sources.items()}
        sinks = {name: _bound("sink", name, s, values) for name, s in self.sinks.items()}
        job_name = raw.get("JOB_NAME", self.name)
        declared = {f.name for f in dataclasses.fields(self.arguments)} if self.arguments else set()
        runtime.start(job_name, argv, {k: v for k, v in raw.items() if k in declared})
        run = RunContext(
            runtime, run_id=raw.get("JOB_RUN_ID", uuid.uuid4().hex), job_name=job_name, sinks=sinks
        )
        return run, args, sources

    def _transform(self, reads: Mapping[str, SourceRead], args: Any) -> dict[str, DataFrame]:
        frames: dict[str, Any] = {name: read.frame for name, read in reads.items()}
        if self._takes_args:
            frames[ARGS_PARAMETER] = args
        return self._outputs(self.func(**frames))  # type: ignore[call-arg]

    @staticmethod
    def _stage(
        run: RunContext,
        reads: Mapping[str, SourceRead],
        outputs: Mapping[str, DataFrame],
        staged: list[Staged],
    ) -> dict[str, Staged]:
        """Stage what each read publishes (quarantines), then each sink's output; everything
        staged is appended to ``staged`` at once, so a failure discards it all."""
        for read in reads.values():
            staged.extend(read.stage())
        sinks = {}
        for name, sink in run.sinks.items():
            sinks[name] = sink.stage(outputs[name], run.runtime, run.run_id)
            staged.append(sinks[name])
        return sinks

    @staticmethod
    def _publish(
        run: RunContext,
        reads: Mapping[str, SourceRead],
        staged: Sequence[Staged],
        result: JobResult,
    ) -> None:
        """One journal: every staged output (and its catalog registration), every read's state,
        then the batch record."""
        journal = Journal(
            run.run_id,
            tuple(done.plan() for done in staged),
            tuple(commit for read in reads.values() for commit in read.state()),
            record=batch_record(run.run_id, result.outputs, result.watermarks, time.time()),
        )
        run.publisher.publish(journal)

    @staticmethod
    def _commit(run: RunContext) -> None:
        run.runtime.commit()
        log.info("job %s committed on %s", run.job_name, run.runtime.name)

    @staticmethod
    def _replay(run: RunContext, record: Mapping[str, Any]) -> JobResult:
        """The result of a batch an earlier attempt published: nothing is read or written."""
        log.warning(
            "run %s: batch %s was published by run %s already; nothing to do",
            run.run_id,
            batch_of(run.run_id),
            record.get("run_id"),
        )
        run.runtime.commit()
        return JobResult(
            run.job_name,
            run.runtime.name,
            dict(record.get("outputs", {})),
            watermarks=dict(record.get("watermarks", {})),
            replayed=True,
        )

    @staticmethod
    def _result(
        run: RunContext, reads: Mapping[str, SourceRead], sinks: Mapping[str, Staged]
    ) -> JobResult:
        reports = {name: read.report() for name, read in reads.items()}
        return JobResult(
            run.job_name,
            run.runtime.name,
            {name: done.location for name, done in sinks.items()},
            sources={n: r.stats for n, r in reports.items() if r.stats is not None},
            watermarks={n: r.watermark for n, r in reports.items() if r.incremental},
        )

    def _outputs(self, result: object) -> dict[str, DataFrame]:
        from pyspark.sql import DataFrame

        if self._single_sink:
            result = {next(iter(self.sinks)): result}
        if not isinstance(result, Mapping) or set(result) != set(self.sinks):
            raise OptionError(
                f"job {self.name}: the transform must return a dict with keys "
                f"{sorted(self.sinks)} (one per sink)"
            )
        for name, frame in result.items():
            if not isinstance(frame, DataFrame):
                raise OptionError(
                    f"job {self.name}: output for sink '{name}' is {type(frame).__name__}, "
                    "expected a DataFrame"
                )
        return dict(result)


def _bound(kind: str, name: str, declared: B, values: Mapping[str, str]) -> B:
    """``declared`` with the job's arguments in its placeholders; an error names the source or
    sink (``source 'orders': JdbcSource.connection: placeholder ...``)."""
    try:
        return declared.bind(values)
    except (ArgumentError, OptionError) as exc:
        raise type(exc)(f"{kind} '{name}': {exc}") from None


def job(
    *,
    sources: Mapping[str, Source],
    sink: Sink | None = None,
    sinks: Mapping[str, Sink] | None = None,
    arguments: type[Any] | None = None,
    name: str | None = None,
) -> Callable[[Callable[P, R]], Job[P, R]]:
    """Declare a job around a transform function.

    Give ``sink`` when the function returns one DataFrame, or ``sinks={"name": ...}`` when it
    returns a dict of DataFrames.  ``arguments`` is a dataclass of typed job arguments, passed
    to the function's ``args`` parameter and available as ``${field}`` in sources and sinks.
    """
    if (sink is None) == (sinks is None):
        raise OptionError("job(): give exactly one of 'sink' or 'sinks'")
    if arguments is not None and not dataclasses.is_dataclass(arguments):
        raise OptionError(f"job(): arguments={arguments!r} must be a dataclass")
    declared_sinks = {"output": sink} if sink is not None else dict(sinks or {})

    def decorate(func: Callable[P, R]) -> Job[P, R]:
        return Job(
            func,
            sources=sources,
            sinks=declared_sinks,
            single_sink=sink is not None,
            arguments=arguments,
            name=name,
        )

    return decorate
