"""Turning a named Glue connection into a JDBC URL and credentials.

Job code names a connection (``JdbcSource(connection="my-rds-vpc-connection", ...)``), never a
URL or a password.  A resolver, chosen by the runtime, looks the name up:

* :class:`AwsConnectionResolver`: Glue ``GetConnection`` (``HidePassword=True``) for the URL (it
  includes the database name, unlike ``GlueContext.extract_jdbc_conf``) and ``JDBC_ENFORCE_SSL``;
  credentials from a :class:`~etl.credentials.CredentialSource` (:mod:`etl.credentials`: Glue's
  own resolution on Glue, boto3 elsewhere).  Used on Glue and on any other Spark with AWS access.
* :class:`ProfileConnectionResolver` (in :mod:`etl.profile`): a local profile file whose
  credentials come from environment variables.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from etl.credentials import AwsCredentials, CredentialSource, aws_call
from etl.errors import ConnectionResolutionError
from etl.secrets import register_secret
from etl.tls import Trust, trust, verified_options
from etl.tls_ca import read_ca
from etl.tls_truststore import trust_store_url

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

# JDBC URL prefix -> driver class (TLS properties: etl.tls).
_DRIVERS: dict[str, str] = {
    "postgresql": "org.postgresql.Driver",
    "mysql": "com.mysql.cj.jdbc.Driver",
    "mariadb": "org.mariadb.jdbc.Driver",
    "sqlserver": "com.microsoft.sqlserver.jdbc.SQLServerDriver",
    "oracle": "oracle.jdbc.OracleDriver",
    "redshift": "com.amazon.redshift.jdbc42.Driver",
}


# JDBC URL prefix -> driver properties that make bulk reads fast; a source's `options` override
# them.  PostgreSQL: prepareThreshold=-1 sends rows in binary from the first execution (each
# Spark partition runs its query once, so the default threshold of 5 never switches); parsing
# dates and timestamps as text was ~40 % of the read's JVM time (docs/performance.md).  Behind
# PgBouncer in transaction pooling, set options={"prepareThreshold": "0"}.
# MySQL (MySQL Connector/J, the driver Glue uses for jdbc:mysql: URLs): useCursorFetch=true, or
# Connector/J reads the whole result into memory before the first row, whatever the fetch size;
# with it and JdbcSource's fetchsize (always >= 1) the server sends rows in batches of fetchsize
# from a cursor (Connector/J reference, "JDBC API Implementation Notes", ResultSet; its other
# way, a fetch size of Integer.MIN_VALUE, is not a batch size).  MariaDB Connector/J
# (jdbc:mariadb:, and jdbc:mysql: where it is the only driver) streams whenever the fetch size is
# > 0 (CONJ-26, 1.4.0) and connects with useCursorFetch set (2.7);
# tests/etl/test_etl_jdbc_mysql.py proves that driver streams.
READ_DEFAULTS: dict[str, dict[str, str]] = {
    "postgresql": {"prepareThreshold": "-1"},
    "mysql": {"useCursorFetch": "true"},
}


def _spark_url(url: str) -> str:
    """``url`` as Spark should see it.  Spark picks its SQL dialect by the URL's prefix and has
    none for ``jdbc:mariadb:``: its default quotes column names in double quotes, which MariaDB
    reads as string literals (every row of a column would hold the column's name).  MariaDB
    Connector/J takes ``jdbc:mysql:`` too (3.x only with ``permitMysqlScheme``), for which Spark
    uses its MySQL dialect; the driver class stays MariaDB's."""
    prefix = "jdbc:mariadb:"
    if not url.startswith(prefix):
        return url
    return f"jdbc:mysql:{url[len(prefix) :]}{'&' if '?' in url else '?'}permitMysqlScheme"


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
    trust: Trust = dataclasses.field(default_factory=Trust)  # with ssl: what to verify against

    def __post_init__(self) -> None:
        register_secret(self.password)

    @property
    def vendor(self) -> str:
        return vendor_of(self.url)

    def spark_options(
        self, overrides: Mapping[str, str] | None = None, spark: SparkSession | None = None
    ) -> dict[str, str]:
        """Options for ``spark.read.format("jdbc")``: URL, driver, credentials and, when the
        connection enforces TLS, the properties that verify the server's certificate and host
        name (:mod:`etl.tls`); ``overrides`` (a source's options, applied after these) are
        refused if they would weaken that.  ``spark`` is the session that will read: a driver
        that takes a custom CA only as a file gets it through that session's executors."""
        driver = _DRIVERS.get(self.vendor, "")
        options = {"url": _spark_url(self.url), "user": self.user, "password": self.password}
        if driver:
            options["driver"] = driver
        if self.ssl:
            options.update(
                verified_options(
                    self.name,
                    self.vendor,
                    self.url,
                    self.trust,
                    overrides or {},
                    ca_file=None if spark is None else self._trust_store(spark),
                )
            )
        return options

    def _trust_store(self, spark: SparkSession) -> Callable[[str], str]:
        return lambda ca_pem: trust_store_url(spark, self.name, ca_pem)


class ConnectionResolver(Protocol):
    """Resolves a Glue connection name to a :class:`JdbcConnection`."""

    def resolve(self, name: str) -> JdbcConnection: ...


def _is_true(value: str | None) -> bool:
    return (value or "").strip().lower() == "true"


class AwsConnectionResolver:
    """Resolve through the Glue Data Catalog with boto3; credentials from ``credentials``
    (default :class:`~etl.credentials.AwsCredentials`, which says what each form needs).

    In a private VPC this needs the ``glue`` interface endpoint and ``glue:GetConnection``.
    """

    def __init__(self, session: Any = None, credentials: CredentialSource | None = None) -> None:
        if session is None:
            import boto3

            session = boto3.session.Session()
        self._session = session
        self._credentials = credentials or AwsCredentials(session)
        self._cache: dict[str, JdbcConnection] = {}

    def resolve(self, name: str) -> JdbcConnection:
        if name not in self._cache:
            self._cache[name] = self._fetch(name)
        return self._cache[name]

    def _fetch(self, name: str) -> JdbcConnection:
        glue = self._session.client("glue")
        found = aws_call(
            f"Glue connection '{name}' could not be read",
            f"check that it exists in region {self._session.region_name} and that the role may "
            "call glue:GetConnection",
            lambda: glue.get_connection(Name=name, HidePassword=True)["Connection"],
        )
        props: dict[str, str] = found.get("ConnectionProperties", {})
        url = props.get("JDBC_CONNECTION_URL")
        if not url:
            raise ConnectionResolutionError(
                f"Glue connection '{name}' has no JDBC_CONNECTION_URL "
                f"(type {found.get('ConnectionType')}); JdbcSource needs a JDBC connection"
            )
        credentials = self._credentials.credentials(name, found)
        return JdbcConnection(
            name=name,
            url=url,
            user=credentials.user,
            password=credentials.password,
            ssl=_is_true(props.get("JDBC_ENFORCE_SSL")),
            trust=self._trust(name, props),
        )

    def _trust(self, name: str, props: Mapping[str, str]) -> Trust:
        """The CA (``CUSTOM_JDBC_CERT``, read from S3 here on the driver) and certificate name
        (``CUSTOM_JDBC_CERT_STRING``); both apply only with ``JDBC_ENFORCE_SSL``."""
        if not _is_true(props.get("JDBC_ENFORCE_SSL")):
            return Trust()
        location = props.get("CUSTOM_JDBC_CERT")
        return trust(
            name,
            read_ca(name, location, self._session) if location else None,
            origin=location or "",
            cert_string=props.get("CUSTOM_JDBC_CERT_STRING"),
            skip_validation=_is_true(props.get("SKIP_CUSTOM_JDBC_CERT_VALIDATION")),
        )
