"""What several suites share: the run settings, PostgreSQL access and the bench SparkSession."""

from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

PG_ENV = "GLUEPRINT_TEST_PG_URL"
PG_JAR = Path("/usr/share/java/postgresql.jar")
REPO = Path(__file__).resolve().parents[1]


class BenchError(Exception):
    """A precondition is missing (database, driver, terraform); the message says what to do."""


@dataclasses.dataclass(frozen=True)
class Settings:
    """Sizes and repeat counts of one run (full, or the CI smoke)."""

    smoke: bool
    work_dir: Path
    jdbc_rows: int = 5_000_000
    overhead_rows: int = 10_000_000
    job_counts: tuple[int, ...] = (10, 100, 1000)
    verify_jobs: int = 100
    connections: int = 50
    warmup: int = 1
    repeats: int = 5
    test_repeats: int = 30
    unit_suite: bool = True

    @classmethod
    def smoke_run(cls, work_dir: Path) -> Settings:
        return cls(
            smoke=True,
            work_dir=work_dir,
            jdbc_rows=20_000,
            overhead_rows=20_000,
            job_counts=(5, 10, 20),
            verify_jobs=1,
            connections=2,
            warmup=0,
            repeats=1,
            test_repeats=3,
            unit_suite=False,
        )


@dataclasses.dataclass(frozen=True)
class Postgres:
    """The PostgreSQL server named by ``$GLUEPRINT_TEST_PG_URL`` (started by .ci/postgres.sh)."""

    url: str

    @classmethod
    def from_env(cls) -> Postgres:
        url = os.environ.get(PG_ENV)
        if not url:
            raise BenchError(
                f"{PG_ENV} is not set: start PostgreSQL first with "
                '`eval "$(.ci/postgres.sh start)"` (CI does the same)'
            )
        if not PG_JAR.is_file():
            raise BenchError(
                f"PostgreSQL JDBC driver missing at {PG_JAR}: install libpostgresql-jdbc-java"
            )
        return cls(url)

    @property
    def jdbc_url(self) -> str:
        parts = urlsplit(self.url)
        return f"jdbc:postgresql://{parts.hostname}:{parts.port}{parts.path}"

    @property
    def user(self) -> str:
        return urlsplit(self.url).username or ""

    @property
    def password(self) -> str:
        return urlsplit(self.url).password or ""

    def psql(self, *args: str, stdin: str | None = None) -> str:
        proc = subprocess.run(
            ["psql", self.url, "-v", "ON_ERROR_STOP=1", "-qAt", *args],
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0:
            raise BenchError(f"psql {' '.join(args)} failed: {proc.stderr.strip()}")
        return proc.stdout.strip()


def bench_spark(work_dir: Path) -> SparkSession:
    """local[2] with the PostgreSQL driver; the same session serves every variant of a suite.

    The driver gets 6 GiB because the naive JDBC read buffers the whole table in the driver
    JVM (PostgreSQL without a fetch size), which is exactly what is being measured.
    """
    from pyspark.sql import SparkSession

    warehouse = work_dir / "spark-warehouse"
    session = (
        SparkSession.builder.appName("glueprint-bench")
        .master("local[2]")
        .config("spark.jars", str(PG_JAR))
        .config("spark.driver.memory", "6g")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.warehouse.dir", str(warehouse))
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    return session
