"""`glueprint` command line: generate, init, schema (and the etl commands).

Bad input never shows a traceback: it prints each problem with the field and the fix and exits
with status 2, having written nothing.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import click
from rich.markup import escape

from generator import __version__
from generator.cli.console import InputError, err_console, load_or_exit, out_console, table
from generator.cli.database import db
from generator.cli.deploy import deploy
from generator.cli.jobs import check, new_job, run
from generator.cli.stack import apply, plan, verify
from generator.config.catalog import ETL_MIN_PYTHON, GLUE_RELEASES, version_key
from generator.config.certificates import ca_certificate_warning
from generator.config.loader import default_config_dir
from generator.config.schema import GlueprintConfig
from generator.rendering.package import ARCHIVE_NAME, etl_archive
from generator.rendering.render import render, resource_counts
from generator.rendering.writer import HandEditedError, write_files, write_tree

SCHEMA_FILE = "glueprint.schema.json"
REQUIREMENTS_FILE = "requirements-test.txt"


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="glueprint")
def cli() -> None:
    """Secure AWS Glue ETL inside a VPC: generate, verify and run."""


@cli.command()
@click.option(
    "--config",
    "-c",
    "config",
    type=click.Path(path_type=Path),
    help="glueprint.yaml to render (default: the built-in seed architecture).",
)
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("stack"),
    show_default=True,
    help="Directory for the Terraform root module.",
)
@click.option("--force", is_flag=True, help="Overwrite generated files that were edited by hand.")
def generate(config: Path | None, out: Path, force: bool) -> None:
    """Render the Terraform stack for a config."""
    loaded = load_or_exit(config)
    rendered = render(loaded)
    try:
        result = write_tree(out, rendered.files, force=force)
    except HandEditedError as exc:
        for diff in exc.diffs.values():
            err_console.print(diff, highlight=False, markup=False, soft_wrap=True)
        raise InputError(
            f"{len(exc.diffs)} generated file(s) in {out} were edited by hand: "
            f"{', '.join(exc.diffs)}; nothing was written (the diffs above show the edits).\n"
            "  fix: move the change into glueprint.yaml, or pass --force to overwrite it"
        ) from None
    except OSError as exc:
        raise InputError(
            f"{out}: cannot write ({exc.strerror}); nothing was changed.\n"
            "  fix: choose a writable --out directory"
        ) from None

    counts = resource_counts(rendered.files, rendered.modules)
    modules = table(
        escape(f"{loaded.config.project}: Terraform modules in {out}"),
        ("module", "resource blocks"),
        right=("resource blocks",),
    )
    for module, count in counts.items():
        modules.add_row(escape(module), str(count))
    out_console.print(modules)

    endpoints = table(
        "Interface endpoints (S3 is always a free gateway endpoint)", ("service", "why")
    )
    for endpoint in loaded.layout.endpoints:
        endpoints.add_row(escape(endpoint.service), escape("; ".join(endpoint.reasons)))
    if not loaded.layout.endpoints:
        endpoints.add_row("-", "no job calls an AWS API other than S3")
    out_console.print(endpoints)
    warnings = list(loaded.layout.warnings)
    ca_warning = ca_certificate_warning(loaded.config)
    if ca_warning is not None:
        warnings.append(ca_warning)
    if loaded.config.state is None:
        warnings.append(
            f"no `state:` section: Terraform keeps the state in {out}/terraform.tfstate, a local "
            "file that is neither locked nor shared and holds every resource's attributes; add "
            "`state: {bucket: EXISTING-BUCKET, key: PATH/terraform.tfstate}` for an encrypted, "
            "locked S3 backend"
        )
    for warning in warnings:
        err_console.print(f"[yellow]warning:[/] {escape(warning)}", highlight=False, soft_wrap=True)
    out_console.print(
        escape(
            f"{len(result.written)} file(s) written, {len(result.unchanged)} unchanged, "
            f"{len(result.removed)} removed. Next: cd {out} && terraform init && terraform plan"
        ),
        highlight=False,
        soft_wrap=True,
    )


@cli.command()
@click.argument("directory", type=click.Path(path_type=Path, file_okay=False), default=Path("."))
@click.option("--force", is_flag=True, help="Overwrite existing starter files.")
def init(directory: Path, force: bool) -> None:
    """Write a starter glueprint.yaml (commented), its JSON Schema, an example job and its test,
    and requirements-test.txt pinning the pyspark of the jobs' Glue version."""
    source = default_config_dir()
    starter = ("glueprint.yaml", "jobs/my_glue_job.py", "tests/test_my_glue_job.py")
    targets = {directory / name: (source / name).read_text(encoding="utf-8") for name in starter}
    targets[directory / SCHEMA_FILE] = schema_text()
    config = load_or_exit(None).config  # the glueprint.yaml written here is the built-in default
    targets[directory / REQUIREMENTS_FILE] = local_test_requirements(config)
    existing = [p for p in targets if p.exists() and p.name != SCHEMA_FILE]
    if existing and not force:
        raise InputError(
            f"{existing[0]} already exists; nothing was written.\n"
            "  fix: pass --force to overwrite, or choose another directory"
        )
    files: dict[str, str | bytes] = {
        p.relative_to(directory).as_posix(): text for p, text in targets.items()
    }
    try:
        write_files(directory, files)
    except OSError as exc:
        raise InputError(
            f"{directory}: cannot write ({exc.strerror}).\n  fix: choose a writable directory"
        ) from None
    out_console.print(
        f"Wrote {directory / 'glueprint.yaml'}; render it with "
        f"`glueprint generate --config {directory / 'glueprint.yaml'}`.",
        highlight=False,
        markup=False,
    )
    glue = tested_glue_version(config)
    out_console.print(
        f"Local tests: in a Python {GLUE_RELEASES[glue].python} virtualenv, `pip install -r "
        f"{directory / REQUIREMENTS_FILE}` (the pyspark of Glue {glue}, which the jobs run on).",
        highlight=False,
        markup=False,
        soft_wrap=True,
    )


