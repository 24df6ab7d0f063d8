"""A Glue Studio job (glue_studio_orders.py) ported to etl, run end to end against PostgreSQL.

The port keeps the original's ApplyMapping list and SQL query verbatim (they are read from the
Glue script), reads the table through the same named connection, takes the table from the same
job argument, and writes to the same S3 path (a local directory here).  The expected rows are
worked out by hand from Glue's documented semantics: mapped fields only, Glue's ``decimal`` is
``decimal(10,2)``, a value that does not convert becomes null, a dotted target nests, a name in
backticks may contain dots.  Decimal rounding is Spark's HALF_UP (Glue does not document its own).
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession

from etl import JdbcSource, LocalProfile, S3Sink, job
from etl.mapping import apply_mapping, spark_sql
from etl.testing import run_local

pytestmark = [pytest.mark.spark, pytest.mark.postgres]

GLUE_SCRIPT = Path(__file__).with_name("glue_studio_orders.py")


def _from_glue_script() -> tuple[Any, Any]:
    """The original's ``ApplyMapping.apply(mappings=...)`` list and its ``SqlQuery0``."""
    tree = ast.parse(GLUE_SCRIPT.read_text(encoding="utf-8"))
    mappings = next(
        keyword.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "apply"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "ApplyMapping"
        for keyword in node.keywords
        if keyword.arg == "mappings"
    )
    query = next(
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign)
        and any(
            isinstance(target, ast.Name) and target.id == "SqlQuery0" for target in node.targets
        )
    )
    return ast.literal_eval(mappings), ast.literal_eval(query)


MAPPINGS, QUERY = _from_glue_script()


@dataclasses.dataclass(frozen=True)
class Args:
    source_table: str  # getResolvedOptions(sys.argv, ["JOB_NAME", "source_table"])


@job(
    name="curated-orders",
    sources={"orders": JdbcSource(connection="my-rds-vpc-connection", table="${source_table}")},
    sink=S3Sink("s3://lake/curated/orders/"),
    arguments=Args,
)
def curated_orders(orders: DataFrame) -> DataFrame:
    """The Change Schema and SQL Query nodes; source and sink are the declarations above."""
    return spark_sql({"myDataSource": apply_mapping(orders, MAPPINGS)}, QUERY)


def test_ported_glue_studio_job_writes_what_glue_documents(
    spark: SparkSession,
    psql: Callable[[str], str],
    pg_table: str,
    etl_profile: Callable[..., LocalProfile],
) -> None:
    psql(
        f'CREATE TABLE {pg_table} (order_id int PRIMARY KEY, "customer.name" text, '
        "price numeric(12,3), ordered_at text, ship_city text, status text, internal_note text);"
        f"INSERT INTO {pg_table} VALUES "
        "(1, 'Ada', 12.345, '2024-05-01 23:30:00', 'Lyon', 'shipped', 'vip'),"
        "(2, 'Bob', 7.004, '2024-05-02 08:00:00', 'Oslo', 'cancelled', NULL),"
        "(3, 'Cy', 99999999.994, '2024-05-02 09:15:00', 'Rome', 'shipped', NULL),"
        "(4, 'Di', -1.005, '2024-05-03', 'Oslo', 'refunded', 'refund'),"
        "(5, 'Eve', 2.005, 'n/a', 'Paris', 'shipped', NULL),"
        "(6, NULL, 0.004, '2024-05-04T10:00:00', NULL, 'shipped', NULL)"
    )
    profile = etl_profile("lake")

    result = run_local(curated_orders, spark, profile, ["--source_table", pg_table])

    assert result.outputs["output"].endswith("lake/curated/orders")
    written = spark.read.parquet(profile.local_path("s3://lake/curated/orders/"))
    expected = spark.createDataFrame(
        [
            (1, "Ada", Decimal("12.35"), dt.date(2024, 5, 1), ("Lyon",)),  # .345 rounds up
            # 2 is cancelled: the SQL node filters it out
            (3, "Cy", Decimal("99999999.99"), dt.date(2024, 5, 2), ("Rome",)),  # 10 digits fit
            (4, "Di", Decimal("-1.01"), dt.date(2024, 5, 3), ("Oslo",)),  # half away from zero
            (5, "Eve", Decimal("2.01"), None, ("Paris",)),  # 'n/a' is no date: null
            (6, None, Decimal("0.00"), dt.date(2024, 5, 4), (None,)),
        ],
        # internal_note and status are not in the output; ship_city went into a struct
        "order_id BIGINT, customer_name STRING, price DECIMAL(10,2), order_date DATE, "
        "shipping STRUCT<city: STRING>",
    )
    assert_df_equality(  # the JDBC reader's column metadata rides along; it is not compared
        written.orderBy("order_id"),
        expected.orderBy("order_id"),
        ignore_nullable=True,
        ignore_metadata=True,
    )
