"""A two-source incremental job run in its own process, for test_etl_sigkill.py to kill.

``python sigkill_job.py ROOT JDBC_URL TABLE_A TABLE_B LATENCY`` runs the job once on the
S3-semantics stand-in under ROOT, each storage request taking LATENCY seconds (so that the
publish lasts long enough to be killed in the middle), and prints the result.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pyspark.sql import DataFrame, SparkSession

from etl import JdbcSource, LocalProfile, S3Sink, SparkRuntime, job
from etl.profile import LocalConnection
from etl.testing import local_profile
from etl.testing.object_store import ObjectStore, ObjectStoreRuntime

CONNECTION = "my-rds-vpc-connection"


def main(root: Path, url: str, first: str, second: str, latency: float) -> None:
    @job(
        sources={
            name: JdbcSource(connection=CONNECTION, table=table, watermark_column="id")
            for name, table in (("a", first), ("b", second))
        },
        sink=S3Sink("s3://lake/out", partition_by=["day"], mode="append"),
    )
    def load(a: DataFrame, b: DataFrame) -> DataFrame:
        return a.unionByName(b).repartition(64)  # hundreds of files to move

    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.jars", "/usr/share/java/postgresql.jar")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    lake = local_profile(root, ["lake"])
    connection = LocalConnection(url, "TEST_PG_USER", "TEST_PG_PASSWORD")
    profile = LocalProfile(connections={CONNECTION: connection}, paths=lake.paths)
    runtime = ObjectStoreRuntime(
        SparkRuntime.local(profile, spark=spark), ObjectStore(root, latency=latency)
    )
    result = load.run(runtime, ["--JOB_RUN_ID", f"jr_{os.getpid()}"])
    print(f"done {result.watermarks}", flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]))
