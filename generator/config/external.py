"""Databases the stack does not own: another RDS or Aurora, or any database reached from the Glue
subnets through peering or a transit gateway the user manages, declared on a JDBC connection as
`external:`.

The stack creates nothing for such a database but what Glue needs to reach it: the connection
(its URL built here, its credentials named by secret ARN), egress from the Glue security group
to exactly that database's port and CIDR or security group, and the job role's read of its
secret. What makes a destination CIDR acceptable is judged here once, for the config rules
(`generate`) and for `verify` (the planned stack, hand edits included).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Annotated, Any, Literal, get_args

from pydantic import AfterValidator, BaseModel, Field, StringConstraints, model_validator

from generator.config.strict import STRICT


@dataclass(frozen=True)
class ExternalEngine:
    """How Glue's built-in JDBC driver for an engine is addressed."""

    url: str
    """JDBC URL with `{host}`, `{port}` and `{database}` (the database or Oracle service name)."""
    default_port: int


_POSTGRESQL = ExternalEngine("jdbc:postgresql://{host}:{port}/{database}", 5432)
_MYSQL = ExternalEngine("jdbc:mysql://{host}:{port}/{database}", 3306)
EXTERNAL_ENGINES: dict[str, ExternalEngine] = {
    "postgres": _POSTGRESQL,
    "aurora-postgresql": _POSTGRESQL,
    "mysql": _MYSQL,
    "aurora-mysql": _MYSQL,
    # Glue ships MySQL's driver, not MariaDB's; it speaks MariaDB's protocol.
    "mariadb": _MYSQL,
    "redshift": ExternalEngine("jdbc:redshift://{host}:{port}/{database}", 5439),
    "sqlserver": ExternalEngine("jdbc:sqlserver://{host}:{port};databaseName={database}", 1433),
    "oracle": ExternalEngine("jdbc:oracle:thin:@//{host}:{port}/{database}", 1521),
}
"""The engines whose JDBC drivers Glue provides (AWS Glue developer guide, "JDBC connections")."""
ExternalEngineName = Literal[
    "postgres",
    "aurora-postgresql",
    "mysql",
    "aurora-mysql",
    "mariadb",
    "redshift",
    "sqlserver",
    "oracle",
]
assert set(EXTERNAL_ENGINES) == set(get_args(ExternalEngineName))  # keep table and model in step

PRIVATE_RANGES = tuple(
    IPv4Network(cidr) for cidr in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")
)
"""Where a database reached from the Glue subnets lives: RFC 1918, and RFC 6598 (shared address
space, which AWS accepts as a VPC range)."""
WIDEST_PREFIX = 16
"""A VPC is at most a /16, so no database's subnets need a wider range."""
SECURITY_GROUP_ID = r"^sg-([0-9a-f]{8}|[0-9a-f]{17})$"

Host = Annotated[
    str,
    StringConstraints(
        max_length=253,
        pattern=r"^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
        r"(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$",
    ),
    Field(
        description="The database's DNS name (e.g. the RDS endpoint) or IPv4 address: no "
        "scheme, port or path."
    ),
]
DatabaseName = Annotated[
    str,
    StringConstraints(pattern=r"^[A-Za-z0-9_][A-Za-z0-9_$.-]{0,127}$"),
    Field(
        description="Name of the database (Oracle: the service name): letters, digits, "
        "'_', '$', '.' and '-' (no ';', '?' or '/', which would add URL parameters)."
    ),
]
SECRET_ARN = re.compile(
    r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}"
)
KMS_KEY_ARN = re.compile(r"arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]{1,64}")


def _secret_arn(arn: str) -> str:
    if not SECRET_ARN.fullmatch(arn):
        raise ValueError(
            "not the full ARN of a Secrets Manager secret: "
            "arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-XXXXXX, with the 6 characters "
            "Secrets Manager adds to the name (IAM matches the whole ARN)"
        )
    return arn


def _kms_key_arn(arn: str) -> str:
    if ":alias/" in arn:
        raise ValueError("an alias ARN: IAM grants kms:Decrypt on key ARNs, not aliases")
    if not KMS_KEY_ARN.fullmatch(arn):
        raise ValueError("not a KMS key ARN: arn:aws:kms:REGION:ACCOUNT:key/KEY-ID")
    return arn


