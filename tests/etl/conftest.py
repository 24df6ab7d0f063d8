"""Shared fixtures of the etl tests: the PostgreSQL and MariaDB drivers on the session
classpath, the real PostgreSQL (CI's, else a throwaway server of the session's own:
throwaway_postgres.py), a throwaway MariaDB (throwaway_mariadb.py), and a throwaway cluster that
fault tests may stop and start (each skipped outside CI when its tooling is absent, with the
command that installs it; a failure in CI)."""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import socket
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import boto3
import pytest
import throwaway_mariadb as mariadb
import throwaway_postgres as postgres
from moto import mock_aws

from etl.profile import LocalConnection, LocalProfile

PG_JAR = Path("/usr/share/java/postgresql.jar")
MARIADB_JAR = Path("/usr/share/java/mariadb-java-client.jar")
MARIADB_INSTALL = "apt-get install mariadb-server libmariadb-java"
CONNECTION = "my-rds-vpc-connection"
"""The connection name the profile fixtures define."""
SERIALISED = "SELECT pg_advisory_xact_lock(4711); "
"""Prefix for a psql command (one transaction) that changes shared catalog rows: parallel test
workers share the server, and concurrent grants on one database or schema fail with "tuple
concurrently updated"."""


AWS_REGION = "eu-west-1"
"""The region of the :func:`aws` fixture's session, also the default region."""


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The AWS emulator (moto, in this process) with fake credentials: a boto3 session in
    :data:`AWS_REGION`."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": AWS_REGION,
    }.items():
        monkeypatch.setenv(key, value)
    with mock_aws():
        yield boto3.session.Session(region_name=AWS_REGION)


