"""new-job rendering and glueprint.yaml editing (plain text in, text out)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import yaml

from etl.errors import EtlError
from generator.config.job_code import connection_uses
from generator.rendering.scaffold import (
    JobSpec,
    add_job,
    parse_jdbc,
    render_job,
    render_test,
    source_names,
    with_defaults,
)

SPEC = JobSpec(
    name="load-orders",
    jdbc=(("my-rds-vpc-connection", "public.orders"), ("my-rds-vpc-connection", "sales.orders")),
    s3=("s3://lake/raw/customers.csv",),
    sink="s3://lake/curated/orders/",
)

CONFIG = """\
# my platform
project: etl-demo   # keep me
jobs:
  - name: existing
    script: jobs/existing.py
    # workers: 2

# closing comment
connections: []
"""


def test_names_are_unique_identifiers() -> None:
    assert SPEC.module == "load_orders" and SPEC.function == "load_orders"
    assert source_names(SPEC) == ["orders", "orders_2", "customers"]
    assert JobSpec(name="2024-report").function == "job_2024_report"


def test_rendered_job_is_valid_python_declaring_its_connections(tmp_path: Path) -> None:
    text = render_job(SPEC)
    ast.parse(text)
    script = tmp_path / "job.py"
    script.write_text(text)
    assert {u.name for u in connection_uses(script)} == {"my-rds-vpc-connection"}
    assert "S3Source('s3://lake/raw/customers.csv', format='csv')" in text
    assert "def load_orders(orders: DataFrame, orders_2: DataFrame, customers: DataFrame)" in text
    ast.parse(render_test(SPEC))


def test_defaults_fill_placeholder_locations_only_when_missing() -> None:
    bare = with_defaults(JobSpec(name="j"), "proj")
    assert bare.s3 == ("s3://proj-data/raw/j/",) and bare.sink == "s3://proj-data/curated/j/"
    assert with_defaults(SPEC, "proj") == SPEC


def test_job_is_appended_to_the_list_keeping_comments() -> None:
    result = add_job(CONFIG, SPEC, ["my-rds-vpc-connection"])
    assert "# my platform" in result and "# keep me" in result and "# closing comment" in result
    data = yaml.safe_load(result)
    assert data["jobs"][1] == {
        "name": "load-orders",
        "script": "jobs/load_orders.py",
        "connections": ["my-rds-vpc-connection"],
    }
    assert data["connections"] == []
    # The indented comment stays with the job it annotates, the new job comes after it.
    assert (
        result.index("# workers: 2")
        < result.index("- name: load-orders")
        < result.index("# closing")
    )


@pytest.mark.parametrize(
    "text",
    [
        "project: p\n",
        "project: p",
        "project: p\njobs: []  # none yet\n",
        "project: p\njobs:\n- name: a\n  script: a.py\n",
    ],
)
def test_job_is_added_to_any_block_layout(text: str) -> None:
    data = yaml.safe_load(add_job(text, SPEC, []))
    assert data["project"] == "p"
    assert data["jobs"][-1]["name"] == "load-orders"
    assert data["jobs"][-1]["connections"] == []
    assert len(data["jobs"]) == (2 if "- name: a" in text else 1)


def test_flow_style_jobs_list_is_refused_with_a_fix() -> None:
    with pytest.raises(EtlError, match="block list"):
        add_job("jobs: [{name: a, script: a.py}]\n", SPEC, [])


@pytest.mark.parametrize("value", ["my-rds", "my-rds:", ":public.t"])
def test_jdbc_option_needs_connection_and_table(value: str) -> None:
    with pytest.raises(EtlError, match="CONNECTION:TABLE"):
        parse_jdbc(value)
