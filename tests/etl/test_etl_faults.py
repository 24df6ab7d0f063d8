"""Job faults: the database dies mid-read or the transform raises -> the published output is
unchanged, and a rerun after recovery publishes exactly what one clean run does."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from chispa import assert_df_equality
from conftest import CONNECTION, ScratchCluster
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as fn

from etl import JdbcSource, S3Sink, job
from etl.profile import LocalProfile
from etl.sinks import STAGING_DIR
from etl.testing import run_local

pytestmark = [pytest.mark.spark, pytest.mark.postgres]

ROWS = 4000
SLOW_ID = ROWS  # in the upper partition of a 2-way split on id


def _seed(cluster: ScratchCluster, rows: int) -> None:
    cluster.psql(
        "DROP VIEW IF EXISTS slow_orders; DROP TABLE IF EXISTS orders, gate;"
        "CREATE TABLE gate (slow boolean NOT NULL); INSERT INTO gate VALUES (false);"
        "CREATE TABLE orders (id int PRIMARY KEY, day date NOT NULL, amount numeric(10,2));"
        f"INSERT INTO orders SELECT i, DATE '2024-01-01' + (i % 3), i * 0.5"
        f" FROM generate_series(1, {rows}) i;"
        # Sleeps on one row, only while gate.slow and only in Spark's upper-partition query
        # (not in the min/max planning query): a deterministic 'read in progress' to kill.
        "CREATE OR REPLACE FUNCTION etl_gate(i int) RETURNS boolean LANGUAGE plpgsql AS $$"
        f" BEGIN IF i = {SLOW_ID} AND current_query() LIKE '%\"id\" >= %'"
        " AND (SELECT slow FROM gate) THEN PERFORM pg_sleep(120); END IF; RETURN true; END $$;"
        "CREATE VIEW slow_orders AS SELECT * FROM orders WHERE etl_gate(id);"
        f"ALTER TABLE orders OWNER TO {cluster.user}; ALTER TABLE gate OWNER TO {cluster.user};"
        f"ALTER VIEW slow_orders OWNER TO {cluster.user}"
    )


@job(
    sources={
        "orders": JdbcSource(
            connection=CONNECTION, table="public.slow_orders", partition_column="id"
        )
    },
    sink=S3Sink("s3://lake/orders", partition_by=["day"]),
)
def daily_orders(orders: DataFrame) -> DataFrame:
    return orders.withColumn("day", fn.col("day").cast("string"))


def _published(spark: SparkSession, profile: LocalProfile) -> DataFrame:
    frame = spark.read.parquet(profile.local_path("s3://lake/orders"))
    return frame.withColumn("day", fn.col("day").cast("string")).orderBy("id")


def _stop_when_sleeping(cluster: ScratchCluster, errors: list[BaseException]) -> None:
    try:
        deadline = time.monotonic() + 90
        query = "SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'"
        while cluster.psql(query) != "1":
            assert time.monotonic() < deadline, "the partitioned read never reached the slow row"
            time.sleep(0.1)
        cluster.stop()  # fast shutdown: terminates the reading session mid-query
    except BaseException as exc:  # reported by the test thread
        errors.append(exc)


def test_database_dying_mid_read_leaves_output_unchanged_and_rerun_recovers(
    spark: SparkSession, scratch_running: ScratchCluster, scratch_profile: LocalProfile
) -> None:
    cluster = scratch_running
    _seed(cluster, 300)
    run_local(daily_orders, spark, scratch_profile)
    published = _published(spark, scratch_profile)
    before = spark.createDataFrame(published.collect(), published.schema)
    assert before.count() == 300

    _seed(cluster, ROWS)
    cluster.psql("UPDATE gate SET slow = true")
    errors: list[BaseException] = []
    killer = threading.Thread(target=_stop_when_sleeping, args=(cluster, errors))
    killer.start()
    try:
        # The reading session is terminated by the server's shutdown (SQLSTATE 57P01).
        terminated = "PSQLException: FATAL: terminating connection due to administrator command"
        with pytest.raises(Exception, match=terminated):
            run_local(daily_orders, spark, scratch_profile)
    finally:
        killer.join(120)
    assert not errors, errors
    assert not cluster.is_running()

    # Readers still see exactly the previous output; no staging left behind.
    assert_df_equality(_published(spark, scratch_profile), before, ignore_nullable=True)
    assert not Path(scratch_profile.local_path("s3://lake/orders")[7:], STAGING_DIR).exists()

    # Recovery: the rerun publishes what a clean run publishes, and a second run changes nothing.
    cluster.start()
    cluster.psql("UPDATE gate SET slow = false")
    run_local(daily_orders, spark, scratch_profile)
    first = _published(spark, scratch_profile)
    assert first.count() == ROWS
    expected = daily_orders(orders=spark.read.format("jdbc").options(
        url=cluster.jdbc_url, user=cluster.user, password=cluster.password,
        dbtable="public.orders", driver="org.postgresql.Driver",
    ).load()).select(*first.columns).orderBy("id")  # fmt: skip
    assert_df_equality(first, expected, ignore_nullable=True)
    run_local(daily_orders, spark, scratch_profile)
    assert_df_equality(_published(spark, scratch_profile), first, ignore_nullable=True)


def test_exception_in_transform_leaves_output_unchanged(
    spark: SparkSession, scratch_running: ScratchCluster, scratch_profile: LocalProfile
) -> None:
    _seed(scratch_running, 50)
    run_local(daily_orders, spark, scratch_profile)
    before = _published(spark, scratch_profile)
    before_rows = before.collect()
    scratch_running.psql("UPDATE orders SET amount = amount + 1")

    @job(
        sources={"orders": JdbcSource(connection=CONNECTION, table="public.orders")},
        sink=S3Sink("s3://lake/orders", partition_by=["day"]),
    )
    def broken(orders: DataFrame) -> DataFrame:
        orders.count()  # the read happened
        raise RuntimeError("bug in transform")

    with pytest.raises(RuntimeError, match="bug in transform"):
        run_local(broken, spark, scratch_profile)
    assert_df_equality(
        _published(spark, scratch_profile),
        spark.createDataFrame(before_rows, before.schema),
        ignore_nullable=True,
    )