SecretArn = Annotated[
    str,
    AfterValidator(_secret_arn),
    Field(
        description="Full ARN of the existing Secrets Manager secret (JSON with username and "
        "password), with the 6-character suffix Secrets Manager adds to the name "
        "(`aws secretsmanager describe-secret` shows it): the job role is granted exactly it."
    ),
]
KmsKeyArn = Annotated[str, AfterValidator(_kms_key_arn)]
SecurityGroupId = Annotated[str, StringConstraints(pattern=SECURITY_GROUP_ID)]
CREDENTIAL_KEYS = ("password", "username", "user")


class ExternalDatabaseConfig(BaseModel):
    """A database the stack does not own, reached from the Glue subnets."""

    model_config = STRICT

    engine: ExternalEngineName
    """Database engine; it picks Glue's JDBC driver and the URL form."""
    host: Host
    port: Annotated[int, Field(ge=1024, le=65535)] = 0
    """Port the database listens on; default per engine (5432 PostgreSQL, 3306 MySQL and
    MariaDB, 5439 Redshift, 1433 SQL Server, 1521 Oracle)."""
    database: DatabaseName
    secret_arn: SecretArn
    kms_key_arn: KmsKeyArn | None = None
    """ARN of the customer managed KMS key encrypting the secret (its KmsKeyId in
    `aws secretsmanager describe-secret`, as arn:...:key/ID); omit it for an AWS managed key."""
    cidr: IPv4Network | None = None
    """The database's subnets (e.g. 10.20.0.0/24): Glue may reach the port there and nowhere
    else. Give this or security_group_id."""
    security_group_id: SecurityGroupId | None = None
    """The database's security group (sg- and 8 or 17 hex digits), in this or a peered VPC, as
    the destination of Glue's egress rule. Give this or cidr."""

    @model_validator(mode="before")
    @classmethod
    def _defaults_and_no_credentials(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        given = [key for key in CREDENTIAL_KEYS if key in data]
        if given:
            raise ValueError(
                f"{' and '.join(given)}: credentials never go in glueprint.yaml (Terraform "
                "state and Glue would keep them); keep username and password in a Secrets "
                "Manager secret and give its ARN as secret_arn"
            )
        engine = EXTERNAL_ENGINES.get(data.get("engine", ""))
        if engine is None:
            return data
        return {"port": engine.default_port, **data}

    @property
    def jdbc_url(self) -> str:
        """The connection's JDBC_CONNECTION_URL."""
        return EXTERNAL_ENGINES[self.engine].url.format(
            host=self.host, port=self.port, database=self.database
        )

    @property
    def destination(self) -> str:
        """What Glue's egress rule admits: the CIDR or the security group."""
        return str(self.cidr) if self.cidr is not None else str(self.security_group_id)


def cidr_problem(cidr: IPv4Network) -> str | None:
    """Why egress to `cidr` would reach more than one database's subnets, or None."""
    if not any(cidr.subnet_of(private) for private in PRIVATE_RANGES):
        return (
            f"{cidr} is not a private range (10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 "
            "or 100.64.0.0/10)"
        )
    if cidr.prefixlen < WIDEST_PREFIX:
        return (
            f"{cidr} is wider than /{WIDEST_PREFIX}, the largest VPC, so wider than any "
            "database's subnets"
        )
    return None


def arn_region(arn: str) -> str:
    """The region field of an ARN."""
    return arn.split(":")[3]


@dataclass(frozen=True)
class ExternalEgress:
    """One egress rule of the Glue security group towards external databases."""

    port: int
    cidr: str | None
    security_group_id: str | None
    description: str


def external_egress(databases: Iterable[ExternalDatabaseConfig]) -> dict[str, ExternalEgress]:
    """One rule per distinct destination and port, keyed `DESTINATION:PORT`: AWS refuses a
    duplicate rule, and two connections to one database (two schemas, say) need only one."""
    hosts: dict[tuple[str, int], set[str]] = {}
    found: dict[tuple[str, int], ExternalDatabaseConfig] = {}
    for db in databases:
        hosts.setdefault((db.destination, db.port), set()).add(db.host)
        found.setdefault((db.destination, db.port), db)
    rules = {}
    for (destination, port), db in sorted(found.items()):
        named = hosts[(destination, port)]
        # Host names use only characters AWS allows in a rule description; connection names
        # (any Glue name) may not.
        description = f"JDBC to {', '.join(sorted(named))}"
        if len(description) > 255:
            description = f"JDBC to {len(named)} external databases"
        rules[f"{destination}:{port}"] = ExternalEgress(
            port=port,
            cidr=str(db.cidr) if db.cidr is not None else None,
            security_group_id=db.security_group_id,
            description=description,
        )
    return rules
