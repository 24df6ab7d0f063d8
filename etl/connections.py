"""Turning a named Glue connection into a JDBC URL and credentials.

Job code names a connection (``JdbcSource(connection="my-rds-vpc-connection", ...)``), never a
URL or a password.  A resolver, chosen by the runtime, looks the name up:

* :class:`AwsConnectionResolver`: Glue ``GetConnection`` for the URL (it includes the database
  name, unlike ``GlueContext.extract_jdbc_conf``) and ``JDBC_ENFORCE_SSL``; credentials from the
  secret named by ``SECRET_ID`` in Secrets Manager, or the connection's ``USERNAME``/``PASSWORD``.
  Used on Glue and on any other Spark with AWS access.
* :class:`ProfileConnectionResolver` (in :mod:`etl.profile`): a local profile file whose
  credentials come from environment variables.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Protocol

from etl.errors import ConnectionResolutionError
from etl.secrets import quiet_aws_debug_logging, register_secret

# JDBC URL prefix -> (driver class, connection properties that force TLS).
_VENDORS: dict[str, tuple[str, dict[str, str]]] = {
    "postgresql": ("org.postgresql.Driver", {"sslmode": "require"}),
    "mysql": ("com.mysql.cj.jdbc.Driver", {"sslMode": "REQUIRED"}),
    "mariadb": ("org.mariadb.jdbc.Driver", {"sslMode": "trust"}),
    "sqlserver": ("com.microsoft.sqlserver.jdbc.SQLServerDriver", {"encrypt": "true"}),
    "oracle": ("oracle.jdbc.OracleDriver", {}),  # TLS is chosen in the URL (tcps://)
    "redshift": ("com.amazon.redshift.jdbc42.Driver", {"ssl": "true"}),
}


# JDBC URL prefix -> driver properties that make bulk reads fast; a source's `options` override
# them.  PostgreSQL: prepareThreshold=-1 sends rows in binary from the first execution (each
# Spark partition runs its query once, so the default threshold of 5 never switches); parsing
# dates and timestamps as text was ~40 % of the read's JVM time (docs/performance.md).  Behind
# PgBouncer in transaction pooling, set options={"prepareThreshold": "0"}.
READ_DEFAULTS: dict[str, dict[str, str]] = {
    "postgresql": {"prepareThreshold": "-1"},
}


def vendor_of(url: str) -> str:
    """``jdbc:postgresql://h/db`` -> ``postgresql``."""
    parts = url.split(":", 2)
    if len(parts) < 3 or parts[0] != "jdbc":
        raise ConnectionResolutionError(
            f"not a JDBC URL: {url.split('?', maxsplit=1)[0]!r} (expected jdbc:<vendor>://host:port/database)"
        )
    return parts[1]


@dataclasses.dataclass(frozen=True)
class JdbcConnection:
    """A resolved connection.  The password is excluded from ``repr`` so it never reaches logs."""

    name: str
    url: str
    user: str
    password: str = dataclasses.field(repr=False)
    ssl: bool = False

    def __post_init__(self) -> None:
        register_secret(self.password)

    @property
    def vendor(self) -> str:
        return vendor_of(self.url)

    def spark_options(self) -> dict[str, str]:
        """Options for ``spark.read.format("jdbc")``: URL, driver, credentials and TLS settings."""
        driver, tls = _VENDORS.get(self.vendor, ("", {}))
        options = {"url": self.url, "user": self.user, "password": self.password}
        if driver:
            options["driver"] = driver
        if self.ssl:
            if not tls and "tcps" not in self.url.lower():
                raise ConnectionResolutionError(
                    f"connection '{self.name}' enforces TLS but etl does not know how to require "
                    f"it for {self.vendor}; put the TLS settings in the JDBC URL"
                )
            for key, value in tls.items():
                if f"{key.lower()}=" not in self.url.lower():
                    options[key] = value
        return options


class ConnectionResolver(Protocol):
    """Resolves a Glue connection name to a :class:`JdbcConnection`."""

    def resolve(self, name: str) -> JdbcConnection: ...


def _is_true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


class AwsConnectionResolver:
    """Resolve through the Glue Data Catalog and Secrets Manager with boto3.

    In a private VPC this needs interface endpoints for ``glue`` and ``secretsmanager`` and the
    ``glue:GetConnection`` and ``secretsmanager:GetSecretValue`` permissions.
    """

    def __init__(self, session: Any = None) -> None:
        if session is None:
            import boto3

            session = boto3.session.Session()
        self._session = session
        self._cache: dict[str, JdbcConnection] = {}

    def resolve(self, name: str) -> JdbcConnection:
        if name not in self._cache:
            self._cache[name] = self._fetch(name)
        return self._cache[name]

    def _fetch(self, name: str) -> JdbcConnection:
        from botocore.exceptions import ClientError

        glue = self._session.client("glue")
        try:
            with quiet_aws_debug_logging():  # the answer may hold USERNAME/PASSWORD
                found = glue.get_connection(Name=name, HidePassword=False)["Connection"]
        except ClientError as exc:
            raise ConnectionResolutionError(
                f"Glue connection '{name}' could not be read "
                f"({exc.response['Error']['Code']}); check that it exists in region "
                f"{self._session.region_name} and that the role may call glue:GetConnection"
            ) from None
        props: dict[str, str] = found.get("ConnectionProperties", {})
        url = props.get("JDBC_CONNECTION_URL")
        if not url:
            raise ConnectionResolutionError(
                f"Glue connection '{name}' has no JDBC_CONNECTION_URL "
                f"(type {found.get('ConnectionType')}); JdbcSource needs a JDBC connection"
            )
        user, password = self._credentials(name, props)
        return JdbcConnection(
            name=name,
            url=url,
            user=user,
            password=password,
            ssl=_is_true(props.get("JDBC_ENFORCE_SSL")),
        )

    def _credentials(self, name: str, props: dict[str, str]) -> tuple[str, str]:
        secret_id = props.get("SECRET_ID")
        if not secret_id:
            if "USERNAME" in props and "PASSWORD" in props:
                return props["USERNAME"], props["PASSWORD"]
            raise ConnectionResolutionError(
                f"Glue connection '{name}' has neither SECRET_ID nor USERNAME/PASSWORD"
            )
        from botocore.exceptions import ClientError

        try:
            with quiet_aws_debug_logging():
                text = self._session.client("secretsmanager").get_secret_value(SecretId=secret_id)[
                    "SecretString"
                ]
        except ClientError as exc:
            raise ConnectionResolutionError(
                f"secret of Glue connection '{name}' could not be read "
                f"({exc.response['Error']['Code']}); the role needs secretsmanager:GetSecretValue"
            ) from None
        try:
            secret = json.loads(text)
            return str(secret["username"]), str(secret["password"])
        except (ValueError, KeyError, TypeError):
            raise ConnectionResolutionError(
                f"secret of Glue connection '{name}' must be JSON with 'username' and 'password'"
            ) from None
