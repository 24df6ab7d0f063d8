"""No secret value reaches logs, printed output, exception messages, JobResult or job arguments:
the test database's password, and a fake secret served by moto's Secrets Manager."""

from __future__ import annotations

import json
import logging
import os
import sys
import traceback
import uuid
from collections.abc import Callable
from pathlib import Path

import boto3
import pytest
from conftest import CONNECTION
from pyspark.sql import DataFrame, SparkSession
from test_etl_glue_runtime import GLUE_ARGV, FakeGlue

from etl import JdbcConnectError, JdbcSource, RetryPolicy, S3Sink, job
from etl.profile import LocalConnection, LocalProfile
from etl.testing import local_profile, run_local

pytestmark = [pytest.mark.spark, pytest.mark.postgres]
Psql = Callable[[str], str]


def _exception_text(exc: BaseException) -> str:
    return "".join(traceback.format_exception(exc)) + repr(exc) + str(exc)


def _assert_absent(secrets: list[str], **places: str) -> None:
    for secret in secrets:
        assert len(secret) >= 8
        for where, text in places.items():
            assert secret not in text, f"secret leaked into {where}"


def _copy_job(table: str) -> object:
    @job(
        sources={"rows": JdbcSource(connection=CONNECTION, table=table, watermark_column="id")},
        sink=S3Sink("s3://lake/out", mode="append"),
    )
    def copy(rows: DataFrame) -> DataFrame:
        print(f"copying {rows.count()} rows")
        return rows

    return copy


@pytest.fixture
def seeded(psql: Psql, pg_table: str) -> str:
    psql(f"CREATE TABLE {pg_table} (id int PRIMARY KEY, v text)")
    psql(f"INSERT INTO {pg_table} SELECT i, 'v' || i FROM generate_series(1, 20) i")
    return pg_table


def test_local_runs_never_show_the_database_password(
    spark: SparkSession,
    *,
    seeded: str,
    pg_connection: LocalConnection,
    pg_env: dict[str, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    password = pg_env["TEST_PG_PASSWORD"]
    lake = local_profile(tmp_path, ["lake"])
    profile = LocalProfile(connections={CONNECTION: pg_connection}, paths=lake.paths)
    argv = ["--JOB_NAME", "copy"]
    result = run_local(_copy_job(seeded), spark, profile, argv)  # type: ignore[arg-type]
    assert result.watermarks == {"rows": "20"}

    wrong = f"wrong-{uuid.uuid4().hex}"
    monkeypatch.setenv("WRONG_PASSWORD", wrong)
    bad = LocalConnection(pg_connection.url, pg_connection.user_env, "WRONG_PASSWORD")
    with pytest.raises(JdbcConnectError) as failed:
        run_local(
            _copy_job(seeded),  # type: ignore[arg-type]
            spark,
            LocalProfile(connections={CONNECTION: bad}, paths=lake.paths),
            argv,
        )
    out, err = capfd.readouterr()
    assert "copying 20 rows" in out  # output is captured at all
    _assert_absent(
        [password, wrong],
        logs=caplog.text,
        stdout=out,
        stderr=err,
        exception=_exception_text(failed.value),
        result=repr(result),
        arguments=repr(argv) + repr(os.environ.get("GLUEPRINT_ARGS", "")),
        connection=repr(profile) + repr(bad),
    )


def test_glue_runs_never_show_the_secrets_manager_secret(
    spark: SparkSession,
    *,
    pg_url: str,
    pg_jdbc_url: str,
    psql: Psql,
    seeded: str,
    aws: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(logging.DEBUG)
    role, secret_value = f"etl_secret_{uuid.uuid4().hex[:8]}", f"moto-{uuid.uuid4().hex}"
    psql(  # serialised like the conftest's grants: workers share the server's catalog rows
        f"SELECT pg_advisory_xact_lock(4711); CREATE ROLE {role} LOGIN PASSWORD '{secret_value}';"
        f"GRANT USAGE ON SCHEMA etl_test TO {role}"
    )
    psql(f"GRANT SELECT ON {seeded} TO {role}")
    try:
        quiet = caplog.at_level(logging.INFO, logger="botocore")  # the test's own AWS calls
        with quiet:
            secret = boto3.client("secretsmanager").create_secret(
                Name="db-secret",
                SecretString=json.dumps({"username": role, "password": secret_value}),
            )
        boto3.client("glue").create_connection(
            ConnectionInput={
                "Name": CONNECTION,
                "ConnectionType": "JDBC",
                "ConnectionProperties": {
                    "JDBC_CONNECTION_URL": pg_jdbc_url,
                    "SECRET_ID": secret["ARN"],
                },
            }
        )
        fake = FakeGlue(tmp_path / "out")
        for name, module in fake.modules().items():
            monkeypatch.setitem(sys.modules, name, module)

        def glue_job() -> object:
            @job(
                sources={
                    "rows": JdbcSource(
                        connection=CONNECTION, table=seeded, retry=RetryPolicy(attempts=1)
                    )
                },
                sink=S3Sink((tmp_path / "out").as_uri()),
            )
            def copy(rows: DataFrame) -> DataFrame:
                return rows

            return copy

        argv = [*GLUE_ARGV, "--JOB_NAME", "copy"]
        result = glue_job().main(argv)  # type: ignore[attr-defined]
        assert spark.read.parquet(str(tmp_path / "out")).count() == 20

        wrong = f"moto-wrong-{uuid.uuid4().hex}"
        with caplog.at_level(logging.INFO, logger="botocore"):
            boto3.client("secretsmanager").put_secret_value(
                SecretId="db-secret", SecretString=json.dumps({"username": role, "password": wrong})
            )
        rerun = [*argv, "--JOB_RUN_ID", "jr_second"]  # a new run, not a retry of the first
        with pytest.raises(JdbcConnectError, match=f"connection '{CONNECTION}'") as failed:
            glue_job().main(rerun)  # type: ignore[attr-defined]
        out, err = capfd.readouterr()
        _assert_absent(
            [secret_value, wrong],
            logs=caplog.text,
            stdout=out,
            stderr=err,
            exception=_exception_text(failed.value),
            result=repr(result),
            arguments=repr(rerun),
            glue_calls=repr(fake.calls),  # what Job.init and getResolvedOptions received
        )
    finally:
        psql(
            f"SELECT pg_advisory_xact_lock(4711); REVOKE ALL ON {seeded} FROM {role};"
            f"REVOKE ALL ON SCHEMA etl_test FROM {role}; DROP ROLE {role}"
        )
