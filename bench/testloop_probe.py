"""Subprocess of the testloop suite: start one SparkSession the way a test run does, then time
a typical chispa transform test repeatedly.  Prints one JSON line.

``fixture``: the settings of etl's shipped ``spark`` fixture (etl.testing.plugin), read from the
plugin so the probe follows its defaults.  ``default``: ``SparkSession.builder.getOrCreate()``.
A third argument (a JSON object) adds settings over the fixture's, to measure a proposed
change of its defaults.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time


def main() -> None:
    mode, repeats = sys.argv[1], int(sys.argv[2])
    extra = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
    started = time.perf_counter()
    from pyspark.sql import SparkSession

    imported = time.perf_counter()
    builder = SparkSession.builder
    if mode == "fixture":
        from etl.testing.plugin import FAST_LOCAL_CONF

        builder = builder.appName("etl-tests")
        warehouse = tempfile.mkdtemp(prefix="bench-warehouse-")
        settings = {**FAST_LOCAL_CONF, "spark.sql.warehouse.dir": warehouse, **extra}
        for key, value in settings.items():
            builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    ready = time.perf_counter()

    from chispa import assert_df_equality

    from bench.job_overhead import Args, curate_orders

    def chispa_test() -> None:
        """What `glueprint new-job` generates, in spirit: rows in, job transform, rows out."""
        orders = spark.createDataFrame(
            [
                (1, 5, 5.00, "new", "2024-01-01"),
                (2, 7, 150.00, "paid", "2024-01-02"),
                (3, 9, 900.00, "shipped", "2024-01-02"),
            ],
            "order_id BIGINT, customer_id INT, amount DOUBLE, status STRING, order_date STRING",
        )
        expected = spark.createDataFrame(
            [
                (2, 7, 150.00, "PAID", "2024-01-02", 138.00, "medium"),
                (3, 9, 900.00, "SHIPPED", "2024-01-02", 828.00, "large"),
            ],
            "order_id BIGINT, customer_id INT, amount DOUBLE, status STRING, "
            "order_date STRING, amount_eur DOUBLE, size STRING",
        )
        result = curate_orders(orders=orders, args=Args(min_amount=10.0))
        assert_df_equality(result, expected, ignore_nullable=True, ignore_row_order=True)

    first_start = time.perf_counter()
    chispa_test()
    first = time.perf_counter() - first_start
    warm = []
    for _ in range(repeats):
        start = time.perf_counter()
        chispa_test()
        warm.append(time.perf_counter() - start)
    spark.stop()
    print(
        json.dumps(
            {
                "import_s": imported - started,
                "session_s": ready - imported,
                "first_test_s": first,
                "warm_test_s": statistics.median(warm),
                "warm_tests": warm,
            }
        )
    )


if __name__ == "__main__":
    main()
