"""etl.mapping: Glue's ApplyMapping, ResolveChoice, SelectFields, DropNullFields and Glue Studio's
SQL node on real local Spark.  Expected frames are written out by hand from Glue's documented
semantics (etl/glue_schema.py cites them), never computed by the code under test."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from chispa import assert_df_equality
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as fn

from etl.errors import OptionError, SchemaMismatchError
from etl.mapping import apply_mapping, drop_null_fields, resolve_choice, select_fields, spark_sql

pytestmark = pytest.mark.spark

CUSTOMERS = (
    "id INT, customer STRUCT<name: STRING, address: STRUCT<city: STRING, zip: STRING>>, "
    "`ship.to` STRING, note STRING"
)


@pytest.fixture(scope="module")
def customers(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [
            (1, ("Ada", ("Lyon", "69001")), "dock 4", "fragile"),
            (2, None, "gate B", None),
        ],
        CUSTOMERS,
    )


def _equal(actual: DataFrame, expected: DataFrame) -> None:
    """Rows, column names and types; nullability differs (a struct built anew is not nullable).
    Rows are ordered by the first column here: chispa's own ordering cannot quote `ship.to`."""
    first = f"`{expected.columns[0]}`"
    assert_df_equality(actual.orderBy(first), expected.orderBy(first), ignore_nullable=True)


# apply_mapping


def test_glue_decimal_is_10_2_rounded_half_up_and_failed_casts_become_null(
    spark: SparkSession,
) -> None:
    prices = spark.createDataFrame(
        [
            (1, Decimal("12.345"), "42", "2024-05-01 23:30:00", "true"),
            (2, Decimal("-1.005"), "x", "not a date", "maybe"),
            (3, Decimal("99999999.994"), None, "2024-05-03", "false"),
            (4, Decimal("100000000.000"), "7", "2024-02-30", None),
        ],
        "id INT, price DECIMAL(12,3), code STRING, ordered_at STRING, paid STRING",
    )
    mapped = apply_mapping(
        prices,
        [
            ("id", "int", "id", "long"),
            ("price", "decimal", "price", "decimal"),
            ("code", "string", "code", "int"),
            ("ordered_at", "string", "order_date", "date"),
            ("paid", "string", "paid", "boolean"),
        ],
    )
    expected = spark.createDataFrame(
        [
            (1, Decimal("12.35"), 42, dt.date(2024, 5, 1), True),  # HALF_UP: .345 -> .35
            (2, Decimal("-1.01"), None, None, None),  # HALF_UP away from zero; no parse -> null
            (3, Decimal("99999999.99"), None, dt.date(2024, 5, 3), False),
            (4, None, 7, None, None),  # 9 digits before the point do not fit decimal(10,2)
        ],
        "id BIGINT, price DECIMAL(10,2), code INT, order_date DATE, paid BOOLEAN",
    )
    _equal(mapped, expected)
    # The trap Glue's default avoids: Spark's own "decimal" has no fraction digits.
    assert prices.select(fn.col("price").cast("decimal")).schema[0].dataType.simpleString() == (
        "decimal(10,0)"
    )


@pytest.mark.parametrize(
    ("glue", "spark_type"),
    [
        ("String", "string"),
        ("int", "int"),
        ("integer", "int"),
        ("Long", "bigint"),
        ("bigint", "bigint"),
        ("short", "smallint"),
        ("smallint", "smallint"),
        ("byte", "tinyint"),
        ("tinyint", "tinyint"),
        ("float", "float"),
        ("double", "double"),
        ("boolean", "boolean"),
        ("date", "date"),
        ("timestamp", "timestamp"),
        ("binary", "binary"),
        ("decimal", "decimal(10,2)"),
        ("DECIMAL(18, 4)", "decimal(18,4)"),
    ],
)
def test_glue_type_names(spark: SparkSession, glue: str, spark_type: str) -> None:
    frame = spark.createDataFrame([("1",)], "v STRING")
    mapped = apply_mapping(frame, [("v", "string", "v", glue)])
    assert mapped.schema.simpleString() == f"struct<v:{spark_type}>"


