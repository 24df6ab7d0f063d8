"""Runtimes: where a job runs and what names mean there.

A runtime owns the SparkSession, the connection resolver, the Data Catalog and the mapping of
storage URIs:

* :class:`GlueRuntime`: ``GlueContext`` + ``Job.init``/``Job.commit`` (bookmarks and run
  tracking), connections through the Glue API with credentials from
  ``GlueContext.extract_jdbc_conf``.  ``awsglue`` is imported only here, only when the
  job actually runs on Glue, so etl never depends on the non-OSI ``awsgluedataplanepython``.
* :class:`SparkRuntime`: any SparkSession (EMR, spark-submit); connections through boto3.
* :meth:`SparkRuntime.local`: local Spark with a :class:`~etl.profile.LocalProfile` standing in
  for Glue connections and S3, in UTC as on Glue.

:func:`select_runtime` picks one automatically; ``GLUEPRINT_RUNTIME`` or an argument overrides.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from etl.catalog_lookup import AwsCatalog, Catalog, ResolvedTable
from etl.connections import AwsConnectionResolver, ConnectionResolver, JdbcConnection
from etl.credentials import GlueContextCredentials
from etl.errors import EtlError
from etl.options import did_you_mean
from etl.profile import LocalProfile, ProfileCatalog, ProfileConnectionResolver
from etl.storage import HadoopStorage, Storage

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

RUNTIMES = ("glue", "spark", "local")
_JAVA_OPTIONS = ("spark.driver.extraJavaOptions", "spark.executor.extraJavaOptions")


def _run_in_utc(settings: Mapping[str, str]) -> dict[str, str]:
    """Make this process and the Spark it starts run in UTC, as Glue does; return ``settings``
    (Spark configuration) with the UTC ones added.

    The machine's zone would otherwise leak in three places: the session time zone
    (``to_date``, ``hour``, casts between strings and timestamps), the JVM's default zone (the
    JDBC driver reads ``timestamp without time zone`` columns in it), and this Python process
    (PySpark turns collected timestamps into local ``datetime`` values).  So ``TZ`` is set for
    this process and the JVM and Python workers it starts, and ``user.timezone`` is appended to
    the driver's and executors' Java options (the last one wins).  A profile cannot change it:
    local runs are for matching Glue.
    """
    os.environ["TZ"] = "UTC"
    if hasattr(time, "tzset"):  # POSIX; Windows reads TZ differently and has no tzset
        time.tzset()
    utc = {**settings, "spark.sql.session.timeZone": "UTC"}
    for key in _JAVA_OPTIONS:
        utc[key] = f"{settings.get(key, '')} -Duser.timezone=UTC".strip()
    return utc


class Runtime(Protocol):
    """What a job needs from its environment."""

    name: str

    @property
    def spark(self) -> SparkSession: ...

    def start(self, job_name: str, argv: Sequence[str], arguments: Mapping[str, str]) -> None:
        """Prepare Spark (and Glue's job tracking) before anything is read."""

    def connection(self, name: str) -> JdbcConnection:
        """Resolve a Glue connection name."""

    def catalog_table(
        self, database: str, name: str, partition_expression: str | None = None
    ) -> ResolvedTable:
        """Resolve a Data Catalog table name (see :class:`etl.catalog_lookup.Catalog`)."""

    def path(self, uri: str) -> str:
        """Map a storage URI (``s3://...``) to what Spark should read or write here."""

    def storage(self, uri: str) -> Storage:
        """The storage of the bucket (file system) holding the mapped ``uri``."""

    def commit(self) -> None:
        """Mark the run successful (Glue: advance bookmarks); called after all sinks published."""


class _StartedSession:
    """The SparkSession a runtime holds once `start()` has run, its file systems, and its
    lookups: connections and catalog tables through the Glue API unless resolvers are given."""

    _spark: SparkSession | None = None
    _resolver: ConnectionResolver | None = None
    _catalog: Catalog | None = None

    @property
    def spark(self) -> SparkSession:
        if self._spark is None:
            raise EtlError("runtime not started: call start() first")
        return self._spark

    def storage(self, uri: str) -> Storage:
        return HadoopStorage(self.spark, uri)

    def connection(self, name: str) -> JdbcConnection:
        if self._resolver is None:
            self._resolver = AwsConnectionResolver()
        return self._resolver.resolve(name)

    def catalog_table(
        self, database: str, name: str, partition_expression: str | None = None
    ) -> ResolvedTable:
        if self._catalog is None:
            self._catalog = AwsCatalog()
        return self._catalog.table(database, name, partition_expression)


class SparkRuntime(_StartedSession):
    """Plain Spark.  With a profile (see :meth:`local`) nothing touches AWS."""

    def __init__(
        self,
        spark: SparkSession | None = None,
        *,
        resolver: ConnectionResolver | None = None,
        catalog: Catalog | None = None,
        profile: LocalProfile | None = None,
        name: str = "spark",
    ) -> None:
        self.name = name
        self._spark = spark
        self._profile = profile
        self._resolver = resolver
        self._catalog = catalog

    @classmethod
    def local(
        cls, profile: LocalProfile | None = None, spark: SparkSession | None = None
    ) -> SparkRuntime:
        """Local Spark: connections, catalog tables and ``s3://`` locations come only from
        ``profile``."""
        profile = profile or LocalProfile()
        return cls(
            spark,
            resolver=ProfileConnectionResolver(profile),
            catalog=ProfileCatalog(profile),
            profile=profile,
            name="local",
        )

    def start(self, job_name: str, argv: Sequence[str], arguments: Mapping[str, str]) -> None:
        if self._spark is not None:
            return
        from pyspark.sql import SparkSession

        builder = SparkSession.builder.appName(job_name)
        if self._profile is not None:
            builder = builder.master("local[*]").config("spark.ui.enabled", "false")
            for key, value in _run_in_utc(self._profile.spark).items():
                builder = builder.config(key, value)
        self._spark = builder.getOrCreate()

    def path(self, uri: str) -> str:
        return uri if self._profile is None else self._profile.local_path(uri)

    def commit(self) -> None:
        """Nothing to commit outside Glue: output is published by the sinks."""


class GlueRuntime(_StartedSession):
    """AWS Glue: GlueContext, ``Job.init``/``Job.commit``, connections through the Glue API."""

    name = "glue"

    def __init__(
        self, resolver: ConnectionResolver | None = None, catalog: Catalog | None = None
    ) -> None:
        self._resolver = resolver
        self._catalog = catalog
        self._spark: SparkSession | None = None
        self._job: Any = None
        self.glue_context: Any = None

    def start(self, job_name: str, argv: Sequence[str], arguments: Mapping[str, str]) -> None:
        try:
            from awsglue.context import GlueContext
            from awsglue.job import Job
            from awsglue.utils import getResolvedOptions
        except ImportError:
            raise EtlError(
                "the glue runtime needs awsglue, which exists only on AWS Glue; "
                "run locally with `glueprint run JOB --local`"
            ) from None
        from pyspark.context import SparkContext

        self.glue_context = GlueContext(SparkContext.getOrCreate())
        self._spark = self.glue_context.spark_session
        if self._resolver is None:  # credentials as Glue's own readers resolve them
            credentials = GlueContextCredentials(self.glue_context)
            self._resolver = AwsConnectionResolver(credentials=credentials)
        # getResolvedOptions also turns --job-bookmark-option & co. into the keys Job.init reads.
        resolved = getResolvedOptions(["job", *argv, "--JOB_NAME", job_name], ["JOB_NAME"])
        self._job = Job(self.glue_context)
        self._job.init(resolved["JOB_NAME"], {**arguments, **resolved})

    def path(self, uri: str) -> str:
        return uri

    def commit(self) -> None:
        self._job.commit()


def _on_glue(argv: Sequence[str]) -> bool:
    """Glue always passes ``--JOB_RUN_ID``; nothing else does."""
    return any(token == "--JOB_RUN_ID" or token.startswith("--JOB_RUN_ID=") for token in argv)


def select_runtime(
    argv: Sequence[str],
    override: str | None = None,
    profile: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Runtime:
    """Choose the runtime: ``override`` > ``$GLUEPRINT_RUNTIME`` > detection (Glue or Spark).

    A profile (argument or ``$GLUEPRINT_PROFILE``) applies to the local runtime only.
    """
    env = os.environ if environ is None else environ
    choice = override or env.get("GLUEPRINT_RUNTIME") or ("glue" if _on_glue(argv) else "spark")
    if choice not in RUNTIMES:
        raise EtlError(
            f"unknown runtime {choice!r}{did_you_mean(choice, RUNTIMES)}; use one of {RUNTIMES}"
        )
    if choice == "glue":
        return GlueRuntime()
    if choice == "spark":
        return SparkRuntime()
    profile = profile or (Path(env["GLUEPRINT_PROFILE"]) if env.get("GLUEPRINT_PROFILE") else None)
    return SparkRuntime.local(LocalProfile.load(profile) if profile else None)
