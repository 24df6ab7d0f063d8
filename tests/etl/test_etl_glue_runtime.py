"""The Glue lifecycle with only ``awsglue`` faked; connections via moto, data in PostgreSQL."""

from __future__ import annotations

import dataclasses
import json
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest
from pyspark.sql import DataFrame, SparkSession

from etl import EtlError, GlueRuntime, JdbcSource, S3Sink, S3Source, SparkRuntime, job
from etl.runtime import select_runtime
from etl.secrets import quiet_aws_debug_logging

Psql = Callable[[str], str]


class FakeGlue:
    """Records what the job does with the awsglue API: the one thing mocked in these tests."""

    def __init__(self, output: Path) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.output = output

    def modules(self) -> dict[str, types.ModuleType]:
        recorder = self

        class GlueContext:
            def __init__(self, sc: Any) -> None:
                recorder.calls.append(("GlueContext", sc))
                self.spark_session = SparkSession(sc)

            def extract_jdbc_conf(
                self, connection_name: str, catalog_id: str | None = None
            ) -> dict[str, str]:
                recorder.calls.append(("extract_jdbc_conf", connection_name))
                return recorder.jdbc_conf(connection_name)

        class Job:
            def __init__(self, glue_context: GlueContext) -> None:
                recorder.calls.append(("Job", glue_context))

            def init(self, name: str, args: dict[str, str]) -> None:
                recorder.calls.append(("init", (name, dict(args))))

            def commit(self) -> None:
                # Commit must come after the output is published where readers look.
                recorder.calls.append(
                    ("commit", sorted(p.name for p in recorder.output.glob("*.parquet")))
                )

        def get_resolved_options(argv: list[str], names: list[str]) -> dict[str, str]:
            recorder.calls.append(("getResolvedOptions", (list(argv), list(names))))
            pairs = dict(zip(argv[1::2], argv[2::2], strict=False))
            resolved = {n: pairs[f"--{n}"] for n in names}
            resolved["job_bookmark_option"] = pairs.get(
                "--job-bookmark-option", "job-bookmark-disable"
            )
            return resolved

        context, glue_job, utils = (
            types.ModuleType(f"awsglue.{n}") for n in ("context", "job", "utils")
        )
        context.GlueContext = GlueContext  # type: ignore[attr-defined]
        glue_job.Job = Job  # type: ignore[attr-defined]
        utils.getResolvedOptions = get_resolved_options  # type: ignore[attr-defined]
        return {
            "awsglue": types.ModuleType("awsglue"),
            "awsglue.context": context,
            "awsglue.job": glue_job,
            "awsglue.utils": utils,
        }

    @staticmethod
    def jdbc_conf(name: str) -> dict[str, str]:
        """What Glue's ``extractJDBCConf`` answers (aws-glue-libs ``awsglue/context.py``): user,
        password, vendor and a URL without the database, resolved from the connection (moto)
        as Glue does with the job's role, without logging through Python."""
        with quiet_aws_debug_logging():
            found = boto3.client("glue").get_connection(Name=name, HidePassword=False)
            props = found["Connection"]["ConnectionProperties"]
            if "SECRET_ID" in props:
                answer = boto3.client("secretsmanager").get_secret_value(
                    SecretId=props["SECRET_ID"]
                )
                secret = json.loads(answer["SecretString"])
                user, password = secret["username"], secret["password"]
            else:
                user, password = props["USERNAME"], props["PASSWORD"]
        url = props["JDBC_CONNECTION_URL"]
        return {
            "user": user,
            "password": password,
            "vendor": url.split(":")[1],
            "url": url.rsplit("/", 1)[0],
        }


def _glue_connection(pg_url: str, pg_jdbc_url: str, name: str) -> None:
    parts = urlsplit(pg_url)
    secret = boto3.client("secretsmanager").create_secret(
        Name=f"{name}-secret",
        SecretString=json.dumps({"username": parts.username, "password": parts.password}),
    )
    boto3.client("glue").create_connection(
        ConnectionInput={
            "Name": name,
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": pg_jdbc_url,
                "SECRET_ID": secret["ARN"],
            },
        }
    )


