"""Shared fixtures of the etl tests: the PostgreSQL driver on the session classpath and the
real PostgreSQL started by .ci/run (skipped outside CI when absent, a failure in CI)."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from etl.profile import LocalConnection, LocalProfile

PG_JAR = Path("/usr/share/java/postgresql.jar")
CONNECTION = "my-rds-vpc-connection"
"""The connection name the profile fixtures define."""


@pytest.fixture(scope="session")
def spark_conf() -> dict[str, str]:
    return {"spark.jars": str(PG_JAR)} if PG_JAR.is_file() else {}


@pytest.fixture(scope="session")
def pg_url() -> str:
    url = os.environ.get("GLUEPRINT_TEST_PG_URL")
    if not url:
        reason = 'GLUEPRINT_TEST_PG_URL is not set; run `eval "$(.ci/postgres.sh start)"`'
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    if not PG_JAR.is_file():
        pytest.fail(f"PostgreSQL JDBC driver missing at {PG_JAR} (libpostgresql-jdbc-java)")
    return url


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
    psql(f"CREATE SCHEMA IF NOT EXISTS etl_test; DROP TABLE IF EXISTS {name}")
    yield name
    psql(f"DROP TABLE IF EXISTS {name}")


@pytest.fixture
def pg_profile(pg_connection: LocalConnection) -> LocalProfile:
    """A local profile defining ``my-rds-vpc-connection`` as the test database."""
    return LocalProfile(connections={CONNECTION: pg_connection})
