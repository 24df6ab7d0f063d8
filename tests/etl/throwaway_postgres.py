"""A throwaway PostgreSQL for the test session, started from the installed server binaries.

The tests need a real PostgreSQL. When ``GLUEPRINT_TEST_PG_URL`` names one (CI starts it with
.ci/postgres.sh) they use it; otherwise :func:`start` creates a cluster of its own in a
temporary directory (``initdb``, ``pg_ctl``; as the ``postgres`` user when running as root,
since PostgreSQL refuses to run as root), on a free loopback port with password authentication,
and the session stops and deletes it at the end.  Nothing to run by hand, no sudo.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

USER = "glueprint"
DATABASE = "glueprint"
INSTALL_HINT = "apt-get install postgresql (Debian/Ubuntu), or set GLUEPRINT_TEST_PG_URL"


class PostgresUnavailableError(Exception):
    """The machine cannot run a throwaway PostgreSQL; the message says what to install."""


def _binary(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))
    return str(candidates[-1]) if candidates else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclasses.dataclass
class ThrowawayPostgres:
    """One cluster in a temporary directory; :attr:`url` to connect, :meth:`stop` to remove."""

    directory: Path
    port: int
    password: str
    pg_ctl: str
    as_postgres: bool

    @property
    def url(self) -> str:
        return f"postgresql://{USER}:{self.password}@127.0.0.1:{self.port}/{DATABASE}"

    def _run(self, *argv: str) -> subprocess.CompletedProcess[str]:
        prefix = ["runuser", "-u", "postgres", "--"] if self.as_postgres else []
        return subprocess.run(
            [*prefix, *argv], capture_output=True, text=True, check=False, timeout=120
        )

    def stop(self) -> None:
        self._run(self.pg_ctl, "stop", "-D", str(self.directory / "data"), "-m", "immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


def start(tls: tuple[str, str] | None = None) -> ThrowawayPostgres:
    """Create and start a cluster, or raise :class:`PostgresUnavailableError` saying why.

    ``tls`` = (certificate PEM, private key PEM) turns ``ssl`` on with that server certificate
    (tests/etl/tls_certs.py makes them); by default the server has no TLS."""
    initdb, pg_ctl, psql = _binary("initdb"), _binary("pg_ctl"), shutil.which("psql")
    if not (initdb and pg_ctl and psql):
        raise PostgresUnavailableError(
            f"no PostgreSQL server binaries (initdb, pg_ctl, psql): {INSTALL_HINT}"
        )
    as_postgres = os.geteuid() == 0
    if as_postgres and shutil.which("runuser") is None:
        raise PostgresUnavailableError(
            "running as root needs runuser to start PostgreSQL as postgres"
        )
    directory = Path(tempfile.mkdtemp(prefix="glueprint-pg-"))
    directory.chmod(0o755)
    server = ThrowawayPostgres(
        directory, _free_port(), f"test-{uuid.uuid4().hex}", pg_ctl, as_postgres
    )
    if as_postgres:
        shutil.chown(directory, "postgres", "postgres")
    password_file = directory / "password"
    password_file.write_text(server.password, encoding="utf-8")
    if as_postgres:
        shutil.chown(password_file, "postgres", "postgres")
    settings = f"-p {server.port} -k {directory} -c listen_addresses=127.0.0.1 -c fsync=off"
    if tls:
        settings += _tls_settings(server, *tls)
    steps = [
        (
            initdb,
            "-D", str(directory / "data"), "-U", USER, f"--pwfile={password_file}",
            "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--no-sync",
        ),
        (
            pg_ctl,
            "start", "-D", str(directory / "data"), "-w", "-l", str(directory / "log"),
            "-o", settings,
        ),
        (psql, "-h", str(directory), "-p", str(server.port), "-U", USER, "-d", "postgres",
         "-qc", f"CREATE DATABASE {DATABASE}"),
    ]  # fmt: skip
    for step in steps:
        done = server._run(*step)
        if done.returncode != 0:
            log = directory / "log"
            detail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            server.stop()
            raise PostgresUnavailableError(
                f"{Path(step[0]).name} failed: {done.stderr.strip() or done.stdout.strip()}"
                f"\n{detail}"
            )
    return server


def _tls_settings(server: ThrowawayPostgres, cert_pem: str, key_pem: str) -> str:
    """Server options for TLS with the given certificate; PostgreSQL refuses a key file that
    others may read, so it is 0600 and owned by the server's user."""
    paths = (server.directory / "server.crt", server.directory / "server.key")
    for path, text in zip(paths, (cert_pem, key_pem), strict=True):
        path.write_text(text, encoding="ascii")
        path.chmod(0o600)
        if server.as_postgres:
            shutil.chown(path, "postgres", "postgres")
    return f" -c ssl=on -c ssl_cert_file={paths[0]} -c ssl_key_file={paths[1]}"
