"""`format_hcl` lays HCL out exactly as `terraform fmt` does."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.rendering.hclfmt import format_hcl
from tests.conftest import Terraform

MESSY = """
resource "aws_thing" "x" {
name = "a"
      longer_name   =   "b"
tags = merge(var.tags, {
Name = "x-${var.y}"
"quoted-key" = "{not a brace}"
})

  nested {
  a = 1


  bb = [1, 2]
  }
list = [
"a",
"b",
]
}
"""

EXPECTED = """resource "aws_thing" "x" {
  name        = "a"
  longer_name = "b"
  tags = merge(var.tags, {
    Name         = "x-${var.y}"
    "quoted-key" = "{not a brace}"
  })

  nested {
    a = 1

    bb = [1, 2]
  }
  list = [
    "a",
    "b",
  ]
}
"""


def test_indents_aligns_and_collapses_blank_lines() -> None:
    assert format_hcl(MESSY) == EXPECTED


def test_is_idempotent() -> None:
    assert format_hcl(format_hcl(MESSY)) == format_hcl(MESSY)


def test_comparison_operators_are_not_assignments() -> None:
    text = 'a = 1\ncondition = var.x >= 2 && var.y != "z"\n'
    assert format_hcl(text) == 'a         = 1\ncondition = var.x >= 2 && var.y != "z"\n'


def terraform_fmt(terraform: Terraform, work: Path, text: str) -> str:
    (work / "x.tf").write_text(text)
    terraform.run(work, "fmt", "x.tf")
    return (work / "x.tf").read_text()


@pytest.mark.terraform
def test_output_is_left_alone_by_terraform_fmt(terraform: Terraform, tmp_path: Path) -> None:
    formatted = format_hcl(MESSY)
    assert terraform_fmt(terraform, tmp_path, formatted) == formatted


keys = st.from_regex(r"[a-z][a-z0-9_]{0,14}", fullmatch=True)
values = st.one_of(
    st.integers(-5, 10**6).map(str),
    st.booleans().map(lambda b: "true" if b else "false"),
    st.from_regex(r'"[a-zA-Z0-9 ${}:/.-]{0,12}"', fullmatch=True).filter(
        lambda s: "${" not in s and "%{" not in s
    ),
)
bodies = st.lists(
    st.tuples(keys, values, st.integers(0, 6), st.booleans()),
    min_size=1,
    max_size=8,
    unique_by=lambda t: t[0],
)


@pytest.mark.terraform
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(body=bodies)
def test_matches_terraform_fmt_on_generated_blocks(
    terraform: Terraform, tmp_path_factory, body
) -> None:  # type: ignore[no-untyped-def]
    lines = ['resource "x" "y" {']
    for key, value, spaces, blank in body:
        lines.append(" " * spaces + f"{key}{' ' * spaces}= {value}")
        if blank:
            lines.append("")
    lines.append("}")
    text = "\n".join(lines) + "\n"
    work = tmp_path_factory.mktemp("fmt")
    formatted = format_hcl(text)
    assert terraform_fmt(terraform, work, formatted) == formatted
    if not any(blank for *_, blank in body):  # terraform fmt keeps blank lines; we collapse them
        assert terraform_fmt(terraform, work, text) == formatted
