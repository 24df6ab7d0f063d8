"""A custom CA as a trust store file that the driver JVM and every executor open by one name.

MySQL Connector/J takes a CA only as a key store it opens by URL (``trustCertificateKeyStoreUrl``),
never inline, and a Spark read opens connections in the driver JVM (schema, partition plan) and
in every executor, each on its own host with its own working directory.  Spark gives one name
that resolves in all of them: a file added with ``SparkContext.addFile`` is fetched into each
executor's working directory before its first task (``SparkFiles.getRootDirectory()`` is ``.``
there), and this module writes the same file into the driver JVM's working directory
(``user.dir``).  A relative ``file:`` URL then opens it everywhere; in local mode the executors
are the driver JVM.

The file is a JKS store (readable by every JVM Glue runs, 8 to 17) of the PEM's certificates with
an empty store password: it holds public certificates only, and Connector/J opens a store given
no password with an empty one.  Its name is the hash of the PEM, so two CAs never share a name
and a CA added twice is the same file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

from etl.errors import ConnectionResolutionError
from etl.tls_ca import certificates

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

_added: set[tuple[str, str]] = set()  # (application id, file name) handed to addFile
_lock = threading.Lock()


def trust_store_url(spark: SparkSession, connection: str, ca_pem: str) -> str:
    """``file:<name>``: a JKS trust store of ``ca_pem``'s certificates, in the working directory
    of the driver JVM and, through ``addFile``, of every executor of ``spark``."""
    name = f"glueprint-ca-{hashlib.sha256(ca_pem.encode('ascii')).hexdigest()[:16]}.jks"
    context = spark.sparkContext
    assert context._jvm is not None  # a live SparkContext has one
    path = Path(context._jvm.java.lang.System.getProperty("user.dir")) / name
    key = (context.applicationId, name)
    with _lock:
        if key not in _added:
            try:
                _write_atomically(path, _jks(spark, connection, ca_pem))
            except OSError as exc:
                raise ConnectionResolutionError(
                    f"connection '{connection}': cannot write the CA's trust store {path} "
                    f"({exc}); the driver's working directory must be writable"
                ) from None
            context.addFile(str(path))
            _added.add(key)
    return f"file:{name}"


def _jks(spark: SparkSession, connection: str, ca_pem: str) -> bytes:
    """The bytes of a JKS store holding every certificate of ``ca_pem``, built by the JVM."""
    jvm = spark.sparkContext._jvm
    gateway = spark.sparkContext._gateway
    assert jvm is not None and gateway is not None  # a live SparkContext has both
    store = jvm.java.security.KeyStore.getInstance("JKS")
    store.load(None, None)
    factory = jvm.java.security.cert.CertificateFactory.getInstance("X.509")
    for index, der in enumerate(certificates(connection, "", ca_pem)):
        certificate = factory.generateCertificate(jvm.java.io.ByteArrayInputStream(der))
        store.setCertificateEntry(f"ca-{index}", certificate)
    out = jvm.java.io.ByteArrayOutputStream()
    store.store(out, gateway.new_array(jvm.char, 0))
    return bytes(out.toByteArray())


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that no reader ever opens a half-written store."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
