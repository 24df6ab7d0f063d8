"""Verified TLS (JDBC_ENFORCE_SSL as Glue means it) against a real PostgreSQL with ssl=on and a
certificate made here (tls_certs.py): the right CA and host read through Spark; a wrong host, an
unknown CA or no CA fail in the driver; weakening settings are refused before connecting;
SKIP_CUSTOM_JDBC_CERT_VALIDATION skips only Glue's algorithm check.  Failures are provoked with
:func:`etl.jdbc.fetch` (one connection of the driver JVM) so the driver's own reason is visible;
Spark hides it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
import throwaway_mariadb as mariadb
import throwaway_postgres as postgres
import tls_certs
from cryptography.hazmat.primitives import hashes
from py4j.protocol import Py4JJavaError
from pyspark.sql import SparkSession

from etl import JdbcSource, SparkRuntime
from etl.connections import JdbcConnection
from etl.errors import ConnectionResolutionError
from etl.jdbc import fetch
from etl.profile import LocalProfile
from etl.tls import Trust, trust

pytestmark = [pytest.mark.spark, pytest.mark.postgres]

CONNECTION = "tls-db"
IN_SSL = "SELECT ssl::text AS ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()"


class TlsServer:
    """The throwaway PostgreSQL with ssl=on, whose certificate names only ``localhost``."""

    def __init__(self, server: postgres.ThrowawayPostgres, ca: tls_certs.Authority) -> None:
        self.server, self.ca = server, ca

    def url(self, host: str, parameters: str = "") -> str:
        return f"jdbc:postgresql://{host}:{self.server.port}/{postgres.DATABASE}{parameters}"

    def connection(self, host: str = "localhost", trusted: Trust | None = None) -> JdbcConnection:
        return JdbcConnection(
            CONNECTION,
            self.url(host),
            postgres.USER,
            self.server.password,
            ssl=True,
            trust=trust(CONNECTION, self.ca.cert_pem) if trusted is None else trusted,
        )


@pytest.fixture(scope="module")
def tls_server() -> Iterator[TlsServer]:
    ca = tls_certs.authority("glueprint test CA")
    server_certificate = ca.issue(["localhost"])
    try:
        server = postgres.start(tls=(server_certificate.cert_pem, server_certificate.key_pem))
    except postgres.PostgresUnavailableError as exc:
        pytest.fail(str(exc))
    try:
        yield TlsServer(server, ca)
    finally:
        server.stop()


def _fetch(spark: SparkSession, connection: JdbcConnection) -> str | None:
    options = JdbcSource(connection=CONNECTION, query=IN_SSL).reader_options(connection)
    return fetch(spark, options, IN_SSL).value("ssl")


def _java_failure(spark: SparkSession, connection: JdbcConnection) -> str:
    with pytest.raises(Py4JJavaError) as info:
        _fetch(spark, connection)
    return str(info.value.java_exception)


def test_right_ca_and_host_read_through_spark_from_a_profile(
    spark: SparkSession, tls_server: TlsServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.pem").write_text(tls_server.ca.cert_pem, encoding="ascii")
    (tmp_path / "profile.toml").write_text(
        f'[connections.{CONNECTION}]\nurl = "{tls_server.url("localhost")}"\n'
        'user_env = "TLS_USER"\npassword_env = "TLS_PASSWORD"\nssl = true\n'
        'ca = "certs/ca.pem"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("TLS_USER", postgres.USER)
    monkeypatch.setenv("TLS_PASSWORD", tls_server.server.password)
    runtime = SparkRuntime.local(LocalProfile.load(tmp_path / "profile.toml"), spark=spark)
    runtime.start("test", [], {})
    rows = JdbcSource(connection=CONNECTION, query=IN_SSL).read(runtime).collect()
    assert [row.ssl for row in rows] == ["true"]


def test_a_host_the_certificate_does_not_name_is_refused(
    spark: SparkSession, tls_server: TlsServer
) -> None:
    assert _fetch(spark, tls_server.connection("localhost")) == "true"
    failure = _java_failure(spark, tls_server.connection("127.0.0.1"))
    assert "hostname 127.0.0.1 could not be verified" in failure


def test_a_certificate_of_an_unknown_ca_is_refused(
    spark: SparkSession, tls_server: TlsServer
) -> None:
    stranger = tls_certs.authority("some other CA")
    failure = _java_failure(spark, tls_server.connection(trusted=trust("c", stranger.cert_pem)))
    assert "PKIX path building failed" in failure


def test_without_a_ca_the_jvm_trust_store_decides_and_does_not_know_a_private_ca(
    spark: SparkSession, tls_server: TlsServer
) -> None:
    failure = _java_failure(spark, tls_server.connection(trusted=Trust()))
    assert "PKIX path building failed" in failure


@pytest.mark.parametrize(
    "parameters",
    [
        "?sslmode=disable",
        "?sslmode=require",
        "?ApplicationName=etl&sslmode=verify-ca",
        "?sslfactory=org.postgresql.ssl.NonValidatingFactory",
        "?ssl=false",
    ],
)
def test_a_url_that_weakens_verification_is_refused_before_connecting(
    spark: SparkSession, tls_server: TlsServer, parameters: str
) -> None:
    setting = parameters.rsplit("&", 1)[-1].lstrip("?")
    connection = JdbcConnection(
        CONNECTION, tls_server.url("localhost", parameters), postgres.USER, "pw", ssl=True
    )
    with pytest.raises(ConnectionResolutionError) as info:
        _fetch(spark, connection)
    message = str(info.value)
    assert f"connection '{CONNECTION}': its URL sets {setting}" in message
    assert "remove it" in message and "CUSTOM_JDBC_CERT" in message


@pytest.mark.parametrize(
    "options",
    [
        {"sslmode": "prefer"},
        {"sslfactory": "org.postgresql.ssl.NonValidatingFactory"},
        {"sslhostnameverifier": "com.example.AnyHost"},
        {"sslrootcert": "/tmp/other.pem"},
    ],
)
def test_source_options_cannot_weaken_verification(
    tls_server: TlsServer, options: dict[str, str]
) -> None:
    source = JdbcSource(connection=CONNECTION, query="SELECT 1", options=options)
    with pytest.raises(ConnectionResolutionError, match="the source's options sets"):
        source.reader_options(tls_server.connection())


def test_settings_that_keep_verification_are_accepted(tls_server: TlsServer) -> None:
    connection = JdbcConnection(
        CONNECTION, tls_server.url("localhost", "?sslmode=verify-full"), "u", "p", ssl=True
    )
    source = JdbcSource(connection=CONNECTION, query="SELECT 1", options={"ssl": "true"})
    options = source.reader_options(connection)
    assert "sslmode" not in options  # the URL's own verify-full stands
    assert options["sslfactory"] == "org.postgresql.ssl.DefaultJavaSSLFactory"


def test_skipping_validation_skips_only_glues_algorithm_check(
    spark: SparkSession, tls_server: TlsServer
) -> None:
    # The same CA (subject and key) self-signed with SHA-224: Glue permits only SHA-256/384/512.
    weak = tls_server.ca.resigned(hashes.SHA224())
    with pytest.raises(ConnectionResolutionError, match="SKIP_CUSTOM_JDBC_CERT_VALIDATION=true"):
        trust(CONNECTION, weak, origin="s3://b/ca.pem")
    skipped = trust(CONNECTION, weak, skip_validation=True)
    assert _fetch(spark, tls_server.connection(trusted=skipped)) == "true"
    failure = _java_failure(spark, tls_server.connection("127.0.0.1", trusted=skipped))
    assert "could not be verified" in failure  # the host name is still checked


# --- MariaDB Connector/J against a real MariaDB with TLS -------------------------------------

SSL_CIPHER = (
    "SELECT VARIABLE_VALUE AS cipher FROM information_schema.SESSION_STATUS"
    " WHERE VARIABLE_NAME = 'SSL_CIPHER'"
)


@pytest.fixture(scope="module")
def tls_mariadb(tls_server: TlsServer) -> Iterator[tuple[mariadb.ThrowawayMariaDb, str]]:
    """A throwaway MariaDB whose certificate, from the same CA, names only ``localhost``."""
    certificate = tls_server.ca.issue(["localhost"])
    try:
        server = mariadb.start(tls=(certificate.cert_pem, certificate.key_pem))
    except mariadb.MariaDbUnavailableError as exc:
        pytest.fail(str(exc))
    try:
        yield server, tls_server.ca.cert_pem
    finally:
        server.stop()


def _mariadb(server: mariadb.ThrowawayMariaDb, host: str, ca_pem: str) -> JdbcConnection:
    return JdbcConnection(
        CONNECTION,
        f"jdbc:mariadb://{host}:{server.port}/{mariadb.DATABASE}",
        mariadb.USER,
        server.password,
        ssl=True,
        trust=trust(CONNECTION, ca_pem),
    )


def _mariadb_cipher(spark: SparkSession, connection: JdbcConnection) -> str | None:
    options = JdbcSource(connection=CONNECTION, query=SSL_CIPHER).reader_options(connection)
    return fetch(spark, options, SSL_CIPHER).value("cipher")


def test_mariadb_right_ca_and_host_connect_and_a_partitioned_read_works(
    spark: SparkSession,
    tls_mariadb: tuple[mariadb.ThrowawayMariaDb, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server, ca_pem = tls_mariadb
    assert _mariadb_cipher(spark, _mariadb(server, "localhost", ca_pem))  # encrypted
    # A partitioned read would move the camel-case TLS properties into the URL, where
    # MariaDB Connector/J would not decode the PEM CA: the read uses one connection instead.
    server.sql(
        "CREATE TABLE IF NOT EXISTS tls_rows (id INT PRIMARY KEY);"
        "INSERT IGNORE INTO tls_rows SELECT seq FROM seq_1_to_100"
    )
    (tmp_path / "ca.pem").write_text(ca_pem, encoding="ascii")
    url = f"jdbc:mariadb://localhost:{server.port}/{mariadb.DATABASE}"
    (tmp_path / "profile.toml").write_text(
        f'[connections.{CONNECTION}]\nurl = "{url}"\nuser_env = "TLS_USER"\n'
        'password_env = "TLS_PASSWORD"\nssl = true\nca = "ca.pem"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("TLS_USER", mariadb.USER)
    monkeypatch.setenv("TLS_PASSWORD", server.password)
    runtime = SparkRuntime.local(LocalProfile.load(tmp_path / "profile.toml"), spark=spark)
    runtime.start("test", [], {})
    with caplog.at_level(logging.WARNING, logger="etl.partitioning"):
        frame = JdbcSource(connection=CONNECTION, table="tls_rows").read(runtime)
        assert frame.count() == 100
    assert "a mariadb URL cannot carry them" in caplog.text


def test_mariadb_wrong_host_and_unknown_ca_are_refused(
    spark: SparkSession, tls_mariadb: tuple[mariadb.ThrowawayMariaDb, str]
) -> None:
    server, ca_pem = tls_mariadb
    with pytest.raises(Py4JJavaError) as wrong_host:
        _mariadb_cipher(spark, _mariadb(server, "127.0.0.1", ca_pem))
    assert 'host "127.0.0.1" doesn\'t correspond to certificate' in str(
        wrong_host.value.java_exception
    )
    stranger = tls_certs.authority("some other CA").cert_pem
    with pytest.raises(Py4JJavaError) as unknown_ca:
        _mariadb_cipher(spark, _mariadb(server, "localhost", stranger))
    assert "certification path" in str(unknown_ca.value.java_exception)
