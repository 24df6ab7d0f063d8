"""``python -m bench [--smoke] [--only SUITE ...]``: run the suites and print their tables.

``nox -s bench`` runs this; ``nox -s bench -- --smoke`` is the small-size run CI uses so the
scripts cannot rot (it checks that everything runs, not the targets).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench.common import BenchError, Settings, bench_spark
from bench.timing import Section, console

SUITES = ("jdbc", "overhead", "testloop", "generator", "publish")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes, one repeat (CI)")
    parser.add_argument("--only", nargs="+", choices=SUITES, default=list(SUITES))
    parser.add_argument("--repeats", type=int, help="timed repeats (default 5, smoke 1)")
    parser.add_argument("--jdbc-rows", type=int, help="rows of the JDBC tables (default 5,000,000)")
    parser.add_argument(
        "--jdbc-sweep",
        action="store_true",
        help="also time hand-written partition/fetchsize variants",
    )
    parser.add_argument(
        "--no-unit-suite",
        action="store_true",
        help="skip timing the unit test suite in the testloop suite",
    )
    parser.add_argument("--markdown", type=Path, help="also write the tables as Markdown here")
    parser.add_argument("--work-dir", type=Path, help="keep data here (default: a temp dir)")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="glueprint-bench-") as tmp:
        work = (args.work_dir or Path(tmp)).resolve()
        work.mkdir(parents=True, exist_ok=True)
        settings = Settings.smoke_run(work) if args.smoke else Settings(smoke=False, work_dir=work)
        if args.repeats:
            settings = _replace(settings, repeats=args.repeats)
        if args.jdbc_rows:
            settings = _replace(settings, jdbc_rows=args.jdbc_rows)
        if args.no_unit_suite:
            settings = _replace(settings, unit_suite=False)
        try:
            sections = _run(settings, args.only, args.jdbc_sweep)
        except BenchError as exc:
            console.print(f"[bold red]bench: {exc}[/]")
            return 2
    for section in sections:
        section.show()
    if args.markdown:
        args.markdown.write_text("\n".join(s.markdown() for s in sections), encoding="utf-8")
    console.print(
        f"bench finished in {time.perf_counter() - started:.1f} s "
        f"({'smoke' if settings.smoke else 'full'} sizes)"
    )
    return 0


def _replace(settings: Settings, **changes: object) -> Settings:
    import dataclasses

    return dataclasses.replace(settings, **changes)  # type: ignore[arg-type]


def _run(settings: Settings, suites: list[str], sweep: bool) -> list[Section]:
    sections: list[Section] = []
    if "jdbc" in suites or "overhead" in suites:
        from bench import jdbc_extract, job_overhead
        from bench.common import Postgres

        if "jdbc" in suites:
            Postgres.from_env()  # fail before starting Spark when the database is missing
        spark = bench_spark(settings.work_dir)
        try:
            if "jdbc" in suites:
                sections.extend(jdbc_extract.run(settings, spark, sweep))
                sections.append(jdbc_extract.write_note())
            if "overhead" in suites:
                sections.append(job_overhead.run(settings, spark))
        finally:
            spark.stop()
    if "testloop" in suites:
        from bench import testloop

        sections.append(testloop.run(settings))
    if "generator" in suites:
        from bench import generator_scale

        sections.extend(generator_scale.run(settings))
    if "publish" in suites:
        from bench import publish

        sections.append(publish.run(settings))
    return sections


if __name__ == "__main__":
    sys.exit(main())
