"""The job commands of the ``glueprint`` CLI: ``new-job``, ``run`` and ``check``.

They sit on the generator side so that ``etl``, the library shipped to Glue, imports nothing
from here.  Bad input is one message naming the problem and the fix, exit status 2, no
traceback, and nothing half-written.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import click
from rich.markup import escape

from etl.errors import EtlError
from etl.loading import load_job
from etl.options import FILE_FORMATS, did_you_mean
from generator.cli.console import (
    CommandError,
    InputError,
    err_console,
    load_or_exit,
    out_console,
    table,
)
from generator.config.errors import ConfigError
from generator.config.job_code import connection_uses
from generator.config.loader import parse_text
from generator.config.secrets import find_secret
from generator.rendering.scaffold import (
    JOB_NAME,
    JobSpec,
    add_job,
    parse_jdbc,
    render_job,
    render_test,
    s3_format,
    with_defaults,
)
from generator.rendering.writer import write_files

DEFAULT_PROFILE = Path("glueprint.local.toml")
_config_option = click.option(
    "--config",
    "-c",
    "config_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("glueprint.yaml"),
    show_default=True,
    help="The glueprint.yaml the job belongs to.",
)


class JobFailedError(CommandError):
    """The job itself failed (in Spark, or its run on Glue): exit status 1."""


@contextlib.contextmanager
def _user_errors() -> Iterator[None]:
    try:
        yield
    except EtlError as exc:
        raise InputError(str(exc)) from None


@click.command("new-job")
@click.argument("name")
@click.option("--jdbc", multiple=True, metavar="CONNECTION:TABLE", help="Read a table (repeat).")
@click.option("--s3", multiple=True, metavar="URI", help="Read files under s3://... (repeat).")
@click.option(
    "--format",
    "file_format",
    type=click.Choice(FILE_FORMATS),
    help="File format of the --s3 sources. Default: from each path's extension, else parquet.",
)
@click.option("--sink", metavar="URI", help="Write parquet under this s3:// prefix.")
@_config_option
def new_job(
    *,
    name: str,
    jdbc: tuple[str, ...],
    s3: tuple[str, ...],
    file_format: str | None,
    sink: str | None,
    config_path: Path,
) -> None:
    """Create jobs/NAME.py, tests/test_NAME.py and the job's entry in glueprint.yaml."""
    if not JOB_NAME.match(name):
        raise InputError(
            f"job name {name!r} is invalid; use letters, digits, '_' and '-', starting alphanumeric"
        )
    loaded = load_or_exit(config_path)
    config = loaded.config
    if any(existing.name == name for existing in config.jobs):
        raise InputError(f"job '{name}' is already in {config_path}; pick another name")
    for uri in (*s3, *([sink] if sink else [])):
        if not uri.startswith("s3://"):
            raise InputError(f"{uri!r} is not an s3:// URI; use s3://bucket/prefix/")
    if file_format is not None and not s3 and jdbc:
        raise InputError("--format applies to --s3 sources; add --s3 URI or drop --format")
    with _user_errors():
        tables = tuple(parse_jdbc(value) for value in jdbc)
    kinds = {c.name: c.type for c in config.connections}
    for connection, _ in tables:
        if connection not in kinds:
            raise InputError(
                f"connection '{connection}' is not defined in {config_path}"
                f"{did_you_mean(connection, kinds)}; add it under `connections:` (type: JDBC)"
            )
        if kinds[connection] != "JDBC":
            raise InputError(
                f"connection '{connection}' is type {kinds[connection]}; --jdbc needs a JDBC one"
            )
    attached = list(dict.fromkeys(c for c, _ in tables)) or [
        c.name for c in config.connections if c.type == "NETWORK"
    ]
    spec = with_defaults(
        JobSpec(name=name, jdbc=tables, s3=s3, format=file_format, sink=sink), config.project
    )
    base = loaded.base_dir
    starter = {spec.script: render_job(spec), spec.test: render_test(spec)}
    for relative in (spec.script, spec.test):
        if (base / relative).exists():
            raise InputError(f"{relative} already exists; pick another job name or remove it")
    with _user_errors():
        new_config = add_job(config_path.read_text(encoding="utf-8"), spec, attached)
    written = write_files(base, starter)
    try:
        # The config is validated with the script in place (the loader checks it exists).
        parse_text(new_config, base, config_path.name)
        write_files(config_path.parent, {config_path.name: new_config})
    except BaseException as exc:
        for relative in written.written:
            (base / relative).unlink()
        if isinstance(exc, ConfigError):
            problems = [f"{len(exc.problems)} problem(s) in the config:", *map(str, exc.problems)]
            raise InputError("the new job entry is invalid:\n" + "\n".join(problems)) from None
        raise
    out_console.print(
        f"[green]created[/] {escape(spec.script)}, {escape(spec.test)}; added job "
        f"[bold]{escape(name)}[/] to {escape(str(config_path))} with connections "
        f"{escape(', '.join(attached) or '(none)')}",
        soft_wrap=True,
    )
    for uri in spec.s3:
        fmt, why = s3_format(uri, spec.format)
        out_console.print(escape(f"  reads {uri} as {fmt} ({why})"), soft_wrap=True)
    out_console.print(
        escape(
            f"next: edit the transform, then `pytest {spec.test}` and "
            f"`glueprint run {spec.script} --local`"
        ),
        soft_wrap=True,
    )


