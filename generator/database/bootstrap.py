"""The one-off bootstrap of the Glue jobs' database user: connect as the RDS master user, make
the Glue user with the password its secret holds, and grant it exactly the configured schemas.

Both secrets are read at run time and their values go only to the database: errors, results and
the statements shown carry neither password (a server message that echoes a statement is
redacted before it is raised). Running it again gives the same user and grants, and sets the
password to the secret's current value, which is how a rotated secret reaches the database.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from generator.config.catalog import ENGINES
from generator.config.schema import DatabaseConfig
from generator.database.bootstrap_sql import (
    MYSQL_SCHEMAS,
    MYSQL_SESSION,
    MYSQL_USER_EXISTS,
    POSTGRES_ROLE_EXISTS,
    POSTGRES_SCHEMAS,
    POSTGRES_SESSION,
    Family,
    GlueUserGrants,
    Statement,
    mysql_statements,
    postgres_statements,
    scram_verifier,
)

CONNECT_TIMEOUT_SECONDS = 15
DRIVER_HINT = "pip install 'glueprint[db]' (pg8000 for PostgreSQL, PyMySQL for MySQL)"


class BootstrapError(Exception):
    """The bootstrap cannot go on; the message says what is wrong and what to do, and never
    holds a password."""


@dataclass(frozen=True)
class Credentials:
    """A user name and password as Glue and RDS keep them in a secret (JSON `username`,
    `password`)."""

    username: str
    password: str = field(repr=False)


@dataclass(frozen=True)
class Outcome:
    """What a run did: whether the user was new, and the statements run (as shown)."""

    created: bool
    statements: tuple[str, ...]


def credentials_from_secret(secret_string: str, secret_id: str) -> Credentials:
    """The `username` and `password` of a secret's JSON; errors name the secret and the key."""
    try:
        data = json.loads(secret_string)
    except json.JSONDecodeError:
        data = None
    if not isinstance(data, dict):
        raise BootstrapError(
            f"secret {secret_id} does not hold a JSON object; Glue and RDS expect "
            '{"username": ..., "password": ...}.\n  fix: put the credentials in that form'
        )
    missing = [k for k in ("username", "password") if not isinstance(data.get(k), str)]
    if missing:
        raise BootstrapError(
            f"secret {secret_id} has no string {' or '.join(repr(k) for k in missing)}.\n"
            '  fix: store {"username": ..., "password": ...} in it'
        )
    return Credentials(data["username"], data["password"])


def read_secret(secrets_client: Any, secret_id: str) -> Credentials:
    """The credentials in a Secrets Manager secret's current version."""
    try:
        value = secrets_client.get_secret_value(SecretId=secret_id)
    except Exception as exc:  # botocore's ClientError and connection errors alike
        raise BootstrapError(
            f"cannot read secret {secret_id}: {exc}.\n  fix: run with credentials that may "
            "call secretsmanager:GetSecretValue on it and kms:Decrypt on the stack's key"
        ) from None
    return credentials_from_secret(value["SecretString"], secret_id)


def connect(
    family: Family,
    *,
    host: str,
    port: int,
    database: str,
    credentials: Credentials,
    ssl_context: ssl.SSLContext | None,
) -> Any:
    """A DB-API connection as `credentials` (TLS when `ssl_context` is given; RDS requires it)."""
    try:
        if family == "postgresql":
            import pg8000.dbapi

            return pg8000.dbapi.connect(
                user=credentials.username,
                password=credentials.password,
                host=host,
                port=port,
                database=database,
                ssl_context=ssl_context,
                timeout=CONNECT_TIMEOUT_SECONDS,
            )
        import pymysql

        return pymysql.connect(
            user=credentials.username,
            password=credentials.password,
            host=host,
            port=port,
            database=database,
            ssl=ssl_context,
            connect_timeout=CONNECT_TIMEOUT_SECONDS,
            autocommit=True,
        )
    except ImportError:
        raise BootstrapError(f"no {family} driver is installed.\n  fix: {DRIVER_HINT}") from None
    except Exception as exc:
        message = str(exc).replace(credentials.password, "<password>")
        raise BootstrapError(
            f"cannot connect to {host}:{port}/{database} as {credentials.username}: {message}.\n"
            "  fix: the database admits only the Glue security group, so run the bootstrap "
            "from inside it (README, 'The Glue database user'); for TLS errors set "
            "database.ca_certificate or pass --ca-bundle"
        ) from None


