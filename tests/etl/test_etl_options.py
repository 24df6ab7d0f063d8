"""Typed options: a typo or an impossible combination is an error at declaration time."""

from __future__ import annotations

import pytest

from etl import JdbcConnection, JdbcSource, OptionError, S3Sink, S3Source


def test_misspelt_option_names_the_closest_valid_one() -> None:
    with pytest.raises(
        OptionError, match=r"unknown option 'partiton_column'.*did you mean 'partition_column'"
    ):
        JdbcSource(connection="c", table="t", partiton_column="id")  # type: ignore[call-arg]


def test_unknown_option_without_close_match_lists_valid_options() -> None:
    with pytest.raises(OptionError, match="valid options: path, format") as info:
        S3Source("s3://b/p", colour="red")  # type: ignore[call-arg]
    assert "did you mean" not in str(info.value)


@pytest.mark.parametrize("kwargs", [{}, {"table": "t", "query": "select 1"}])
def test_jdbc_source_needs_exactly_one_of_table_or_query(kwargs: dict[str, str]) -> None:
    with pytest.raises(OptionError, match="exactly one of 'table' or 'query'"):
        JdbcSource(connection="c", **kwargs)


def test_jdbc_source_rejects_options_it_manages_itself() -> None:
    with pytest.raises(OptionError, match=r"\['partitionColumn'\]"):
        JdbcSource(connection="c", table="t", options={"partitionColumn": "id"})


@pytest.mark.parametrize("bad", [{"num_partitions": 0}, {"fetchsize": 0}, {"connection": ""}])
def test_jdbc_source_rejects_impossible_numbers_and_empty_connection(
    bad: dict[str, object],
) -> None:
    with pytest.raises(OptionError):
        JdbcSource(**{"connection": "c", "table": "t", **bad})  # type: ignore[arg-type]


def test_unsupported_format_suggests_the_right_one() -> None:
    with pytest.raises(OptionError, match="did you mean 'parquet'"):
        S3Source("s3://b/p", format="parket")


def test_partition_by_as_a_string_is_rejected() -> None:
    # A str is a sequence of characters: partitionBy("d", "t") would be silently wrong.
    with pytest.raises(OptionError, match="list of column names"):
        S3Sink("s3://b/p", partition_by="dt")


def test_catalog_table_must_be_qualified() -> None:
    with pytest.raises(OptionError, match=r"database.table"):
        S3Sink("s3://b/p", catalog_table="orders")


def test_options_are_frozen() -> None:
    source = S3Source("s3://b/p")
    with pytest.raises(AttributeError):
        source.path = "s3://other"  # type: ignore[misc]


def test_postgres_reads_default_to_binary_transfer_and_options_override_it() -> None:
    connection = JdbcConnection("db", "jdbc:postgresql://h:5432/app", "etl", "pw", ssl=True)
    options = JdbcSource(connection="db", table="t").reader_options(connection)
    assert options["prepareThreshold"] == "-1"  # see READ_DEFAULTS and docs/performance.md
    assert options["sslmode"] == "verify-full" and options["fetchsize"] == "10000"
    pooled = JdbcSource(connection="db", table="t", options={"prepareThreshold": "0"})
    assert pooled.reader_options(connection)["prepareThreshold"] == "0"
    mysql = JdbcConnection("m", "jdbc:mysql://h:3306/app", "etl", "pw")
    assert "prepareThreshold" not in JdbcSource(connection="m", table="t").reader_options(mysql)
