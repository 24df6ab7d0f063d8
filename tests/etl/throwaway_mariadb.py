"""A throwaway MariaDB for the test session, started from the installed server binaries.

The MySQL-protocol tests need a real server.  :func:`start` creates one of its own in a
temporary directory (``mariadb-install-db``, then ``mariadbd`` as the ``mysql`` user when
running as root, since mariadbd refuses to run as root), on a free loopback port and a socket in
that directory, and the session stops and deletes it at the end.  Nothing to run by hand, no
sudo.

The server's first start runs an init file that creates an administrator who logs in over TCP
with a password, so the tests talk to it the same way whoever runs them (root's socket login
exists only for root).  The ``mariadb`` client reads that password from a client option file in
the directory, never from its command line.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

USER = "glueprint"
DATABASE = "glueprint"
INSTALL_HINT = "apt-get install mariadb-server"
_SERVER = "/usr/sbin/mariadbd"
"""Not on a normal user's PATH on Debian."""
_READY_SECONDS = 60


class MariaDbUnavailableError(Exception):
    """The machine cannot run a throwaway MariaDB; the message says what to install."""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclasses.dataclass
class ThrowawayMariaDb:
    """One server in a temporary directory: :attr:`url` / :attr:`jdbc_url` to connect as the
    administrator (every privilege, ``WITH GRANT OPTION``), :meth:`sql` to run statements,
    :meth:`stop` to remove it."""

    directory: Path
    port: int
    password: str = dataclasses.field(repr=False)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"mysql://{USER}:{self.password}@127.0.0.1:{self.port}/{DATABASE}"

    def jdbc_url(self, database: str = DATABASE, vendor: str = "mariadb") -> str:
        """A JDBC URL without credentials; ``vendor`` ``mysql`` for a ``jdbc:mysql:`` URL
        (which the MariaDB driver also accepts)."""
        return f"jdbc:{vendor}://127.0.0.1:{self.port}/{database}"

    @property
    def client_options(self) -> Path:
        """A client option file with the administrator's host, port, user and password: give
        it to ``mariadb --defaults-extra-file=...``."""
        return self.directory / "client.cnf"

    def sql(self, statements: str, database: str = DATABASE) -> str:
        """Run ``statements`` as the administrator with the ``mariadb`` client; returns the
        output as tab-separated rows without headers.  Fails with the server's message."""
        done = subprocess.run(
            [
                "mariadb", f"--defaults-extra-file={self.client_options}", "--batch",
                "--skip-column-names", "--database", database, "--execute", statements,
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )  # fmt: skip
        if done.returncode != 0:
            raise AssertionError(f"mariadb failed: {done.stderr.strip()}")
        return done.stdout.strip()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        shutil.rmtree(self.directory, ignore_errors=True)

    def _log(self) -> str:
        log = self.directory / "error.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + _READY_SECONDS
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise MariaDbUnavailableError(f"mariadbd exited at start:\n{self._log()}")
            try:
                self.sql("SELECT 1")
                return
            except AssertionError:
                time.sleep(0.2)
        raise MariaDbUnavailableError(f"mariadbd not ready in {_READY_SECONDS} s:\n{self._log()}")


def start(tls: tuple[str, str] | None = None) -> ThrowawayMariaDb:
    """Create and start a server, or raise :class:`MariaDbUnavailableError` saying why.

    ``tls`` = (certificate PEM, private key PEM) gives the server TLS with that certificate
    (tests/etl/tls_certs.py makes them)."""
    install, server_binary, client = (
        shutil.which(name) for name in ("mariadb-install-db", _SERVER, "mariadb")
    )
    if not (install and server_binary and client):
        raise MariaDbUnavailableError(
            f"no MariaDB server binaries (mariadb-install-db, mariadbd, mariadb): {INSTALL_HINT}"
        )
    as_root = os.geteuid() == 0
    directory = Path(tempfile.mkdtemp(prefix="glueprint-mariadb-"))
    directory.chmod(0o755)
    # Its own temporary directory: in the shared /tmp, servers started at once by parallel test
    # workers fail mariadb-install-db ("Error on delete of '/tmp/#sql-temptable-...'").
    scratch = directory / "tmp"
    scratch.mkdir()
    if as_root:
        shutil.chown(directory, "mysql", "mysql")
        shutil.chown(scratch, "mysql", "mysql")
    server = ThrowawayMariaDb(directory, _free_port(), f"test-{uuid.uuid4().hex}")
    server.client_options.write_text(
        f"[client]\nhost=127.0.0.1\nport={server.port}\nuser={USER}\npassword={server.password}\n",
        encoding="utf-8",
    )
    server.client_options.chmod(0o600)
    init = directory / "init.sql"
    init.write_text(
        f"CREATE USER IF NOT EXISTS '{USER}'@'%' IDENTIFIED BY '{server.password}';\n"
        f"GRANT ALL PRIVILEGES ON *.* TO '{USER}'@'%' WITH GRANT OPTION;\n"
        f"CREATE DATABASE IF NOT EXISTS {DATABASE};\n",
        encoding="utf-8",
    )
    user = ["--user=mysql"] if as_root else []
    done = subprocess.run(
        [
            install, "--no-defaults", f"--datadir={directory / 'data'}", f"--tmpdir={scratch}",
            *user, "--auth-root-authentication-method=socket", "--skip-test-db",
            "--skip-name-resolve",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )  # fmt: skip
    if done.returncode != 0:
        server.stop()
        raise MariaDbUnavailableError(
            f"mariadb-install-db failed: {(done.stderr or done.stdout).strip()[-2000:]}"
        )
    if as_root:
        shutil.chown(init, "mysql", "mysql")
    server.process = subprocess.Popen(
        [
            server_binary, "--no-defaults", f"--datadir={directory / 'data'}",
            f"--tmpdir={scratch}", *user, f"--socket={directory / 'mariadbd.sock'}",
            f"--pid-file={directory / 'mariadbd.pid'}",
            f"--port={server.port}", "--bind-address=127.0.0.1", "--skip-name-resolve",
            f"--log-error={directory / 'error.log'}", f"--init-file={init}", "--skip-log-bin",
            "--innodb-buffer-pool-size=64M", "--innodb-flush-log-at-trx-commit=0",
            "--innodb-doublewrite=0", "--max-connections=100",
            *(_tls_arguments(directory, *tls, as_root=as_root) if tls else []),
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        server._wait_until_ready()
    except MariaDbUnavailableError:
        server.stop()
        raise
    return server


def _tls_arguments(directory: Path, cert_pem: str, key_pem: str, *, as_root: bool) -> list[str]:
    """mariadbd options for TLS with this certificate; the key is readable by the server only."""
    paths = (directory / "server.crt", directory / "server.key")
    for path, text in zip(paths, (cert_pem, key_pem), strict=True):
        path.write_text(text, encoding="ascii")
        path.chmod(0o600)
        if as_root:
            shutil.chown(path, "mysql", "mysql")
    return [f"--ssl-cert={paths[0]}", f"--ssl-key={paths[1]}"]
