"""The etl CLI commands end to end: new-job -> pytest-able test -> local run; check; errors."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result
from pyspark.sql import SparkSession

from generator.cli.jobs import check, new_job, run
from generator.config.loader import load_config

CONFIG = """\
# my platform
project: etl-demo
region: eu-west-1

database:
  engine: postgres
  name: app

connections:
  - name: my-s3-vpc-connection
    type: NETWORK
  - name: my-rds-vpc-connection
    type: JDBC   # comment kept

jobs:
  - name: existing
    script: jobs/existing.py
    connections: [my-s3-vpc-connection]
"""

EXISTING_JOB = """\
from etl import JdbcSource, S3Sink, job

@job(sources={"t": JdbcSource(connection="my-rds-vpc-connection", table="t")}, sink=S3Sink("s3://b/o"))
def existing(t):
    return t
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "jobs").mkdir()
    (tmp_path / "jobs" / "existing.py").write_text(EXISTING_JOB)
    (tmp_path / "glueprint.yaml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def invoke(command: object, *args: str) -> Result:
    result = CliRunner().invoke(command, list(args))  # type: ignore[arg-type]
    result.text = " ".join(result.output.split())  # type: ignore[attr-defined]
    return result


def _snapshot(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): p.read_text() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.spark
@pytest.mark.postgres
def test_new_job_test_passes_and_job_runs_locally_against_postgres(
    spark: SparkSession,
    *,
    project: Path,
    psql: Callable[[str], str],
    pg_table: str,
    pg_jdbc_url: str,
    pg_env: dict[str, str],
) -> None:
    psql(f"CREATE TABLE {pg_table} (id int PRIMARY KEY, v text)")
    psql(f"INSERT INTO {pg_table} SELECT i, 'v' || i FROM generate_series(1, 30) i")

    created = invoke(
        new_job,
        "nightly-orders",
        "--jdbc",
        f"my-rds-vpc-connection:{pg_table}",
        "--sink",
        "s3://lake/curated/orders/",
    )
    assert created.exit_code == 0, created.output

    # glueprint.yaml: the user's comment survives, the job attaches the connection it uses.
    text = (project / "glueprint.yaml").read_text()
    assert "# comment kept" in text
    loaded = load_config(project / "glueprint.yaml")
    new = next(j for j in loaded.config.jobs if j.name == "nightly-orders")
    assert new.connections == ["my-rds-vpc-connection"]
    assert new.script == Path("jobs/nightly_orders.py")

    # The generated test passes as written.
    spec = importlib.util.spec_from_file_location(
        "gen_test", project / "tests" / "test_nightly_orders.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.test_transform_drops_duplicate_rows(spark)

    # The generated job runs locally: named connection and s3:// from the profile.
    (project / "glueprint.local.toml").write_text(
        f'[connections.my-rds-vpc-connection]\nurl = "{pg_jdbc_url}"\n'
        'user_env = "TEST_PG_USER"\npassword_env = "TEST_PG_PASSWORD"\n'
        '[paths]\n"s3://lake" = "data/lake"\n'
    )
    ran = invoke(run, "jobs/nightly_orders.py", "--local")
    assert ran.exit_code == 0, ran.output
    assert "ok job nightly-orders on local" in ran.text
    assert pg_env["TEST_PG_PASSWORD"] not in ran.output
    out = spark.read.parquet(str(project / "data" / "lake" / "curated" / "orders"))
    assert sorted(r.id for r in out.collect()) == list(range(1, 31))

    # `check` finds nothing wrong with the new job (the fixture's own job lacks its connection).
    checked = invoke(check)
    assert "1 problem(s): job existing " in checked.text
    assert "job nightly-orders" not in checked.text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["existing"], "job 'existing' is already in"),
        (["bad name"], "job name 'bad name' is invalid"),
        (["j", "--jdbc", "my-rds-vpc-conection:t"], "did you mean 'my-rds-vpc-connection'"),
        (["j", "--jdbc", "my-s3-vpc-connection:t"], "is type NETWORK; --jdbc needs a JDBC one"),
        (["j", "--jdbc", "my-rds-vpc-connection"], "expected CONNECTION:TABLE"),
        (["j", "--s3", "/local/path"], "not an s3:// URI"),
        (["j", "--config", "missing.yaml"], "file not found"),
    ],
)
def test_new_job_refuses_bad_input_and_writes_nothing(
    project: Path, args: list[str], message: str
) -> None:
    before = _snapshot(project)
    result = invoke(new_job, *args)
    assert result.exit_code == 2
    assert message in result.text
    assert "Traceback" not in result.output
    assert _snapshot(project) == before


