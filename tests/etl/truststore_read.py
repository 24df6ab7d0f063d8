"""Run by test_etl_jdbc_truststore.py in a process of its own: reads over verified TLS with a
custom CA as a trust store file, on a Spark whose executors are other JVMs in other working
directories (``local-cluster``), which a test's in-process local Spark cannot be.

Input on stdin (JSON): ``port``, ``user``, ``password``, ``jar``, ``output`` (a file) and the
``cases`` to read, each ``{"host": ..., "ca_pem": ..., "add_file": ...}`` (``false``: the
control, where etl's ``SparkContext.addFile`` call does nothing).  Written to ``output`` (JSON), per
case: the trust store options etl set, the certificates the store holds (base64 DER, read back
by the JVM), and either the rows each task read with the working directory it ran in, or the
driver's error.

The options are etl's for a ``jdbc:mysql:`` URL (MySQL Connector/J's), read by the MariaDB
Connector/J 2.7 installed here: Connector/J itself is not installable on this machine.  2.7 reads
Connector/J's ``trustCertificateKeyStoreUrl`` as its alias of ``trustStore`` and verifies chain
and host name, but switches TLS on with ``useSsl`` rather than ``sslMode``, hence the two options
swapped in below.
"""

from __future__ import annotations

import base64
import json
import os
import sys
from collections.abc import Iterator

from py4j.protocol import Py4JJavaError
from pyspark.sql import SparkSession

from etl import JdbcSource
from etl.connections import JdbcConnection
from etl.tls import trust

CONNECTION = "tls-db"


def _stored_certificates(spark: SparkSession, url: str) -> list[str]:
    """The certificates of the trust store at ``url`` as the driver JVM opens it (JKS, the
    empty password Connector/J uses when given none)."""
    jvm = spark.sparkContext._jvm
    gateway = spark.sparkContext._gateway
    assert jvm is not None and gateway is not None
    store = jvm.java.security.KeyStore.getInstance("JKS")
    stream = jvm.java.net.URL(url).openStream()
    try:
        store.load(stream, gateway.new_array(jvm.char, 0))
    finally:
        stream.close()
    # getEncoded through the public java.security.cert.Certificate: the certificates' own class
    # (sun.security.x509.X509CertImpl) is in a package Java 17 does not open to py4j's calls.
    no_types = gateway.new_array(jvm.java.lang.Class, 0)
    no_arguments = gateway.new_array(jvm.java.lang.Object, 0)
    encoded = jvm.java.lang.Class.forName("java.security.cert.Certificate").getMethod(
        "getEncoded", no_types
    )
    certificates = [store.getCertificate(alias) for alias in sorted(store.aliases())]
    return [
        base64.b64encode(bytes(encoded.invoke(c, no_arguments))).decode("ascii")
        for c in certificates
    ]


def _rows_per_task(rows: Iterator[object]) -> Iterator[tuple[str, int]]:
    yield os.getcwd(), sum(1 for _ in rows)


def main() -> None:
    given = json.load(sys.stdin)
    spark = (
        SparkSession.builder.master("local-cluster[2,1,1024]")
        .config("spark.jars", given["jar"])
        .config("spark.executor.memory", "512m")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    results = []
    for case in given["cases"]:
        connection = JdbcConnection(
            CONNECTION,
            f"jdbc:mysql://{case['host']}:{given['port']}/glueprint",
            given["user"],
            given["password"],
            ssl=True,
            trust=trust(CONNECTION, case["ca_pem"]),
        )
        context = spark.sparkContext
        if not case["add_file"]:
            context.addFile = lambda path, recursive=False: None  # type: ignore[method-assign]
        try:
            options = JdbcSource(connection=CONNECTION, table="tls_rows").reader_options(
                connection, spark
            )
        finally:
            vars(context).pop("addFile", None)
        result: dict[str, object] = {
            "trust": {k: v for k, v in options.items() if k.startswith("trustCertificate")},
            "stored": _stored_certificates(spark, options["trustCertificateKeyStoreUrl"]),
        }
        stand_in = {**options, "driver": "org.mariadb.jdbc.Driver", "useSsl": "true"}
        try:
            frame = (
                spark.read.format("jdbc")
                .options(**stand_in)
                .option("dbtable", "tls_rows")
                .option("partitionColumn", "id")
                .option("lowerBound", "1")
                .option("upperBound", "101")
                .option("numPartitions", "4")
                .load()
            )
            result["tasks"] = frame.rdd.mapPartitions(_rows_per_task).collect()
        except Py4JJavaError as exc:
            result["error"] = str(exc.java_exception)
        results.append(result)
    with open(given["output"], "w", encoding="utf-8") as out:
        json.dump({"driver_directory": os.getcwd(), "results": results}, out)
    spark.stop()


if __name__ == "__main__":
    main()
