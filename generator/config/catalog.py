"""Facts about AWS that the config model validates against.

Kept in one place so a new Glue version, worker type or engine is a one-line change, and so the
tests can enumerate them. Sources: the AWS Glue developer guide (worker types, job API,
`ExecutionClass`, the Glue versions and their Spark and Python), the RDS user guide (engines,
parameter groups, log exports) and the hashicorp/aws provider's own validation (its worker type
enum), found by planning against it.
"""

from __future__ import annotations

from dataclasses import dataclass

GLUE_VERSIONS: tuple[str, ...] = ("3.0", "4.0", "5.0", "5.1", "6.0")
"""Glue versions that are not end-of-life. 0.9, 1.0 and 2.0 are refused."""

PYTHONSHELL_GLUE_VERSION = "3.0"
"""Python shell jobs exist only on Glue 3.0 (Python 3.9); 4.0 and later are Spark only."""

COMMANDS: tuple[str, ...] = ("glueetl", "gluestreaming", "pythonshell")


@dataclass(frozen=True)
class WorkerType:
    """Which commands and Glue versions accept a worker type."""

    name: str
    commands: tuple[str, ...]
    min_glue_version: str


# Only the worker types the hashicorp/aws provider 5.x accepts (its `worker_type` is an enum:
# Standard, G.1X, G.2X, G.025X, G.4X, G.8X, Z.2X); G.12X, G.16X and R.* fail at plan time there,
# so they are refused here until the minimum provider version accepts them. Standard is pre-3.0
# and Z.2X is Ray, neither of which glueprint generates.
WORKER_TYPES: dict[str, WorkerType] = {
    w.name: w
    for w in (
        WorkerType("G.025X", ("gluestreaming",), "3.0"),
        WorkerType("G.1X", ("glueetl", "gluestreaming"), "3.0"),
        WorkerType("G.2X", ("glueetl", "gluestreaming"), "3.0"),
        WorkerType("G.4X", ("glueetl",), "3.0"),
        WorkerType("G.8X", ("glueetl",), "3.0"),
    )
}

FLEX_WORKER_TYPES: tuple[str, ...] = ("G.1X", "G.2X")
"""FLEX runs only glueetl on Glue >= 3.0 with these worker types (Glue API `ExecutionClass`)."""


def version_key(version: str) -> tuple[int, ...]:
    """Sort key for dotted versions ("5.0" < "5.1" < "6.0")."""
    return tuple(int(part) for part in version.split("."))


ETL_MIN_PYTHON = "3.10"
"""The oldest Python the etl library runs on (pyproject's requires-python; a test keeps them
equal). A Glue version on an older Python cannot run etl jobs."""


@dataclass(frozen=True)
class GlueRelease:
    """The Python and Spark a Glue version runs jobs on, and the pip requirement of the pyspark
    that reproduces that Spark locally (Glue's Spark is Amazon's build of that series)."""

    python: str
    spark: str
    pyspark: str

    @property
    def supports_etl(self) -> bool:
        return version_key(self.python) >= version_key(ETL_MIN_PYTHON)


GLUE_RELEASES: dict[str, GlueRelease] = {
    "3.0": GlueRelease("3.7", "3.1", "pyspark==3.1.3"),
    "4.0": GlueRelease("3.10", "3.3", "pyspark==3.3.4"),
    "5.0": GlueRelease("3.11", "3.5", "pyspark>=3.5,<3.6"),
    "5.1": GlueRelease("3.11", "3.5", "pyspark>=3.5,<3.6"),
    "6.0": GlueRelease("3.13", "4.1", "pyspark>=4.1,<4.2"),
}
"""Per Glue version (every one in GLUE_VERSIONS): what `glueprint init` pins for local tests and
what the nox `matrix` and `packaged` sessions test etl on. This module is stdlib-only so that
noxfile.py can import it in nox's own interpreter."""


@dataclass(frozen=True)
class Engine:
    """How an RDS engine maps onto Terraform resources, parameters and JDBC."""

    name: str
    aurora: bool
    default_port: int
    default_version: str
    jdbc_scheme: str
    log_exports: tuple[str, ...]
    major_parts: int
    """Dot-separated parts of the major version: 16, 8.0, 8.0.mysql_aurora.3."""

    def major_version(self, version: str) -> str:
        """The version's major series, the form the config takes: RDS upgrades the minor
        version itself (auto_minor_version_upgrade), and the provider keeps a configured prefix
        of the running version (`engine_version_actual`) as no change, where a pinned minor
        would plan a downgrade after every upgrade."""
        return ".".join(version.split(".")[: self.major_parts])

    def parameter_group_family(self, version: str) -> str:
        """RDS parameter group family, e.g. postgres16, mysql8.0, aurora-postgresql16."""
        parts = version.split(".")
        if self.jdbc_scheme == "postgresql":
            return f"{self.name}{parts[0]}"
        return f"{self.name}{parts[0]}.{parts[1]}"


ENGINES: dict[str, Engine] = {
    e.name: e
    for e in (
        Engine(
            "postgres",
            False,
            5432,
            "16",
            "postgresql",
            ("postgresql", "upgrade"),
            1,
        ),
        Engine(
            "mysql",
            False,
            3306,
            "8.0",
            "mysql",
            ("error", "general", "slowquery"),
            2,
        ),
        Engine(
            "aurora-postgresql",
            True,
            5432,
            "16",
            "postgresql",
            ("postgresql",),
            1,
        ),
        Engine(
            "aurora-mysql",
            True,
            3306,
            "8.0.mysql_aurora.3",
            "mysql",
            ("audit", "error", "slowquery"),
            4,
        ),
    )
}

INTERFACE_ENDPOINTS: tuple[str, ...] = (
    "glue",
    "kms",
    "logs",
    "monitoring",
    "secretsmanager",
    "sts",
)
"""Interface endpoints glueprint knows how to derive; `s3` is always a gateway endpoint."""

ENDPOINT_IAM_PREFIX: dict[str, str] = {"monitoring": "cloudwatch"}
"""IAM action prefix of an endpoint's service where it differs from the endpoint name."""

RESERVED_JOB_ARGUMENTS: tuple[str, ...] = (
    "--TempDir",
    "--job-language",
    "--job-bookmark-option",
    "--enable-continuous-cloudwatch-log",
    "--continuous-log-logGroup",
    "--custom-logGroup-prefix",
    "--enable-metrics",
    "--enable-glue-datacatalog",
    "--extra-py-files",
    "--data_bucket",
    "--additional-python-modules",
    "--python-modules-installer-option",
)
"""Arguments glueprint sets from typed config fields; setting them by hand would fight those."""

RUN_ARGUMENTS: tuple[str, ...] = ("--JOB_ID", "--JOB_NAME", "--JOB_RUN_ID")
"""Arguments Glue passes to every run itself, next to the job's default arguments (AWS Glue
developer guide, "Accessing parameters using getResolvedOptions": `JOB_NAME` is resolved
although no one passes it)."""
