"""`glueprint db bootstrap`: create or update the Glue jobs' own database user after an apply.

The stack makes the user's secret; this command makes the user: it reads the master secret and
the Glue user's secret from Secrets Manager, connects to the database as the master user over
TLS, and runs the SQL of generator.database. Neither password is printed.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import click
from rich.markup import escape

from generator.cli.console import CommandError, InputError, load_or_exit, out_console, table
from generator.cli.deploy import applied_stack_options, read_outputs
from generator.config.certificates import ca_certificate_upload
from generator.config.loader import LoadedConfig
from generator.database.bootstrap import (
    BootstrapError,
    bootstrap,
    connect,
    grants_for,
    read_secret,
)
from generator.shipping import aws

OUTPUTS = ("db_address", "db_port", "db_secret_arn", "db_glue_user_secret_arn")
"""The stack outputs the bootstrap reads: where the database is, and both secrets."""


class BootstrapFailedError(CommandError):
    """The database or AWS refused; exit status 1, with what to do."""

    exit_code = 1


@click.group("db")
def db() -> None:
    """The stack's database: the Glue jobs' own user."""


@db.command("bootstrap")
@click.option(
    "--config",
    "-c",
    "config",
    type=click.Path(path_type=Path),
    help="glueprint.yaml with the database: section (default: the built-in seed architecture).",
)
@applied_stack_options("the database and its secrets")
@click.option("--host", help="Connect here instead of the stack's db_address (e.g. a tunnel).")
@click.option("--port", type=int, help="Connect on this port instead of the stack's db_port.")
@click.option(
    "--ca-bundle",
    type=click.Path(path_type=Path, dir_okay=False, exists=True),
    help="PEM file of the CA to verify the server with; default: the config's "
    "database.ca_certificate (the CA the jobs verify it with), else the system's trust store.",
)
def bootstrap_command(
    *,
    config: Path | None,
    stack: Path,
    outputs_file: Path | None,
    host: str | None,
    port: int | None,
    ca_bundle: Path | None,
) -> None:
    """Create or update the Glue jobs' database user and its grants (run after each apply that
    changes database.glue_user, and after raising its password_version)."""
    loaded = load_or_exit(config)
    database = loaded.config.database
    if database is None:
        raise InputError(
            "the config has no database: section, so the stack has no database user to make.\n"
            "  fix: pass --config with the glueprint.yaml the stack was generated from"
        )
    outputs = read_outputs(stack, outputs_file)
    missing = [name for name in OUTPUTS if name not in outputs]
    if missing:
        raise InputError(
            f"the stack's outputs lack {', '.join(missing)}.\n"
            "  fix: regenerate the stack with this glueprint and apply it first"
        )
    family, grants = grants_for(database)
    secrets = aws.client("secretsmanager", loaded.config.region)
    try:
        master = read_secret(secrets, outputs["db_secret_arn"])
        glue = read_secret(secrets, outputs["db_glue_user_secret_arn"])
        if glue.username != grants.user:
            raise BootstrapError(
                f"the Glue user's secret names user {glue.username!r}, the config "
                f"database.glue_user.name {grants.user!r}.\n"
                "  fix: regenerate and apply the stack from this config, then run this again"
            )
        connection = connect(
            family,
            host=host or outputs["db_address"],
            port=port or int(outputs["db_port"]),
            database=grants.database,
            credentials=master,
            ssl_context=ssl.create_default_context(cafile=ca_bundle or _config_ca(loaded)),
        )
        try:
            outcome = bootstrap(connection, family, grants, glue.password)
        finally:
            connection.close()
    except BootstrapError as exc:
        raise BootstrapFailedError(str(exc)) from None
    done = table(
        escape(f"{'Created' if outcome.created else 'Updated'} database user {grants.user}"),
        ("statement",),
    )
    for statement in outcome.statements:
        done.add_row(escape(statement))
    out_console.print(done)
    writes = ", ".join(grants.write_schemas)
    writes = f" and writes rows in {writes}" if writes else ""
    out_console.print(
        escape(
            f"{grants.user} reads {', '.join(grants.schemas)}{writes}; its password is the "
            "current value of its secret."
        ),
        highlight=False,
        soft_wrap=True,
    )


def _config_ca(loaded: LoadedConfig) -> Path | None:
    """The CA file `database.ca_certificate` names, which the stack gives the jobs."""
    upload = ca_certificate_upload(loaded.config, loaded.base_dir)
    return upload[1] if upload else None