def test_paths_rename_nest_and_drop_unmapped_columns(
    spark: SparkSession, customers: DataFrame
) -> None:
    mapped = apply_mapping(
        customers,
        [
            ("customer.address.city", "string", "city", "string"),
            ("`ship.to`", "string", "shipping.to", "string"),
            ("CUSTOMER.Name", "string", "shipping.name", "string"),  # matched case-insensitively
            ("id", "int", "id", "long"),
            ("customer", "struct", "customer", "struct"),
        ],
    )
    expected = spark.createDataFrame(
        [
            ("Lyon", ("dock 4", "Ada"), 1, ("Ada", ("Lyon", "69001"))),
            (None, ("gate B", None), 2, None),
        ],
        "city STRING, shipping STRUCT<to: STRING, name: STRING>, id BIGINT, "
        "customer STRUCT<name: STRING, address: STRUCT<city: STRING, zip: STRING>>",
    )
    _equal(mapped, expected)


BAD_MAPPINGS = [
    (
        ("id", "int", "id", "strin"),
        OptionError,
        r"unknown target type 'strin' \(did you mean 'string'\?\)",
    ),
    (
        ("id", "integr", "id", "long"),
        OptionError,
        r"unknown source type 'integr' \(did you mean 'integer'\?\)",
    ),
    (
        ("custmer.name", "string", "n", "string"),
        SchemaMismatchError,
        r"the frame has no field 'custmer' \(did you mean 'customer'\?\); "
        r"its fields: id, customer, ship.to, note",
    ),
    (
        ("customer.adress.city", "string", "c", "string"),
        SchemaMismatchError,
        r"struct customer has no field 'adress' \(did you mean 'address'\?\)",
    ),
    (
        ("ship.to", "string", "s", "string"),
        SchemaMismatchError,
        r"no field 'ship' \(did you mean 'ship.to'\?\)",
    ),
    (
        ("id", "int", "id"),
        OptionError,
        r"entry 1 \('id', 'int', 'id'\): write each entry as "
        r"\(source path, source type, target path, target type\)",
    ),
    (("id", "int", "id", "decimal(40,2)"), OptionError, r"precision of 1 to 38"),
    (("note", "string", "note", "struct"), SchemaMismatchError, r"note is string, not a struct"),
    (("customer.tags[].name", "string", "t", "string"), OptionError, r"reaches into an array"),
    (("`ship.to", "string", "s", "string"), OptionError, r"malformed.*backticks"),
]


@pytest.mark.parametrize(("mapping", "error", "message"), BAD_MAPPINGS)
def test_bad_mapping_entries_name_the_entry_and_the_way_out(
    customers: DataFrame, mapping: tuple[str, ...], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        apply_mapping(customers, [mapping])  # type: ignore[list-item]


def test_a_target_is_produced_once(customers: DataFrame) -> None:
    with pytest.raises(
        OptionError, match=r"entry 2 .*: Shipping collides with apply_mapping entry 1"
    ):
        apply_mapping(
            customers,
            [
                ("`ship.to`", "string", "shipping.to", "string"),
                ("note", "string", "Shipping", "string"),
            ],
        )


def test_a_single_entry_needs_no_list_as_in_glue(customers: DataFrame) -> None:
    mapped = apply_mapping(customers, ("id", "int", "key", "long"))  # type: ignore[arg-type]
    resolved = resolve_choice(customers, ("id", "cast:string"))  # type: ignore[arg-type]
    assert mapped.schema.simpleString() == "struct<key:bigint>"
    assert resolved.schema["id"].dataType.simpleString() == "string"
    assert select_fields(customers, "`ship.to`").columns == ["ship.to"]


# resolve_choice


def test_cast_converts_top_level_and_nested_fields_in_place(
    spark: SparkSession, customers: DataFrame
) -> None:
    resolved = resolve_choice(
        customers, [("customer.address.zip", "cast:long"), ("note", "cast:int")]
    )
    expected = spark.createDataFrame(
        [(1, ("Ada", ("Lyon", 69001)), "dock 4", None), (2, None, "gate B", None)],
        "id INT, customer STRUCT<name: STRING, address: STRUCT<city: STRING, zip: BIGINT>>, "
        "`ship.to` STRING, note INT",
    )
    _equal(resolved, expected)


def test_project_to_the_column_type_changes_nothing(customers: DataFrame) -> None:
    assert_df_equality(resolve_choice(customers, [("id", "project:int")]), customers)


def test_project_to_another_type_says_to_cast(customers: DataFrame) -> None:
    with pytest.raises(
        SchemaMismatchError, match=r"id is int; project keeps only .* use cast:string"
    ):
        resolve_choice(customers, [("id", "project:string")])


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        (("id", "make_cols"), r"make_cols splits a choice type .* use cast:<type>"),
        (("id", "make_struct"), r"make_struct splits a choice type"),
        (("id", "match_catalog"), r"action 'match_catalog' is not supported"),
        (("id", "cast:struct"), r"cast needs an atomic type"),
        (("id",), r"write each spec as \(path, action\)"),
    ],
)
def test_unsupported_resolve_actions_are_refused(
    customers: DataFrame, spec: tuple[str, ...], message: str
) -> None:
    with pytest.raises(OptionError, match=message):
        resolve_choice(customers, [spec])  # type: ignore[list-item]


