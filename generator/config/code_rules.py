"""Rules where a job's code and its config entry must agree, read from the script with
`generator.config.job_code` (never run). Each mismatch would pass `terraform apply` and fail,
or silently do the wrong thing, only when the job runs on Glue.

What counts as a required argument: one the script cannot start without, i.e. a field of the
job's arguments dataclass with no default that is not typed `X | None`, or a name listed in
`getResolvedOptions`. It must come from the job's `arguments:` (its Glue default arguments),
from glueprint (`--TempDir`, `--data_bucket`, ...) or from Glue itself (`--JOB_NAME`, ...):
a scheduled or console run passes nothing else. A value that only some runs pass belongs in
`arguments:` as the default those runs replace, or in the dataclass as `X | None`.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from generator.config.catalog import RESERVED_JOB_ARGUMENTS, RUN_ARGUMENTS
from generator.config.errors import Problem
from generator.config.job_code import (
    bookmark_sources,
    catalog_uses,
    incremental_sources,
    required_arguments,
)
from generator.config.schema import JobConfig


def code_problems(job: JobConfig, base_dir: Path, path: str) -> Iterator[Problem]:
    """Where the script of `job` (at config path `path`) and its config entry disagree."""
    script = base_dir / job.script
    try:
        yield from _concurrent_incremental(job, script, path)
        yield from _catalog(job, script, path)
        yield from _bookmarks(job, script, path)
        yield from _arguments(job, script, path)
    except (OSError, SyntaxError):
        return  # job_rules reports a missing script; `glueprint check` a broken one


def _concurrent_incremental(job: JobConfig, script: Path, path: str) -> Iterator[Problem]:
    """Two runs of an incremental job at once would race for its watermark and outputs."""
    if job.max_concurrent_runs == 1 or job.concurrent_incremental_runs:
        return
    lines = incremental_sources(script)
    if lines:
        yield Problem(
            f"{path}.max_concurrent_runs",
            f"{job.max_concurrent_runs} concurrent runs, but {job.script} reads incrementally "
            f"(line {lines[0]}): overlapping runs would race for one watermark (the second "
            "stops on the job's lease)",
            "set max_concurrent_runs: 1, or concurrent_incremental_runs: true if the runs "
            "write different outputs",
        )


def _catalog(job: JobConfig, script: Path, path: str) -> Iterator[Problem]:
    """Without `catalog: true` a job has no catalog permissions, no Glue endpoint for it and no
    `--enable-glue-datacatalog`: Spark SQL then registers tables in a throwaway metastore."""
    if job.catalog:
        return
    uses = catalog_uses(script)
    if uses:
        yield Problem(
            f"{path}.catalog",
            f"{job.script} uses the Glue Data Catalog ({uses[0].spelling}, line {uses[0].line}) "
            "but catalog is off: on Glue its tables would go to a throwaway metastore, or the "
            "call would be denied",
            "set catalog: true",
        )


def _bookmarks(job: JobConfig, script: Path, path: str) -> Iterator[Problem]:
    """A read keyed for bookmarks re-reads everything when the job's bookmarks are off."""
    if job.bookmarks or job.command != "glueetl":
        return
    lines = bookmark_sources(script)
    if lines:
        yield Problem(
            f"{path}.bookmarks",
            f"{job.script} keys a read for Glue job bookmarks (jobBookmarkKeys, line "
            f"{lines[0]}) but bookmarks are off (the default): every run would read everything "
            "again",
            "set bookmarks: true (etl sources read incrementally with watermark_column instead)",
        )


def _arguments(job: JobConfig, script: Path, path: str) -> Iterator[Problem]:
    """Each required argument that no run gets (see the module doc). glueprint's own arguments
    count as passed: the only ones a script can name (`--TempDir`, `--data_bucket`) are set on
    every job."""
    passed = {*job.arguments, *RESERVED_JOB_ARGUMENTS, *RUN_ARGUMENTS}
    for argument in required_arguments(script):
        name = f"--{argument.name}"
        if name in passed:
            continue
        fix = f"add `{name}: VALUE` under arguments (a run's own arguments replace it)"
        if argument.declared_in != "getResolvedOptions":
            fix += "; if only some runs pass it, give the field a default or type it `X | None`"
        yield Problem(
            f"{path}.arguments",
            f"{job.script} requires {name} ({argument.declared_in}, line {argument.line}), "
            "which no run gets: it is not in the job's arguments and neither glueprint nor Glue "
            "passes it, so every run would stop at start",
            fix,
        )