def _spark_glue_versions(config: GlueprintConfig) -> list[str]:
    """The Glue versions of the config's Spark jobs (the ones etl runs in), oldest first."""
    return sorted(
        {job.glue_version for job in config.jobs if job.is_spark},
        key=version_key,
    )


def tested_glue_version(config: GlueprintConfig) -> str:
    """The Glue version whose pyspark local tests run: the newest among the Spark jobs."""
    versions = _spark_glue_versions(config)
    if not versions:
        raise InputError(
            "the config has no Spark job, so there is no pyspark to pin; nothing was written.\n"
            "  fix: add a glueetl job"
        )
    glue = versions[-1]
    release = GLUE_RELEASES[glue]
    if not release.supports_etl:
        raise InputError(
            f"Glue {glue} runs Python {release.python}, and the etl library needs Python "
            f"{ETL_MIN_PYTHON} or later; nothing was written.\n"
            '  fix: set the jobs\' glue_version to "4.0" or later'
        )
    return glue


def local_test_requirements(config: GlueprintConfig) -> str:
    """requirements-test.txt: the pyspark of the jobs' Glue version, so local tests run the
    Spark that production runs, with pytest and chispa. Jobs on several Glue versions get the
    newest, and the header says so."""
    glue = tested_glue_version(config)
    release = GLUE_RELEASES[glue]
    versions = _spark_glue_versions(config)
    several = [f"# The Spark jobs use Glue {', '.join(versions)}: this pins the newest."]
    lines = [
        f"# Local test dependencies, written by `glueprint init` (glueprint {__version__}). They",
        f"# match AWS Glue {glue} (Spark {release.spark}, Python {release.python}), so the tests "
        "run the Spark the jobs run on.",
        *(several if len(versions) > 1 else []),
        f"# In a Python {release.python} virtualenv: pip install -r {REQUIREMENTS_FILE}, plus",
        f"# glueprint {__version__} from where you installed it (its etl is the zip the stack",
        "# ships). glueprint is not listed here: a name resolved from an index could be anyone's.",
        release.pyspark,
        "pytest>=8",
        "chispa>=0.10",
    ]
    return "\n".join(lines) + "\n"


def schema_text() -> str:
    """The config's JSON Schema, for editors (yaml-language-server) and CI checks."""
    schema = GlueprintConfig.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


@cli.command()
@click.option(
    "--out",
    "-o",
    type=click.Path(path_type=Path, file_okay=False),
    default=Path("dist"),
    show_default=True,
    help="Directory for the archive.",
)
def package(out: Path) -> None:
    """Build the etl library zip that Glue loads with --extra-py-files.

    `glueprint generate` already ships it with every stack; use this to deploy it yourself.
    """
    archive = etl_archive()
    try:
        write_files(out, {ARCHIVE_NAME: archive})
    except OSError as exc:
        raise InputError(
            f"{out}: cannot write ({exc.strerror}).\n  fix: choose a writable --out directory"
        ) from None
    digest = hashlib.sha256(archive).hexdigest()[:12]
    out_console.print(
        f"{out / ARCHIVE_NAME}: {len(archive)} bytes, sha256 {digest}; "
        "upload it to S3 and pass its URI as --extra-py-files",
        highlight=False,
        markup=False,
    )


@cli.command()
def schema() -> None:
    """Print the JSON Schema of glueprint.yaml."""
    sys.stdout.write(schema_text())


for command in (verify, plan, apply, deploy, new_job, run, check, db):
    cli.add_command(command)


def main() -> None:
    """Console entry point."""
    cli()
