"""Run the example job from the shipped etl zip in an interpreter that has only Glue's pyspark,
and check its output against PostgreSQL's own figures.

nox's `packaged` session runs this with PYTHONPATH = the zip that `glueprint package` builds
(what Glue gets as --extra-py-files) in a venv holding only the Glue version's pyspark, so an
import that the zip or Glue does not provide fails here rather than on Glue. It uses only the
standard library, pyspark and the zip; PostgreSQL (GLUEPRINT_TEST_PG_URL) is seeded and queried
with the psql client. Any wrong output exits with status 1 and says what differs.

The job runs through the local runtime with its profile built in code: Glue itself would pick
the Glue runtime, which needs awsglue (only on Glue), and a TOML profile would need tomli on
Python 3.10.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import os
import re
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import NoReturn
from urllib.parse import urlsplit

ROWS = 20_000
DAYS = 30
COUNTRIES = ("DE", "FR", "JP")
CONNECTION = "my-rds-vpc-connection"
PG_JAR = Path("/usr/share/java/postgresql.jar")
Figures = dict[tuple[str, str], tuple[int, Decimal]]
"""(order day, country) -> (orders, sum of amounts)."""
GLUE_LIKE = {"pyspark", "py4j", "pip", "setuptools", "wheel"}
"""Distributions the venv may hold: pyspark, its py4j, and what venv itself installs."""


def fail(message: str) -> NoReturn:
    raise SystemExit(f"packaged example job FAILED: {message}")


def check_interpreter(python: str, spark: str) -> None:
    """The Glue version's Python and Spark, nothing else installed, etl from the zip alone."""
    import pyspark

    running = f"{sys.version_info.major}.{sys.version_info.minor}"
    if running != python:
        fail(f"running Python {running}, but this Glue version runs Python {python}")
    if not pyspark.__version__.startswith(f"{spark}."):
        fail(f"pyspark {pyspark.__version__} installed, but this Glue version runs Spark {spark}")
    names = {
        re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower()
        for dist in importlib.metadata.distributions()
    }
    if names - GLUE_LIKE:
        fail(
            f"the venv must hold only pyspark, as on Glue; it also has {sorted(names - GLUE_LIKE)}"
        )
    archives = [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]
    if len(archives) != 1 or not archives[0].endswith(".zip"):
        fail(f"PYTHONPATH must be the etl zip alone, as --extra-py-files; it is {archives}")
    import etl

    if not Path(etl.__file__).resolve().is_relative_to(Path(archives[0]).resolve()):
        fail(f"etl was imported from {etl.__file__}, not from {archives[0]}")
    if importlib.util.find_spec("generator") is not None:
        fail("glueprint's generator package is importable: the checkout leaked onto sys.path")


