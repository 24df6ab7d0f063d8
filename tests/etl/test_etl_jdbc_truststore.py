"""A custom CA for MySQL Connector/J as a trust store file (etl/tls_truststore.py), against a real
MariaDB with TLS and a certificate made here, read by a Spark whose executors are separate JVMs
in working directories of their own (truststore_read.py, ``local-cluster``): the driver JVM and
every executor open the store by the one name etl gives, a CA bundle is trusted whole, and a host
the certificate does not name or a CA that did not sign it fail in the driver.

What stands in: MariaDB Connector/J 2.7 (Debian's) reads the options etl sets for MySQL
Connector/J, which no registry reachable here carries; it takes ``trustCertificateKeyStoreUrl``
as its alias of ``trustStore`` (see truststore_read.py)."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyspark
import pytest
import throwaway_mariadb as mariadb
import tls_certs
from conftest import MARIADB_JAR
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

# One worker runs the module, so its one local-cluster run (about a minute) is not repeated on
# every worker that gets one of its tests.
pytestmark = [pytest.mark.spark, pytest.mark.xdist_group("truststore")]

SCRIPT = Path(__file__).with_name("truststore_read.py")
ROWS = 100


def _der(pem: str) -> str:
    certificate = x509.load_pem_x509_certificate(pem.encode("ascii"))
    return base64.b64encode(certificate.public_bytes(Encoding.DER)).decode("ascii")


@pytest.fixture(scope="module")
def reads(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """One ``local-cluster`` run reading four ways: the right CA (in a bundle after a CA that
    did not sign the server, which a driver trusting only a bundle's first certificate would
    refuse) and host; a host the certificate does not name; a CA that did not sign it; and, as
    the control, the right CA with etl's ``addFile`` doing nothing."""
    if not MARIADB_JAR.exists():
        pytest.fail(f"{MARIADB_JAR} is missing: apt-get install libmariadb-java")
    ca = tls_certs.authority("glueprint test CA")
    stranger = tls_certs.authority("some other CA")
    certificate = ca.issue(["localhost"])
    try:
        server = mariadb.start(tls=(certificate.cert_pem, certificate.key_pem))
    except mariadb.MariaDbUnavailableError as exc:
        pytest.fail(str(exc))
    user, password = "etl_tls_reader", uuid.uuid4().hex
    server.sql(
        "CREATE TABLE tls_rows (id INT PRIMARY KEY);"
        f"INSERT INTO tls_rows SELECT seq FROM seq_1_to_{ROWS};"
        f"CREATE USER '{user}'@'%' IDENTIFIED BY '{password}' REQUIRE SSL;"
        f"GRANT SELECT ON {mariadb.DATABASE}.* TO '{user}'@'%'"
    )
    directory = tmp_path_factory.mktemp("truststore")
    bundle = stranger.cert_pem + ca.cert_pem
    given = {
        "port": server.port,
        "user": user,
        "password": password,
        "jar": str(MARIADB_JAR),
        "output": str(directory / "reads.json"),
        "cases": [
            {"host": "localhost", "ca_pem": bundle, "add_file": True},
            {"host": "127.0.0.1", "ca_pem": bundle, "add_file": True},
            {"host": "localhost", "ca_pem": stranger.cert_pem, "add_file": True},
            # Another file name (the bundle's other order), so that this store is new.
            {"host": "localhost", "ca_pem": ca.cert_pem + stranger.cert_pem, "add_file": False},
        ],
    }
    # local-cluster's workers put each executor's working directory under SPARK_HOME/work: a
    # SPARK_HOME of links to pyspark's launchers and jars keeps them in this test's directory.
    spark_home = directory / "spark-home"
    spark_home.mkdir()
    for part in ("bin", "jars"):
        (spark_home / part).symlink_to(Path(pyspark.__file__).parent / part)
    environment = {**os.environ, "PYSPARK_PYTHON": sys.executable, "SPARK_HOME": str(spark_home)}
    try:
        run = subprocess.run(
            [sys.executable, str(SCRIPT)],
            input=json.dumps(given),
            cwd=directory,
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert run.returncode == 0, run.stderr[-4000:]
        found = json.loads((directory / "reads.json").read_text(encoding="utf-8"))
        yield {
            **found,
            "directory": directory,
            "bundle": [_der(stranger.cert_pem), _der(ca.cert_pem)],
            "stranger": [_der(stranger.cert_pem)],
        }
    finally:
        server.stop()


def test_the_store_holds_every_certificate_of_the_bundle_under_a_relative_name(
    reads: dict[str, Any],
) -> None:
    right, _, unknown, _ = reads["results"]
    url = right["trust"]["trustCertificateKeyStoreUrl"]
    assert url.startswith("file:glueprint-ca-") and "/" not in url  # relative: every JVM's own
    assert right["trust"]["trustCertificateKeyStoreType"] == "JKS"
    assert sorted(right["stored"]) == sorted(reads["bundle"])
    assert unknown["stored"] == reads["stranger"]
    assert unknown["trust"]["trustCertificateKeyStoreUrl"] != url  # one file per CA
    assert (reads["directory"] / url.removeprefix("file:")).is_file()  # the driver JVM's


def test_executors_in_other_directories_open_the_store_and_read_every_row(
    reads: dict[str, Any],
) -> None:
    right = reads["results"][0]
    assert "error" not in right, right.get("error")
    tasks = right["tasks"]
    assert sum(rows for _, rows in tasks) == ROWS and len(tasks) == 4
    # Every task ran in an executor's own working directory, where only addFile put the store.
    assert all(Path(cwd) != Path(reads["driver_directory"]) for cwd, _ in tasks)
    assert all(
        Path(cwd).is_relative_to(reads["directory"] / "spark-home" / "work") for cwd, _ in tasks
    )


def test_without_add_file_the_executors_do_not_find_the_store(reads: dict[str, Any]) -> None:
    """The control: the driver JVM finds the store it wrote (the schema is read), the
    executors, in other directories, do not."""
    control = reads["results"][3]
    assert "tasks" not in control
    assert "Failed to find trustStore file" in control["error"]
    assert "executor" in control["error"]  # a task failed, not the driver's schema query


def test_a_host_the_certificate_does_not_name_is_refused(reads: dict[str, Any]) -> None:
    wrong_host = reads["results"][1]
    assert "tasks" not in wrong_host
    assert 'host "127.0.0.1" doesn\'t correspond to certificate' in wrong_host["error"]


def test_a_ca_that_did_not_sign_the_server_is_refused(reads: dict[str, Any]) -> None:
    unknown = reads["results"][2]
    assert "tasks" not in unknown
    assert "certification path" in unknown["error"]
