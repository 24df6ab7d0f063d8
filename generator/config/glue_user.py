"""`database.glue_user`: the database user the Glue connections log in as, instead of the
RDS master user, and what it may touch.

The stack creates its secret (a random password written once, never in Terraform state);
`glueprint db bootstrap` creates the user in the database from that secret and grants it these
schemas. Reading is the default; writing rows is granted only where listed; DDL never.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from generator.config.strict import STRICT

RESERVED_SCHEMAS = frozenset({"information_schema", "mysql", "performance_schema", "sys"})


def _not_a_system_schema(name: str) -> str:
    if name.lower() in RESERVED_SCHEMAS or name.lower().startswith("pg_"):
        raise ValueError(
            f"{name!r} is a system schema (pg_*, information_schema, mysql, performance_schema, "
            "sys); list only schemas holding the jobs' tables"
        )
    return name


SchemaName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_$]{0,62}$"),
    AfterValidator(_not_a_system_schema),
]


def _not_reserved_user(name: str) -> str:
    if name.lower().startswith("pg_") or name.lower() in {"admin", "root", "postgres", "rdsadmin"}:
        raise ValueError(f"{name!r} is reserved by PostgreSQL or RDS; choose another name")
    return name


class GlueUserConfig(BaseModel):
    """The Glue jobs' own database user (not the master user): read-only unless told."""

    model_config = STRICT

    name: Annotated[
        str,
        StringConstraints(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,31}$"),
        AfterValidator(_not_reserved_user),
    ] = "glueprint_jobs"
    """User name the JDBC connections log in as; must differ from `master_username`."""
    read_schemas: list[SchemaName] | None = Field(default=None, min_length=1)
    """Schemas the jobs read (USAGE and SELECT, also on tables added later by the master user).
    Default: `public` on PostgreSQL engines; the database itself on MySQL engines, where a
    schema is a database (the connection's database is always readable there)."""
    write_schemas: list[SchemaName] = []
    """Schemas where jobs may also INSERT, UPDATE and DELETE rows (never create, alter or drop
    tables). Default: none."""
    password_version: Annotated[int, Field(ge=1)] = 1
    """Raise it to rotate the password: the next apply writes a new random password into the
    user's secret; then run `glueprint db bootstrap` to set it in the database."""