@dataclasses.dataclass(frozen=True)
class TableArgs:
    table: str


GLUE_ARGV = [
    "--JOB_ID",
    "j_1",
    "--JOB_RUN_ID",
    "jr_42",
    "--job-bookmark-option",
    "job-bookmark-enable",
    "--TempDir",
    "s3://tmp/",
]


@pytest.mark.spark
@pytest.mark.postgres
def test_glue_lifecycle_reads_through_the_named_connection(
    spark: SparkSession,
    *,
    pg_url: str,
    pg_jdbc_url: str,
    psql: Psql,
    pg_table: str,
    aws: Any,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    psql(
        f"CREATE TABLE {pg_table} (id int PRIMARY KEY, v text); "
        f"INSERT INTO {pg_table} SELECT i, 'v' || i FROM generate_series(1, 20) i",
    )
    _glue_connection(pg_url, pg_jdbc_url, "my-rds-vpc-connection")
    fake = FakeGlue(tmp_path / "out")
    for name, module in fake.modules().items():
        monkeypatch.setitem(sys.modules, name, module)

    @job(
        sources={"rows": JdbcSource(connection="my-rds-vpc-connection", table="${table}")},
        sink=S3Sink((tmp_path / "out").as_uri()),
        arguments=TableArgs,
    )
    def copy(rows: DataFrame) -> DataFrame:
        return rows

    result = copy.main([*GLUE_ARGV, "--JOB_NAME", "orders-job", "--table", pg_table])

    assert result.runtime == "glue" and result.job_name == "orders-job"
    kinds = [kind for kind, _ in fake.calls]
    assert kinds == [
        "GlueContext",
        "getResolvedOptions",
        "Job",
        "init",
        "extract_jdbc_conf",
        "commit",
    ]
    assert dict(fake.calls)["extract_jdbc_conf"] == "my-rds-vpc-connection"
    assert fake.calls[0][1] is spark.sparkContext
    name, init_args = dict(fake.calls)["init"]
    assert name == "orders-job"
    assert init_args["job_bookmark_option"] == "job-bookmark-enable"
    assert init_args["table"] == pg_table
    assert dict(fake.calls)["commit"], "commit ran before the output was published"
    assert sorted(r.id for r in spark.read.parquet(str(tmp_path / "out")).collect()) == list(
        range(1, 21)
    )
    assert not (tmp_path / "out" / "_glueprint_staging").exists()


@pytest.mark.spark
def test_failing_job_is_not_committed(
    spark: SparkSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeGlue(tmp_path / "out")
    for name, module in fake.modules().items():
        monkeypatch.setitem(sys.modules, name, module)
    spark.createDataFrame([(1,)], "id INT").write.parquet(str(tmp_path / "in"))

    @job(
        sources={"rows": S3Source((tmp_path / "in").as_uri())},
        sink=S3Sink((tmp_path / "out").as_uri()),
    )
    def broken(rows: DataFrame) -> DataFrame:
        raise ValueError("bug in transform")

    with pytest.raises(ValueError, match="bug in transform"):
        broken.main([*GLUE_ARGV, "--JOB_NAME", "broken"])
    assert "init" in [kind for kind, _ in fake.calls]
    assert "commit" not in [kind for kind, _ in fake.calls]


def test_glue_runtime_off_glue_explains_how_to_run_locally(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "awsglue", None)  # not importable, as on a laptop
    monkeypatch.setitem(sys.modules, "awsglue.context", None)
    with pytest.raises(EtlError, match=r"exists only on AWS Glue.*--local"):
        GlueRuntime().start("j", [], {})


def test_runtime_is_detected_and_can_be_overridden(tmp_path: Path) -> None:
    assert isinstance(select_runtime(GLUE_ARGV, environ={}), GlueRuntime)
    assert isinstance(select_runtime(["--x", "1"], environ={}), SparkRuntime)
    assert select_runtime(GLUE_ARGV, environ={"GLUEPRINT_RUNTIME": "spark"}).name == "spark"
    assert select_runtime([], "local", environ={}).name == "local"
    with pytest.raises(EtlError, match="did you mean 'glue'"):
        select_runtime([], "gleu", environ={})