def _spark_failure(exc: Exception) -> str:
    """One line for a Spark/JVM error (the Java stack trace is not for end users)."""
    java = getattr(exc, "java_exception", None)
    text = str(java.toString()) if java is not None else str(exc)
    return next((line.strip() for line in text.splitlines() if line.strip()), type(exc).__name__)


@click.command("run", context_settings={"ignore_unknown_options": True})
@click.argument("target")
@click.option("--local", is_flag=True, help="Local Spark; connections and s3:// from a profile.")
@click.option(
    "--on",
    "on",
    type=click.Choice(["glue"]),
    help="Start TARGET (a job name or script in --config) on AWS Glue and follow the run.",
)
@click.option(
    "--profile",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help=f"Local profile (TOML; default ./{DEFAULT_PROFILE} when it exists).",
)
@_config_option
@click.option(
    "--poll-seconds",
    type=click.FloatRange(min=1),
    default=15.0,
    show_default=True,
    help="With --on glue: seconds between run status checks.",
)
@click.argument("job_args", nargs=-1, type=click.UNPROCESSED)
def run(
    *,
    target: str,
    local: bool,
    on: str | None,
    profile: Path | None,
    config_path: Path,
    poll_seconds: float,
    job_args: tuple[str, ...],
) -> None:
    """Run the job in script TARGET here, or with --on glue the deployed job TARGET on Glue;
    extra --name value pairs are job arguments."""
    if on == "glue":
        if local or profile is not None:
            raise InputError("--local and --profile are for local runs; drop them with --on glue")
        _run_on_glue(target, config_path, poll_seconds, job_args)
        return
    script = Path(target)
    if not script.is_file():
        raise InputError(
            f"{target}: no such job script; to run a deployed job on AWS Glue add --on glue"
        )
    if profile is not None and not local:
        raise InputError("--profile applies to local runs; add --local")
    if local and profile is None and DEFAULT_PROFILE.is_file():
        profile = DEFAULT_PROFILE
    with _user_errors():
        job = load_job(script)
        try:
            runtime = "local" if local else "spark"
            result = job.main(list(job_args), runtime=runtime, profile=profile)
        except EtlError:
            raise
        except Exception as exc:
            if type(exc).__module__.split(".")[0] not in ("py4j", "pyspark"):
                raise
            raise JobFailedError(f"job {job.name} failed in Spark: {_spark_failure(exc)}") from None
    out_console.print(f"[green]ok[/] job [bold]{escape(result.job_name)}[/] on {result.runtime}")
    for sink, location in result.outputs.items():
        out_console.print(f"  {escape(sink)} -> {escape(location)}")