@pytest.fixture(scope="session")
def spark_conf() -> dict[str, str]:
    jars = [str(jar) for jar in (PG_JAR, MARIADB_JAR) if jar.is_file()]
    return {"spark.jars": ",".join(jars)} if jars else {}


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    """``$GLUEPRINT_TEST_PG_URL`` (CI's server), else a throwaway server of the session's own
    (throwaway_postgres.py), with Spark's PostgreSQL JDBC driver."""
    if not PG_JAR.is_file():
        _unavailable(
            f"Spark's PostgreSQL JDBC driver is missing at {PG_JAR}: "
            "apt-get install libpostgresql-jdbc-java"
        )
    url = os.environ.get("GLUEPRINT_TEST_PG_URL")
    if url:
        yield url
        return
    try:
        server = postgres.start()
    except postgres.PostgresUnavailableError as exc:
        _unavailable(str(exc))
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def psql(pg_url: str) -> Callable[[str], str]:
    """Run SQL with the psql client (no Python driver needed); returns unaligned output."""

    def run(sql: str) -> str:
        done = subprocess.run(
            ["psql", pg_url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()

    return run


@pytest.fixture
def pg_jdbc_url(pg_url: str) -> str:
    parts = urlsplit(pg_url)
    return f"jdbc:postgresql://{parts.hostname}:{parts.port}{parts.path}"


@pytest.fixture
def pg_env(pg_url: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Credentials of the test database in environment variables, as a local profile wants."""
    parts = urlsplit(pg_url)
    env = {"TEST_PG_USER": parts.username or "", "TEST_PG_PASSWORD": parts.password or ""}
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return env


@pytest.fixture
def pg_connection(pg_jdbc_url: str, pg_env: dict[str, str]) -> LocalConnection:
    return LocalConnection(pg_jdbc_url, "TEST_PG_USER", "TEST_PG_PASSWORD")


@pytest.fixture
def pg_table(psql: Callable[[str], str], request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh table name in schema ``etl_test`` for this test, dropped afterwards."""
    name = "etl_test.t_" + re.sub(r"\W", "_", request.node.name.lower())[-50:]
    psql(f"{SERIALISED}CREATE SCHEMA IF NOT EXISTS etl_test; DROP TABLE IF EXISTS {name}")
    yield name
    psql(f"DROP TABLE IF EXISTS {name}")


@pytest.fixture
def pg_profile(pg_connection: LocalConnection) -> LocalProfile:
    """A local profile defining ``my-rds-vpc-connection`` as the test database."""
    return LocalProfile(connections={CONNECTION: pg_connection})


def _unavailable(reason: str) -> NoReturn:
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@dataclasses.dataclass(frozen=True)
class ScratchCluster:
    """A PostgreSQL cluster of its own (Debian's pg_createcluster) that tests may stop and
    start, with a password-authenticated user; never the shared glueprint_test cluster."""

    version: str
    name: str
    port: int
    user: str
    password: str
    database: str

    @property
    def jdbc_url(self) -> str:
        return f"jdbc:postgresql://127.0.0.1:{self.port}/{self.database}"

    def _ctl(self, action: str, *extra: str) -> None:
        subprocess.run(
            ["pg_ctlcluster", self.version, self.name, action, *extra],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self._ctl("start")

    def stop(self) -> None:
        self._ctl("stop", "-m", "fast")

    def is_running(self) -> bool:
        done = subprocess.run(
            ["pg_isready", "-q", "-h", "127.0.0.1", "-p", str(self.port)], check=False
        )
        return done.returncode == 0

    def psql(self, sql: str, database: str | None = None) -> str:
        """Run SQL as the postgres superuser (peer authentication over the local socket)."""
        done = subprocess.run(
            [
                "runuser", "-u", "postgres", "--",
                "psql", "-p", str(self.port), "-d", database or self.database,
                "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql,
            ],
            capture_output=True,
            text=True,
            check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout.strip()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def scratch_pg() -> Iterator[ScratchCluster]:
    """A throwaway cluster for the whole session, dropped at the end."""
    tools = ("pg_createcluster", "pg_ctlcluster", "pg_dropcluster", "runuser", "psql")
    missing = [tool for tool in tools if shutil.which(tool) is None]
    if missing or os.geteuid() != 0:
        _unavailable(f"a throwaway PostgreSQL cluster needs root and {', '.join(missing) or tools}")
    if not PG_JAR.is_file():
        _unavailable(f"PostgreSQL JDBC driver missing at {PG_JAR} (libpostgresql-jdbc-java)")
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"))
    if not versions:
        _unavailable("no PostgreSQL server binaries under /usr/lib/postgresql")
    version = versions[-1].parent.parent.name
    cluster = ScratchCluster(
        version=version,
        name=f"etl_scratch_{os.getpid()}",
        port=_free_port(),
        user="etl_scratch",
        password=f"scratch-{uuid.uuid4().hex}",
        database="etl_scratch",
    )
    subprocess.run(
        ["pg_createcluster", version, cluster.name, "--port", str(cluster.port)],
        check=True,
        capture_output=True,
    )
    try:
        cluster.start()
        cluster.psql(
            f"CREATE ROLE {cluster.user} LOGIN PASSWORD '{cluster.password}'", database="postgres"
        )
        cluster.psql(f"CREATE DATABASE {cluster.database} OWNER {cluster.user}", "postgres")
        yield cluster
    finally:
        subprocess.run(
            ["pg_dropcluster", version, cluster.name, "--stop"], check=False, capture_output=True
        )


@pytest.fixture
def scratch_running(scratch_pg: ScratchCluster) -> ScratchCluster:
    """The throwaway cluster, started again if a previous test left it stopped."""
    if not scratch_pg.is_running():
        scratch_pg.start()
    return scratch_pg


@pytest.fixture
def scratch_profile(
    scratch_running: ScratchCluster, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> LocalProfile:
    """A profile with ``my-rds-vpc-connection`` on the throwaway cluster and ``s3://lake``."""
    monkeypatch.setenv("SCRATCH_PG_USER", scratch_running.user)
    monkeypatch.setenv("SCRATCH_PG_PASSWORD", scratch_running.password)
    (tmp_path / "lake").mkdir(exist_ok=True)
    return LocalProfile(
        connections={
            CONNECTION: LocalConnection(
                scratch_running.jdbc_url, "SCRATCH_PG_USER", "SCRATCH_PG_PASSWORD"
            )
        },
        paths={"s3://lake": (tmp_path / "lake").resolve()},
    )


@pytest.fixture
def etl_connections(pg_connection: LocalConnection) -> dict[str, LocalConnection]:
    """The plugin's ``etl_profile`` resolves ``my-rds-vpc-connection`` to the test database."""
    return {CONNECTION: pg_connection}


@dataclasses.dataclass(frozen=True)
class PgReader:
    """A least-privileged reader of the test database, as an ETL user is on a production one:
    it may CONNECT, use its own schema and SELECT the tables and views the owner (the test's
    ``psql``) creates there, nothing else."""

    role: str
    schema: str
    profile: LocalProfile
    """``my-rds-vpc-connection`` logging in as the reader."""


@pytest.fixture
def pg_reader(
    psql: Callable[[str], str], pg_url: str, pg_jdbc_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[PgReader]:
    """A fresh reader role and schema for this test, both dropped afterwards."""
    suffix = uuid.uuid4().hex[:12]
    role, schema, password = f"etl_reader_{suffix}", f"etl_keys_{suffix}", uuid.uuid4().hex
    database = urlsplit(pg_url).path.lstrip("/")
    psql(
        f"{SERIALISED}CREATE ROLE {role} LOGIN PASSWORD '{password}';"
        f"GRANT CONNECT ON DATABASE {database} TO {role};"
        f"CREATE SCHEMA {schema}; GRANT USAGE ON SCHEMA {schema} TO {role};"
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {role}"
    )
    monkeypatch.setenv("TEST_PG_READER_USER", role)
    monkeypatch.setenv("TEST_PG_READER_PASSWORD", password)
    connection = LocalConnection(pg_jdbc_url, "TEST_PG_READER_USER", "TEST_PG_READER_PASSWORD")
    try:
        yield PgReader(role, schema, LocalProfile(connections={CONNECTION: connection}))
    finally:
        psql(
            f"{SERIALISED}SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            f"WHERE usename = '{role}'; DROP SCHEMA {schema} CASCADE; DROP OWNED BY {role}; "
            f"DROP ROLE {role}"
        )


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[mariadb.ThrowawayMariaDb]:
    """A throwaway MariaDB for the whole session (throwaway_mariadb.py), with Spark's MariaDB
    JDBC driver; its administrator may do anything (``mariadb_server.sql(...)``)."""
    if not MARIADB_JAR.is_file():
        _unavailable(f"Spark's MariaDB JDBC driver is missing at {MARIADB_JAR}: {MARIADB_INSTALL}")
    try:
        server = mariadb.start()
    except mariadb.MariaDbUnavailableError as exc:
        _unavailable(f"{exc} ({MARIADB_INSTALL})")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def mariadb_url(mariadb_server: mariadb.ThrowawayMariaDb) -> str:
    """``mysql://user:password@127.0.0.1:port/glueprint``: the administrator of the session's
    MariaDB."""
    return mariadb_server.url


@pytest.fixture
def mariadb_sql(mariadb_server: mariadb.ThrowawayMariaDb) -> Callable[[str], str]:
    """Run SQL as the administrator with the ``mariadb`` client (database ``glueprint``);
    returns tab-separated rows, fails the test with the server's message."""
    return mariadb_server.sql


@dataclasses.dataclass(frozen=True)
class MariaDbReader:
    """A least-privileged reader, as an ETL user is on a production MySQL: ``SELECT`` on its
    own database (tables and views the administrator creates there), nothing else."""

    user: str
    database: str
    jdbc_url: str
    """``jdbc:mariadb://127.0.0.1:port/<database>``, without credentials."""
    profile: LocalProfile
    """``my-rds-vpc-connection`` logging in as the reader, on :attr:`jdbc_url`."""


@pytest.fixture
def mariadb_reader(
    mariadb_server: mariadb.ThrowawayMariaDb, monkeypatch: pytest.MonkeyPatch
) -> Iterator[MariaDbReader]:
    """A fresh reader user and database for this test, both dropped afterwards; its
    credentials are in ``TEST_MARIADB_READER_USER``/``TEST_MARIADB_READER_PASSWORD``."""
    suffix = uuid.uuid4().hex[:12]
    user, database, password = f"etl_reader_{suffix}", f"etl_keys_{suffix}", uuid.uuid4().hex
    mariadb_server.sql(
        f"CREATE DATABASE {database}; CREATE USER '{user}'@'%' IDENTIFIED BY '{password}';"
        f"GRANT SELECT ON {database}.* TO '{user}'@'%'"
    )
    monkeypatch.setenv("TEST_MARIADB_READER_USER", user)
    monkeypatch.setenv("TEST_MARIADB_READER_PASSWORD", password)
    url = mariadb_server.jdbc_url(database)
    connection = LocalConnection(url, "TEST_MARIADB_READER_USER", "TEST_MARIADB_READER_PASSWORD")
    try:
        yield MariaDbReader(user, database, url, LocalProfile(connections={CONNECTION: connection}))
    finally:
        mariadb_server.sql(f"DROP USER '{user}'@'%'; DROP DATABASE {database}")
