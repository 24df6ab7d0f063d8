"""The SQL that makes the Glue jobs' database user, per engine family, quoted in one place.

Everything the bootstrap sends to the server is built here from plain values, so the quoting
rules live in one module: identifiers are always quoted (a schema named `order` or `Sales`
stays itself), and string literals are quoted for the session settings the runner fixes first
(`standard_conforming_strings = on` on PostgreSQL, `sql_mode = 'NO_BACKSLASH_ESCAPES'` on MySQL),
so doubling the quote is the whole escaping rule on both.

PostgreSQL never receives the password itself: the role gets a SCRAM-SHA-256 verifier computed
here (as psql's `\\password` does), because the stack's parameter group logs DDL
(`log_statement = ddl`) to CloudWatch and `ALTER ROLE ... PASSWORD '...'` is DDL. MySQL rewrites
the password out of `CREATE USER`/`ALTER USER` before logging them.

Grants converge: each run first removes what the user holds, then grants exactly the configured
schemas, so a schema dropped from the config loses its grants on the next run. On PostgreSQL the
runner does it in one transaction, so a running job never sees the user without its grants.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass, field
from typing import Literal

Family = Literal["postgresql", "mysql"]
"""The engine families: `postgres` and `aurora-postgresql`, `mysql` and `aurora-mysql`."""

SCRAM_ITERATIONS = 4096
"""PostgreSQL's own default (`scram_iterations`), which every supported version accepts."""

POSTGRES_SESSION = "SET standard_conforming_strings = on"
MYSQL_SESSION = "SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'"

POSTGRES_ROLE_EXISTS = "SELECT count(*) FROM pg_roles WHERE rolname = %s"
POSTGRES_SCHEMAS = (
    "SELECT nspname FROM pg_namespace "
    "WHERE nspname !~ '^pg_' AND nspname <> 'information_schema' ORDER BY nspname"
)
"""Every user schema (the catalogs `pg_*` and `information_schema` are never granted)."""
MYSQL_USER_EXISTS = "SELECT count(*) FROM mysql.user WHERE User = %s AND Host = '%%'"
MYSQL_SCHEMAS = (
    "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME NOT IN "
    "('information_schema', 'mysql', 'performance_schema', 'sys') ORDER BY SCHEMA_NAME"
)


@dataclass(frozen=True)
class GlueUserGrants:
    """What the Glue user may do: connect to `database`, read `read_schemas`, and also insert,
    update and delete rows (never DDL) in `write_schemas`. On MySQL a schema is a database."""

    database: str
    user: str
    read_schemas: tuple[str, ...]
    write_schemas: tuple[str, ...] = ()

    @property
    def schemas(self) -> tuple[str, ...]:
        """Every schema the user gets into, each once, in order (writing implies reading)."""
        return tuple(dict.fromkeys((*self.read_schemas, *self.write_schemas)))


@dataclass(frozen=True)
class Statement:
    """One statement and how to show it: `shown` never contains the password."""

    sql: str = field(repr=False)
    shown: str


def quote_identifier(family: Family, name: str) -> str:
    """`name` as a quoted identifier: `"a""b"` on PostgreSQL, `` `a``b` `` on MySQL."""
    if not name or "\x00" in name:
        raise ValueError(f"identifier {name!r} is empty or contains NUL")
    mark = '"' if family == "postgresql" else "`"
    return mark + name.replace(mark, mark * 2) + mark


def quote_literal(value: str) -> str:
    """`value` as a string literal under the session settings the runner fixes first."""
    if "\x00" in value:
        raise ValueError("the Glue user's password contains NUL, which no SQL literal can hold")
    return "'" + value.replace("'", "''") + "'"


def scram_verifier(password: str, *, salt: bytes | None = None) -> str:
    """The SCRAM-SHA-256 verifier PostgreSQL stores for `password` (RFC 5802/7677), which
    `CREATE ROLE ... PASSWORD` accepts as is. The password must be printable ASCII, for which
    SASLprep, the normalisation PostgreSQL applies at login, changes nothing."""
    if not password or not all(" " <= ch <= "~" for ch in password):
        raise ValueError("the Glue user's password must be non-empty printable ASCII")
    salt = salt if salt is not None else secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, SCRAM_ITERATIONS)
    client_key = hmac.digest(salted, b"Client Key", "sha256")
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.digest(salted, b"Server Key", "sha256")

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def postgres_statements(
    grants: GlueUserGrants, verifier: str, *, role_exists: bool, existing_schemas: list[str]
) -> list[Statement]:
    """The role with the verifier as its password and no attributes beyond LOGIN, CONNECT on
    the database, and exactly the configured grants; `existing_schemas` are stripped first."""

    def q(name: str) -> str:
        return quote_identifier("postgresql", name)

    user, database = q(grants.user), q(grants.database)
    verb = "ALTER ROLE" if role_exists else "CREATE ROLE"
    out = [
        Statement(
            f"{verb} {user} WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD {quote_literal(verifier)}",
            f"{verb} {user} WITH LOGIN NOCREATEDB NOCREATEROLE PASSWORD '<SCRAM verifier>'",
        )
    ]
    sql = [f"GRANT CONNECT ON DATABASE {database} TO {user}"]
    if "public" in existing_schemas:
        # PostgreSQL 15 made this the default; older clusters let every role create in public.
        sql.append("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    for schema in existing_schemas:
        s = q(schema)
        sql += [
            f"REVOKE ALL ON ALL TABLES IN SCHEMA {s} FROM {user}",
            f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {s} FROM {user}",
            f"REVOKE ALL ON SCHEMA {s} FROM {user}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} REVOKE ALL ON TABLES FROM {user}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} REVOKE ALL ON SEQUENCES FROM {user}",
        ]
    for schema in grants.schemas:
        s = q(schema)
        rights = "SELECT, INSERT, UPDATE, DELETE" if schema in grants.write_schemas else "SELECT"
        sql += [
            f"GRANT USAGE ON SCHEMA {s} TO {user}",
            f"GRANT {rights} ON ALL TABLES IN SCHEMA {s} TO {user}",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT {rights} ON TABLES TO {user}",
        ]
        if schema in grants.write_schemas:  # inserts draw serial and identity values
            sql += [
                f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {s} TO {user}",
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {s} GRANT USAGE ON SEQUENCES TO {user}",
            ]
    return out + [Statement(text, text) for text in sql]


def mysql_statements(grants: GlueUserGrants, password: str) -> list[Statement]:
    """The user (any host: the security group is what admits Glue) with the password, every
    privilege it held revoked, then SELECT, or SELECT and row writes, on the connection's
    database and each configured schema (a MySQL schema is a database)."""
    user = f"{quote_literal(grants.user)}@'%'"
    secret = f"IDENTIFIED BY {quote_literal(password)}"
    shown = "IDENTIFIED BY '<password>'"
    out = [
        Statement(f"{verb} {user} {secret}", f"{verb} {user} {shown}")
        for verb in ("CREATE USER IF NOT EXISTS", "ALTER USER")
    ]
    sql = [f"REVOKE ALL PRIVILEGES, GRANT OPTION FROM {user}"]
    # The connection's JDBC URL names `database`: MySQL refuses the login without a grant on it.
    for schema in dict.fromkeys((grants.database, *grants.schemas)):
        rights = "SELECT, INSERT, UPDATE, DELETE" if schema in grants.write_schemas else "SELECT"
        sql.append(f"GRANT {rights} ON {quote_identifier('mysql', schema)}.* TO {user}")
    return out + [Statement(text, text) for text in sql]
