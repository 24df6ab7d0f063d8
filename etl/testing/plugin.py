"""pytest plugin shipped with etl (entry point ``etl``): a fast, session-scoped ``spark``.

Starting a JVM and warming Spark up costs seconds, so one local session serves the whole test
run, tuned for tiny data: two cores, one shuffle partition, no UI, no Hive metastore, UTC.
Override the ``spark_conf`` fixture (session scope) to add settings such as ``spark.jars`` for a
JDBC driver.  pyspark is imported only when a test asks for ``spark``, so the plugin costs
nothing in projects or test runs that do not use Spark.

``etl_profile`` gives a job a local profile for an end-to-end test: ``s3://`` buckets become
directories under the test's ``tmp_path``, and connection names resolve through the
``etl_connections`` fixture (empty by default; override it in your conftest.py to point your
Glue connection names at a test database).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from etl.profile import LocalConnection, LocalProfile
from etl.testing import local_profile

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

FAST_LOCAL_CONF = {
    "spark.master": "local[2]",
    # One shuffle partition and no adaptive re-planning: test frames are tiny, and a warm chispa
    # test drops from 0.46 s to 0.32 s (docs/performance.md, test loop).
    "spark.sql.shuffle.partitions": "1",
    "spark.sql.adaptive.enabled": "false",
    "spark.default.parallelism": "2",
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.catalogImplementation": "in-memory",
    "spark.sql.session.timeZone": "UTC",
    "spark.driver.bindAddress": "127.0.0.1",
    "spark.driver.host": "127.0.0.1",
    "spark.driver.memory": "1g",
    "spark.rdd.compress": "false",
    "spark.shuffle.compress": "false",
}
"""Settings for the ``spark`` fixture (two cores so parallel reads are exercised)."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "spark: starts a local Spark session")


@pytest.fixture(scope="session")
def spark_conf() -> dict[str, str]:
    """Extra Spark settings merged over the fast defaults; override in your conftest.py."""
    return {}


@pytest.fixture(scope="session")
def spark(
    spark_conf: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SparkSession]:
    """One local SparkSession for the whole test session."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        pytest.fail("the spark fixture needs pyspark: pip install 'glueprint[spark]'")

    # Spark's Python workers must run this interpreter, not whichever python3 is first on PATH.
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = SparkSession.builder.appName("etl-tests")
    warehouse = tmp_path_factory.mktemp("spark-warehouse")
    settings = {**FAST_LOCAL_CONF, "spark.sql.warehouse.dir": str(warehouse), **spark_conf}
    for key, value in settings.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture
def etl_connections() -> Mapping[str, LocalConnection]:
    """Connection name -> test database, for ``etl_profile``; override in your conftest.py."""
    return {}


@pytest.fixture
def etl_profile(
    tmp_path: Path, etl_connections: Mapping[str, LocalConnection]
) -> Callable[..., LocalProfile]:
    """``etl_profile("lake", ...)``: a profile mapping each ``s3://bucket`` to a fresh directory
    under ``tmp_path / "s3"`` and resolving connections through ``etl_connections``."""

    def make(*buckets: str) -> LocalProfile:
        return local_profile(tmp_path / "s3", buckets, etl_connections)

    return make
