"""Job arguments arrive as Glue strings and leave as typed values."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from etl.arguments import argument_values, bind_arguments, parse_argv, substitute
from etl.errors import ArgumentError


@dataclasses.dataclass(frozen=True)
class Args:
    run_date: dt.date
    limit: int = 10
    dry_run: bool = False
    ratio: float | None = None


GLUE_ARGV = [
    "--JOB_ID",
    "j_1",
    "--JOB_RUN_ID",
    "jr_1",
    "--job-bookmark-option",
    "job-bookmark-enable",
    "--TempDir",
    "s3://tmp/",
    "--enable-metrics",
    "true",
    "--JOB_NAME",
    "orders",
]


def test_glue_argv_is_parsed_into_pairs() -> None:
    raw = parse_argv([*GLUE_ARGV, "--run_date=2024-05-01", "--flag"])
    assert raw["JOB_NAME"] == "orders"
    assert raw["job-bookmark-option"] == "job-bookmark-enable"
    assert raw["run_date"] == "2024-05-01"
    assert raw["flag"] == "true"


def test_values_are_converted_and_glue_system_arguments_ignored() -> None:
    raw = parse_argv([*GLUE_ARGV, "--run_date", "2024-05-01", "--limit", "7", "--dry_run", "yes"])
    args = bind_arguments(Args, raw)
    assert args == Args(run_date=dt.date(2024, 5, 1), limit=7, dry_run=True, ratio=None)


def test_missing_required_argument_is_named() -> None:
    with pytest.raises(ArgumentError, match="missing job argument --run_date"):
        bind_arguments(Args, {"limit": "3"})


def test_misspelt_argument_is_an_error_not_ignored() -> None:
    with pytest.raises(ArgumentError, match=r"--run_dat .*did you mean --run_date"):
        bind_arguments(Args, {"run_dat": "2024-05-01"})


@pytest.mark.parametrize(
    ("name", "value"), [("limit", "ten"), ("dry_run", "maybe"), ("run_date", "May")]
)
def test_unconvertible_value_names_the_argument(name: str, value: str) -> None:
    raw = {"run_date": "2024-05-01", name: value}
    with pytest.raises(ArgumentError, match=f"--{name}"):
        bind_arguments(Args, raw)


def test_unsupported_annotation_is_reported() -> None:
    @dataclasses.dataclass
    class Bad:
        tags: list[str]

    with pytest.raises(ArgumentError, match="unsupported argument type"):
        bind_arguments(Bad, {"tags": "a,b"})


def test_placeholders_take_argument_values_and_unknown_ones_fail() -> None:
    values = argument_values(Args(run_date=dt.date(2024, 5, 1)))
    assert substitute("s3://b/dt=${run_date}/{json}", values, "x") == "s3://b/dt=2024-05-01/{json}"
    with pytest.raises(ArgumentError, match=r"\$\{run_dat\}.*did you mean 'run_date'"):
        substitute("dt=${run_dat}", values, "S3Source")


names = st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,15}", fullmatch=True)
values = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20).filter(
    lambda v: not v.startswith("--")
)


@given(st.dictionaries(names, values, max_size=6), st.booleans())
def test_parse_argv_recovers_every_pair_in_both_spellings(
    pairs: dict[str, str], joined: bool
) -> None:
    argv: list[str] = []
    for name, value in pairs.items():
        argv += [f"--{name}={value}"] if joined else [f"--{name}", value]
    assert parse_argv(argv) == pairs
