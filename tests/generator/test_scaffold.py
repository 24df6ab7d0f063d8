"""new-job rendering and glueprint.yaml editing (plain text in, text out), and the command
writing a job whose generated test passes."""

from __future__ import annotations

import ast
import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from click.testing import CliRunner
from pyspark.sql import SparkSession

from etl.errors import EtlError
from generator.cli.jobs import new_job
from generator.config.job_code import connection_uses
from generator.rendering.scaffold import (
    JobSpec,
    add_job,
    job_entry,
    parse_jdbc,
    render_job,
    render_test,
    s3_format,
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


@pytest.mark.parametrize(
    ("uri", "given", "expected"),
    [
        ("s3://lake/raw/orders.csv", None, ("csv", "the path's extension")),
        ("s3://lake/raw/events.json.gz", None, ("json", "the path's extension")),
        ("s3://lake/raw/events.jsonl", None, ("json", "the path's extension")),
        ("s3://lake/raw/orders.csv", "json", ("json", "--format")),
        ("s3://lake/raw/orders/", "csv", ("csv", "--format")),
    ],
)
def test_s3_format_is_the_option_else_the_extension(
    uri: str, given: str | None, expected: tuple[str, str]
) -> None:
    assert s3_format(uri, given) == expected


def test_s3_format_without_an_extension_is_parquet_and_says_how_to_change_it() -> None:
    fmt, why = s3_format("s3://lake/raw/csv-exports/", None)
    assert fmt == "parquet"
    assert why == "the default: no extension in the path; pass --format csv|json if not"


def test_connection_names_glue_allows_are_quoted_in_the_job_entry() -> None:
    names = ["my rds connection", "a, b", "true", "x: y", "plain-name"]
    lines = job_entry(JobSpec(name="j"), names, "  ")
    assert lines[-1] == '    connections: ["my rds connection", "a, b", "true", "x: y", plain-name]'
    assert yaml.safe_load("\n".join(lines))[0]["connections"] == names


CONFIG_WITH_NETWORK = """\
project: etl-demo
region: eu-west-1
connections:
  - name: my-s3-vpc-connection
    type: NETWORK
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "glueprint.yaml").write_text(CONFIG_WITH_NETWORK)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def generated_test(project: Path, module: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(module, project / "tests" / f"{module}.py")
    assert spec is not None and spec.loader is not None
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


@pytest.mark.spark
def test_new_job_reading_csv_writes_a_csv_job_whose_generated_tests_pass(
    project: Path, spark: SparkSession, tmp_path_factory: pytest.TempPathFactory
) -> None:
    result = CliRunner().invoke(
        new_job, ["daily-orders", "--s3", "s3://lake/raw/orders/", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert "reads s3://lake/raw/orders/ as csv (--format)" in result.output
    script = (project / "jobs" / "daily_orders.py").read_text()
    assert "S3Source('s3://lake/raw/orders/', format='csv')" in script

    tests = generated_test(project, "test_daily_orders")
    tests.test_transform_drops_duplicate_rows(spark)
    # The whole job on csv files written by the test, read back through the job's source.
    tests.test_job_reads_its_files_and_publishes_distinct_rows(
        spark, tmp_path_factory.mktemp("files")
    )


def test_new_job_says_when_it_chose_parquet_for_lack_of_an_extension(project: Path) -> None:
    result = CliRunner().invoke(new_job, ["events", "--s3", "s3://lake/raw/events/"])
    assert result.exit_code == 0, result.output
    said = " ".join(result.output.split())
    assert "reads s3://lake/raw/events/ as parquet (the default: no extension in the path;" in said
    assert "format='parquet'" in (project / "jobs" / "events.py").read_text()


def test_new_job_refuses_a_format_without_files_to_read(project: Path) -> None:
    result = CliRunner().invoke(new_job, ["j", "--jdbc", "db:public.t", "--format", "csv"])
    assert result.exit_code == 2
    assert "--format applies to --s3 sources" in result.stderr
    assert not (project / "jobs").exists()
