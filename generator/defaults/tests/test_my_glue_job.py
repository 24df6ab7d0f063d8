"""Tests of job my-glue-job: the transform on tiny in-memory frames, no I/O."""

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from chispa import assert_df_equality

from etl.testing import load_job

JOB = load_job(Path(__file__).resolve().parents[1] / "jobs" / "my_glue_job.py")


@pytest.mark.spark
def test_orders_get_their_customers_country_and_a_date(spark):  # type: ignore[no-untyped-def]
    orders = spark.createDataFrame(
        [
            (1, 10, Decimal("9.50"), datetime(2026, 1, 2, 23, 59)),
            (2, 11, Decimal("3.00"), datetime(2026, 1, 3, 0, 1)),
            (3, 99, Decimal("1.25"), datetime(2026, 1, 3, 8, 0)),
        ],
        "order_id INT, customer_id INT, amount DECIMAL(10,2), ordered_at TIMESTAMP",
    )
    customers = spark.createDataFrame(
        [(10, "Ada", "DE"), (11, "Bo", "JP")], "customer_id INT, name STRING, country STRING"
    )

    result = JOB(orders=orders, customers=customers)

    expected = spark.createDataFrame(
        [
            (1, 10, "DE", Decimal("9.50"), date(2026, 1, 2)),
            (2, 11, "JP", Decimal("3.00"), date(2026, 1, 3)),
            (3, 99, None, Decimal("1.25"), date(2026, 1, 3)),
        ],
        "order_id INT, customer_id INT, country STRING, amount DECIMAL(10,2), order_date DATE",
    )
    assert_df_equality(result, expected, ignore_row_order=True)