def _run_on_glue(
    target: str, config_path: Path, poll_seconds: float, job_args: tuple[str, ...]
) -> None:
    from botocore.exceptions import BotoCoreError, ClientError

    from generator.shipping import aws
    from generator.shipping.glue_run import start_and_follow

    loaded = load_or_exit(config_path)
    known = [j.name for j in loaded.config.jobs]
    running = [
        j.name
        for j in loaded.config.jobs
        if (loaded.base_dir / j.script).resolve() == Path(target).resolve()
    ]
    if len(running) > 1:
        raise InputError(f"{target} is the script of jobs {', '.join(running)}: name the job")
    name = running[0] if running else target
    if name not in known:
        raise InputError(
            f"{target} is not a job (or job script) in {config_path}{did_you_mean(target, known)}"
        )
    arguments = _argument_pairs(job_args)
    region = loaded.config.region
    try:
        with err_console.status(f"starting {name} on AWS Glue ({region})") as status:
            outcome = start_and_follow(
                aws.client("glue", region),
                name,
                arguments,
                region=region,
                poll_seconds=poll_seconds,
                on_start=lambda run_id: err_console.print(
                    f"started {escape(name)} run {run_id}", highlight=False, soft_wrap=True
                ),
                on_state=lambda state: status.update(f"{name} on AWS Glue: {state}"),
            )
    except ClientError as exc:
        error = exc.response.get("Error", {})
        fix = (
            "deploy it first (glueprint deploy, or apply the stack for jobs Terraform owns)"
            if error.get("Code") == "EntityNotFoundException"
            else "check the AWS credentials and their Glue permissions"
        )
        raise JobFailedError(
            f"{exc.operation_name} for job {name} failed: {error.get('Message')}\n  fix: {fix}"
        ) from None
    except BotoCoreError as exc:
        raise JobFailedError(f"cannot reach AWS Glue: {exc}") from None
    # Plain lines, not a table: run ids and log locations are copied, so they must not wrap.
    seconds = outcome.duration_seconds
    took = "" if seconds is None else f" after {seconds // 60} min {seconds % 60} s"
    style = "green" if outcome.succeeded else "red"
    out_console.print(
        f"[{style}]{outcome.state}[/] {escape(name)} on AWS Glue{took}", soft_wrap=True
    )
    out_console.print(f"  run id: {outcome.run_id}", highlight=False, soft_wrap=True)
    if outcome.error:
        out_console.print(f"  error:  {escape(outcome.error)}", highlight=False, soft_wrap=True)
    for location in outcome.logs:
        out_console.print(f"  logs:   {escape(location)}", highlight=False, soft_wrap=True)
    if not outcome.succeeded:
        raise JobFailedError(
            f"job {name} run {outcome.run_id} ended {outcome.state}: "
            f"{outcome.error or 'no error message'}"
        )


def _argument_pairs(job_args: tuple[str, ...]) -> dict[str, str]:
    """`--name value` pairs for the Glue run (they override the job's defaults for this run);
    never secrets, which Glue may log: the same rule as for the config's job arguments."""
    if len(job_args) % 2 or not all(key.startswith("--") for key in job_args[::2]):
        raise InputError(f"job arguments must be --name value pairs, got: {' '.join(job_args)}")
    pairs = dict(zip(job_args[::2], job_args[1::2], strict=True))
    for key, value in pairs.items():
        if (secret := find_secret(key, value)) is not None:
            raise InputError(f"{key}: {secret.what}\n  fix: {secret.fix}")
    return pairs


@click.command("check")
@_config_option
def check(config_path: Path) -> None:
    """Cross-check glueprint.yaml and the job scripts: the config's own rules (catalog use,
    required arguments, bookmark keys, concurrent incremental runs), then each connection a
    script uses against those its job attaches."""
    loaded = load_or_exit(config_path)
    config = loaded.config
    defined = {c.name: c.type for c in config.connections}
    shown = table(None, ("job", "uses", "attached", "status"))
    problems: list[str] = []
    for job in config.jobs:
        attached = config.job_connections(job)
        script = loaded.base_dir / job.script
        try:
            uses = connection_uses(script)
        except (OSError, SyntaxError) as exc:
            problems.append(f"job {job.name}: cannot read {job.script}: {exc}")
            shown.add_row(escape(job.name), "?", escape(", ".join(attached)), "[red]unreadable[/]")
            continue
        status = "[green]ok[/]"
        for use in uses:
            where = f"job {job.name} ({job.script}:{use.line})"
            if use.name is None:
                status = "[yellow]dynamic name not checked[/]"
            elif use.name not in defined:
                problems.append(
                    f"{where}: uses connection '{use.name}', which is not defined"
                    f"{did_you_mean(use.name, defined)}; define it under `connections:` or fix it"
                )
            elif use.name not in attached:
                problems.append(
                    f"{where}: uses connection '{use.name}' but the job does not attach it "
                    f"(on Glue the read would time out); add it to jobs[{job.name}].connections"
                )
        if any(p.startswith(f"job {job.name} ") for p in problems):
            status = "[red]missing connection[/]"
        names = sorted({u.name or "<dynamic>" for u in uses})
        shown.add_row(
            escape(job.name),
            escape(", ".join(names) or "-"),
            escape(", ".join(attached) or "-"),
            status,
        )
    out_console.print(shown)
    if problems:
        raise InputError("\n".join([f"{len(problems)} problem(s):", *problems]))
    out_console.print(
        f"[green]ok[/] {len(config.jobs)} job(s) attach every connection their code uses"
    )