# select_fields


def test_select_fields_keeps_nesting_and_null_structs(
    spark: SparkSession, customers: DataFrame
) -> None:
    selected = select_fields(customers, ["customer.address.city", "id", "`ship.to`"])
    expected = spark.createDataFrame(
        [((("Lyon",),), 1, "dock 4"), (None, 2, "gate B")],
        "customer STRUCT<address: STRUCT<city: STRING>>, id INT, `ship.to` STRING",
    )
    _equal(selected, expected)


def test_select_fields_refuses_unknown_paths(customers: DataFrame) -> None:
    with pytest.raises(SchemaMismatchError, match=r"struct customer has no field 'nme'.*'name'"):
        select_fields(customers, ["id", "customer.nme"])


# drop_null_fields


@pytest.fixture(scope="module")
def sparse(spark: SparkSession) -> DataFrame:
    return spark.createDataFrame(
        [
            (1, None, "", -1, (None, "a", (None,))),
            (2, None, "null ", None, (None, None, (None,))),
        ],
        "id INT, never INT, blank STRING, code INT, "
        "s STRUCT<gone: STRING, kept: STRING, inner: STRUCT<x: INT>>",
    )


def test_drop_null_fields_drops_only_fields_null_in_every_row(
    spark: SparkSession, sparse: DataFrame
) -> None:
    expected = spark.createDataFrame(
        [(1, "", -1, ("a",)), (2, "null ", None, (None,))],
        "id INT, blank STRING, code INT, s STRUCT<kept: STRING>",
    )
    _equal(drop_null_fields(sparse), expected)


def test_null_values_count_placeholders_as_null(spark: SparkSession, sparse: DataFrame) -> None:
    expected = spark.createDataFrame([(1, ("a",)), (2, (None,))], "id INT, s STRUCT<kept: STRING>")
    _equal(drop_null_fields(sparse, null_values=["", "null", -1]), expected)


@pytest.mark.parametrize("values", ["null", [True], [1.5]])
def test_null_values_must_be_strings_or_integers(sparse: DataFrame, values: object) -> None:
    with pytest.raises(OptionError, match="null_values"):
        drop_null_fields(sparse, null_values=values)  # type: ignore[arg-type]


# spark_sql


def test_spark_sql_reads_frames_by_alias_and_leaves_no_views(
    spark: SparkSession, customers: DataFrame
) -> None:
    totals = spark.createDataFrame(
        [(1, Decimal("9.50")), (1, Decimal("0.50"))], "id INT, amount DECIMAL(10,2)"
    )
    result = spark_sql(
        {"myDataSource": customers, "totals": totals},
        "SELECT c.id, c.customer.name AS name, sum(t.amount) AS total "
        "FROM myDataSource c LEFT JOIN totals t ON c.id = t.id GROUP BY c.id, c.customer.name",
    )
    expected = spark.createDataFrame(
        [(1, "Ada", Decimal("10.00")), (2, None, None)], "id INT, name STRING, total DECIMAL(20,2)"
    )
    _equal(result, expected)
    views = {table.name.lower() for table in spark.catalog.listTables()}
    assert not views & {"mydatasource", "totals"}


def test_spark_sql_needs_sql_names(customers: DataFrame) -> None:
    with pytest.raises(OptionError, match=r"alias 'my-source' is not a SQL name"):
        spark_sql({"my-source": customers}, "SELECT 1")
