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
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar

from etl.arguments import argument_values, bind_arguments, parse_argv
from etl.errors import OptionError
from etl.options import did_you_mean
from etl.quarantine import QUARANTINE_DIR, CheckedRead, SourceStats
from etl.runtime import Runtime, select_runtime
from etl.sinks import S3Sink, Sink, Staged, staging_dir
from etl.sources import JdbcSource, S3Source, Source
from etl.storage import Storage
from etl.watermark import STATE_DIR, Watermark, WatermarkStore

if TYPE_CHECKING:
    from pyspark.sql import DataFrame

P = ParamSpec("P")
R = TypeVar("R")

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


@dataclasses.dataclass
class _Incremental:
    store: WatermarkStore
    mark: Watermark | None


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
        """Parse arguments, start ``runtime``, read, transform, stage, publish and commit.

        Nothing is published unless every source was read, the transform returned and every
        sink (and quarantine) staged its output.  Incremental sources record a pending watermark
        before publishing and commit it after every sink published (see :mod:`etl.watermark`).
        """
        raw = parse_argv(argv)
        args = bind_arguments(self.arguments, raw)
        job_name = raw.get("JOB_NAME", self.name)
        declared = {f.name for f in dataclasses.fields(self.arguments)} if self.arguments else set()
        runtime.start(job_name, argv, {k: v for k, v in raw.items() if k in declared})
        values = argument_values(args)
        run_id = raw.get("JOB_RUN_ID", uuid.uuid4().hex)
        sinks = {name: sink.bind(values) for name, sink in self.sinks.items()}
        frames: dict[str, Any] = {}
        checked: dict[str, CheckedRead] = {}
        incremental: dict[str, _Incremental] = {}
        staged: list[Staged] = []
        try:
            for name, declared_source in self.sources.items():
                source = declared_source.bind(values)
                if isinstance(source, S3Source) and source.quarantine is not None:
                    checked[name] = source.read_checked(runtime, name)
                    frames[name] = checked[name].frame
                elif isinstance(source, JdbcSource) and source.watermark_column is not None:
                    frames[name], incremental[name] = self._read_incremental(
                        runtime, name, source, sinks
                    )
                else:
                    frames[name] = source.read(runtime)
            quarantines = self._stage_quarantines(runtime, run_id, checked, sinks, staged)
            if self._takes_args:
                frames[ARGS_PARAMETER] = args
            outputs = self._outputs(self.func(**frames))  # type: ignore[call-arg]
            for name, sink in sinks.items():
                staged.append(sink.stage(outputs[name], runtime, run_id))
        except BaseException:
            for done in staged:
                done.discard()
            raise
        finally:
            for read in checked.values():
                read.release()
        for state in incremental.values():
            if state.mark is not None:
                state.mark = dataclasses.replace(
                    state.mark, seq=state.store.next_seq(), run_id=run_id
                )
                state.store.write_pending(state.mark)
        for done in staged:
            done.publish()
        for name, state in incremental.items():
            if state.mark is not None:
                state.store.commit(state.mark)
                log.info("source %s: watermark committed at %s", name, state.mark.value)
        runtime.commit()
        log.info("job %s committed on %s", job_name, runtime.name)
        return JobResult(
            job_name,
            runtime.name,
            {n: s.location for n, s in zip(self.sinks, staged[len(quarantines) :], strict=True)},
            sources=quarantines,
            watermarks={
                name: (state.mark.value if state.mark else None)
                for name, state in incremental.items()
            },
        )

    def _base(self, sinks: Mapping[str, Sink], what: str) -> str:
        """The first sink's path, next to which quarantine and watermark state live."""
        first = next(iter(sinks.values()))
        path = getattr(first, "path", None)
        if not isinstance(path, str):
            raise OptionError(
                f"job {self.name}: {what} has no default location next to the output "
                f"(the first sink is a {type(first).__name__}); give it a path"
            )
        return path.rstrip("/")

    def _read_incremental(
        self, runtime: Runtime, name: str, source: JdbcSource, sinks: Mapping[str, Sink]
    ) -> tuple[DataFrame, _Incremental]:
        root = source.watermark_state or f"{self._base(sinks, 'watermark state')}/{STATE_DIR}"
        store = WatermarkStore(runtime.spark, f"{runtime.path(root).rstrip('/')}/{name}")
        locations = [
            runtime.path(sink.path).rstrip("/") for sink in sinks.values() if hasattr(sink, "path")
        ]
        storage = Storage(runtime.spark, store.root)

        def staging_exists(run_id: str) -> bool:
            return any(storage.exists(staging_dir(loc, run_id)) for loc in locations)

        def discard(run_id: str) -> None:
            for location in locations:
                storage.delete(staging_dir(location, run_id))

        assert source.watermark_column is not None
        since = store.recover(source.watermark_column, staging_exists, discard)
        frame, high = source.read_since(runtime, since)
        log.info(
            "source %s: rows past watermark %s up to %s",
            name,
            since.value if since else "(none: full load)",
            high.value if high else "(nothing new)",
        )
        return frame, _Incremental(store, high)

    def _stage_quarantines(
        self,
        runtime: Runtime,
        run_id: str,
        checked: Mapping[str, CheckedRead],
        sinks: Mapping[str, Sink],
        staged: list[Staged],
    ) -> dict[str, SourceStats]:
        """Stage each source's malformed rows; enforce the thresholds (publishing the quarantine
        of a source over its threshold before failing, so the rows can be inspected)."""
        from pyspark.sql import functions as fn

        stats: dict[str, SourceStats] = {}
        for name, read in checked.items():
            source = self.sources[name]
            assert isinstance(source, S3Source) and source.quarantine is not None
            quarantine = source.quarantine
            path = quarantine.path or f"{self._base(sinks, 'quarantine')}/{QUARANTINE_DIR}/{name}"
            sink = S3Sink(path, partition_by=["run_id"], format="json")
            bad = read.bad.withColumn("run_id", fn.lit(run_id))
            done = sink.stage(bad, runtime, run_id)
            staged.append(done)
            result = dataclasses.replace(read.stats, quarantine=f"{done.location}/run_id={run_id}")
            stats[name] = result
            log.info(
                "source %s: %d rows in, %d out, %d quarantined (%s)",
                name,
                result.rows_in,
                result.rows_out,
                result.quarantined,
                result.quarantine,
            )
            try:
                quarantine.check(name, result.rows_in, result.quarantined)
            except Exception:
                staged.remove(done)
                done.publish()
                raise
        return stats

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