def test_new_job_refuses_to_overwrite_an_existing_script(project: Path) -> None:
    (project / "tests").mkdir()
    (project / "tests" / "test_fresh.py").write_text("# mine\n")
    before = _snapshot(project)
    result = invoke(new_job, "fresh")
    assert result.exit_code == 2
    assert "test_fresh.py already exists" in result.text
    assert _snapshot(project) == before


def test_new_job_without_jdbc_attaches_the_network_connection(project: Path) -> None:
    result = invoke(new_job, "s3-only", "--s3", "s3://lake/raw/events.json")
    assert result.exit_code == 0, result.output
    jobs = yaml.safe_load((project / "glueprint.yaml").read_text())["jobs"]
    assert jobs[-1]["connections"] == ["my-s3-vpc-connection"]
    assert "format='json'" in (project / "jobs" / "s3_only.py").read_text()


def test_check_reports_a_connection_the_job_does_not_attach(project: Path) -> None:
    result = invoke(check)
    assert result.exit_code == 2
    assert (
        "job existing (jobs/existing.py:3): uses connection 'my-rds-vpc-connection' but the job "
        "does not attach it" in result.text
    )
    assert "add it to jobs[existing].connections" in result.text


def test_check_reports_an_undefined_connection(project: Path) -> None:
    (project / "jobs" / "existing.py").write_text(
        EXISTING_JOB.replace("my-rds-vpc-connection", "my-rds")
    )
    result = invoke(check)
    assert result.exit_code == 2
    assert "'my-rds', which is not defined" in result.text


def test_check_passes_when_connections_default_to_all(project: Path) -> None:
    config = CONFIG.replace("    connections: [my-s3-vpc-connection]\n", "")
    (project / "glueprint.yaml").write_text(config)
    result = invoke(check)
    assert result.exit_code == 0, result.output


def test_run_profile_needs_local(project: Path) -> None:
    (project / "p.toml").write_text("")
    result = invoke(run, "jobs/existing.py", "--profile", "p.toml")
    assert result.exit_code == 2
    assert "add --local" in result.text


@pytest.mark.spark
def test_run_reports_a_missing_connection_in_one_line(spark: SparkSession, project: Path) -> None:
    (project / "p.toml").write_text('[paths]\n"s3://b" = "data/b"\n')
    result = invoke(run, "jobs/existing.py", "--local", "--profile", "p.toml")
    assert result.exit_code == 2
    assert "connection 'my-rds-vpc-connection' is not in the local profile" in result.text
    assert "Traceback" not in result.output


@pytest.mark.spark
def test_run_passes_job_arguments_through(spark: SparkSession, project: Path) -> None:
    (project / "data" / "lake").mkdir(parents=True)
    spark.createDataFrame([(1,), (5,)], "n INT").write.parquet(
        str(project / "data" / "lake" / "in")
    )
    (project / "jobs" / "args_job.py").write_text(
        "import dataclasses\n"
        "from etl import S3Sink, S3Source, job\n\n"
        "@dataclasses.dataclass(frozen=True)\n"
        "class Args:\n    min_n: int\n\n"
        '@job(sources={"rows": S3Source("s3://lake/in")}, sink=S3Sink("s3://lake/out"),\n'
        "     arguments=Args)\n"
        "def args_job(rows, args):\n    return rows.where(rows.n >= args.min_n)\n"
    )
    (project / "glueprint.local.toml").write_text('[paths]\n"s3://lake" = "data/lake"\n')
    result = invoke(run, "jobs/args_job.py", "--local", "--min_n", "3")
    assert result.exit_code == 0, result.output
    assert [r.n for r in spark.read.parquet(str(project / "data" / "lake" / "out")).collect()] == [
        5
    ]

    typo = invoke(run, "jobs/args_job.py", "--local", "--min_m", "3")
    assert typo.exit_code == 2
    assert "unknown job argument --min_m (did you mean --min_n?)" in typo.text