def bootstrap(
    connection: Any, family: Family, grants: GlueUserGrants, glue_password: str
) -> Outcome:
    """Create or update the Glue user on a connection opened as the master user and grant it
    exactly `grants`; on PostgreSQL all of it commits at once or not at all."""
    try:
        return _bootstrap(connection, family, grants, glue_password)
    except ValueError as exc:  # a password or name the SQL cannot carry
        raise BootstrapError(
            f"{exc}.\n  fix: raise database.glue_user.password_version and apply, so the "
            "secret gets a generated password, then run this again"
        ) from None


def _bootstrap(
    connection: Any, family: Family, grants: GlueUserGrants, glue_password: str
) -> Outcome:
    cursor = connection.cursor()
    redact = [glue_password]
    if family == "postgresql":
        _run(cursor, POSTGRES_SESSION, redact)
        created = not _rows(cursor, POSTGRES_ROLE_EXISTS, (grants.user,))[0][0]
        schemas = [row[0] for row in _rows(cursor, POSTGRES_SCHEMAS, None)]
        _require_schemas(grants, schemas)
        verifier = scram_verifier(glue_password)
        redact.append(verifier)
        statements = postgres_statements(
            grants, verifier, role_exists=not created, existing_schemas=schemas
        )
    else:
        _run(cursor, MYSQL_SESSION, redact)
        schemas = [row[0] for row in _rows(cursor, MYSQL_SCHEMAS, None)]
        _require_schemas(grants, schemas)
        created = not _rows(cursor, MYSQL_USER_EXISTS, (grants.user,))[0][0]
        statements = mysql_statements(grants, glue_password)
    try:
        for statement in statements:
            _run(cursor, statement, redact)
        connection.commit()
    except BootstrapError:
        connection.rollback()
        raise
    return Outcome(created, tuple(s.shown for s in statements))


def _require_schemas(grants: GlueUserGrants, existing: Sequence[str]) -> None:
    missing = [s for s in grants.schemas if s not in existing]
    if missing:
        raise BootstrapError(
            f"database.glue_user: schema(s) {', '.join(missing)} do not exist in database "
            f"{grants.database} (it has: {', '.join(existing) or 'none'}).\n"
            "  fix: create them first, or remove them from read_schemas/write_schemas"
        )


def _run(cursor: Any, statement: Statement | str, redact: list[str]) -> None:
    sql, shown = (
        (statement.sql, statement.shown) if isinstance(statement, Statement) else (statement,) * 2
    )
    try:
        cursor.execute(sql)
    except Exception as exc:
        message = str(exc)
        for value in redact:
            message = message.replace(value, "<redacted>")
        raise BootstrapError(f"{shown}: {message}") from None


def _rows(cursor: Any, sql: str, params: tuple[str, ...] | None) -> list[tuple[Any, ...]]:
    try:
        cursor.execute(sql, params) if params else cursor.execute(sql)
    except Exception as exc:
        raise BootstrapError(f"{sql}: {exc}") from None
    return [tuple(row) for row in cursor.fetchall()]


def grants_for(database: DatabaseConfig) -> tuple[Family, GlueUserGrants]:
    """The engine family and the Glue user's grants the config asks for."""
    postgres = ENGINES[database.engine].jdbc_scheme == "postgresql"
    family: Family = "postgresql" if postgres else "mysql"
    user = database.glue_user
    default = ["public"] if family == "postgresql" else [database.name]
    reads = user.read_schemas if user.read_schemas is not None else default
    return family, GlueUserGrants(database.name, user.name, tuple(reads), tuple(user.write_schemas))