def psql(url: str, sql: str) -> str:
    done = subprocess.run(
        ["psql", url, "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        fail(f"psql: {done.stderr.strip()}")
    return done.stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job", type=Path, required=True, help="the example job script")
    parser.add_argument("--work", type=Path, required=True, help="an empty scratch directory")
    parser.add_argument("--python", required=True, help="the Glue version's Python, e.g. 3.10")
    parser.add_argument("--spark", required=True, help="the Glue version's Spark, e.g. 3.3")
    options = parser.parse_args()
    url = os.environ.get("GLUEPRINT_TEST_PG_URL")
    if not url:
        fail('GLUEPRINT_TEST_PG_URL is not set; run `eval "$(.ci/postgres.sh start)"`')
    if not PG_JAR.is_file():
        fail(f"PostgreSQL JDBC driver missing at {PG_JAR} (libpostgresql-jdbc-java)")
    check_interpreter(options.python, options.spark)

    table = f"etl_packaged.orders_{os.getpid()}"
    psql(
        url,
        f"CREATE SCHEMA IF NOT EXISTS etl_packaged; CREATE TABLE {table} (order_id int PRIMARY KEY,"
        " customer_id int NOT NULL, amount numeric(10,2) NOT NULL, ordered_at timestamp NOT NULL);"
        f"INSERT INTO {table} SELECT i, i % 1000, (i % 997) / 10.0, timestamp '2026-01-01' + "
        f"(i % {DAYS}) * interval '1 day' + (i % 86400) * interval '1 second' "
        f"FROM generate_series(1, {ROWS}) i",
    )
    try:
        started = time.monotonic()
        written = run_job(options.job, options.work.resolve(), url, table)
        check_output(written, url, table)
    finally:
        psql(url, f"DROP TABLE IF EXISTS {table}")
    print(
        f"packaged example job OK on Python {sys.version.split()[0]}: {ROWS} orders in {DAYS} "
        f"partitions match PostgreSQL ({time.monotonic() - started:.1f} s)"
    )


def run_job(script: Path, work: Path, url: str, table: str) -> Figures:
    """Run the job on local Spark with its profile; return the figures of what it wrote."""
    from pyspark.sql import SparkSession
    from pyspark.sql import functions as fn

    from etl import LocalProfile, SparkRuntime
    from etl.loading import load_job
    from etl.profile import LocalConnection

    os.environ["PYSPARK_PYTHON"] = sys.executable
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = (
        SparkSession.builder.master("local[2]")
        .appName("packaged-example-job")
        .config("spark.jars", str(PG_JAR))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "4")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    lake = work / "lake"
    spark.range(0, 1000).select(
        fn.col("id").cast("int").alias("customer_id"),
        fn.concat(fn.lit("customer "), fn.col("id")).alias("name"),
        fn.element_at(fn.array(*map(fn.lit, COUNTRIES)), (fn.col("id") % 3 + 1).cast("int")).alias(
            "country"
        ),
    ).write.parquet(str(lake / "raw" / "customers"))

    parts = urlsplit(url)
    os.environ["PACKAGED_PG_USER"] = parts.username or ""
    os.environ["PACKAGED_PG_PASSWORD"] = parts.password or ""
    jdbc = f"jdbc:postgresql://{parts.hostname}:{parts.port}{parts.path}"
    profile = LocalProfile(
        connections={CONNECTION: LocalConnection(jdbc, "PACKAGED_PG_USER", "PACKAGED_PG_PASSWORD")},
        paths={"s3://lake": lake},
    )
    job = load_job(script)
    job.main(
        ["--data_bucket", "lake", "--source_table", table],
        runtime=SparkRuntime.local(profile, spark),
    )

    out = lake / "curated" / "orders"
    days = sorted(p.name for p in out.glob("order_date=*"))
    if len(days) != DAYS:
        fail(f"{out} has {len(days)} order_date partitions, expected {DAYS}: {days}")
    rows = (
        spark.read.parquet(str(out))
        .groupBy("order_date", "country")
        .agg(fn.count("*").alias("orders"), fn.sum("amount").alias("amount"))
        .collect()
    )
    spark.stop()
    return {(str(r.order_date), r.country): (r.orders, r.amount) for r in rows}


def check_output(written: Figures, url: str, table: str) -> None:
    """The same figures computed by PostgreSQL itself, independently of Spark."""
    expected: Figures = {}
    for line in psql(
        url,
        f"SELECT ordered_at::date, (ARRAY{list(COUNTRIES)})[customer_id % 3 + 1], count(*), "
        f"sum(amount) FROM {table} GROUP BY 1, 2",
    ).splitlines():
        day, country, orders, amount = line.split("|")
        expected[(day, country)] = (int(orders), Decimal(amount))
    total = sum(orders for orders, _ in written.values())
    if total != ROWS:
        fail(f"the job wrote {total} orders, PostgreSQL holds {ROWS}")
    wrong = [
        f"{key}: job {written.get(key)}, PostgreSQL {expected.get(key)}"
        for key in sorted(expected.keys() | written.keys(), key=str)
        if written.get(key) != expected.get(key)
    ]
    if wrong:
        fail(f"{len(wrong)} (day, country) aggregate(s) differ, e.g.\n  " + "\n  ".join(wrong[:5]))


if __name__ == "__main__":
    main()
