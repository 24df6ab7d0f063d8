"""Cross-field rules AWS would otherwise reject at apply or run time.

Each rule returns `Problem`s naming the field, the AWS failure it prevents, and the fix. The
error strings quoted are the ones users hit (shared/docs/terraform-peers.md §3.7).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from generator.catalog import (
    FLEX_WORKER_TYPES,
    PYTHONSHELL_GLUE_VERSION,
    RESERVED_JOB_ARGUMENTS,
    WORKER_TYPES,
    version_key,
)
from generator.config import GlueprintConfig, JobConfig
from generator.errors import Problem
from generator.layout import LayoutError, availability_zones, compute_layout, connection_copies

SECRET_KEY = re.compile(
    r"pass(word|wd)?|secret|token|api[-_]?key|credential|private[-_]?key", re.IGNORECASE
)
REFERENCE_KEY = re.compile(r"[-_](id|arn|name)$", re.IGNORECASE)
"""`--secret_id`, `--token_arn`: a key that names where a secret lives, not the secret."""
SECRET_VALUES = (
    (re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (re.compile(r"(?i)\b(password|pwd)=[^&;\s]+"), "a password parameter"),
    (re.compile(r"://[^/\s:@]+:[^/\s@]+@"), "credentials in a URL"),
)
MAX_TAGS = 50 - 2  # AWS allows 50 tags; glueprint adds Project and ManagedBy.


def check(config: GlueprintConfig, base_dir: Path) -> list[Problem]:
    """All cross-field problems of a parsed config, in file order."""
    return [
        *_network(config),
        *_database(config),
        *_connections(config),
        *_jobs(config, base_dir),
        *_storage(config),
        *_tags(config),
        *_ip_capacity(config),
    ]


def _network(config: GlueprintConfig) -> Iterator[Problem]:
    net = config.network
    if not 16 <= net.vpc_cidr.prefixlen <= 24:
        yield Problem(
            "network.vpc_cidr",
            f"{net.vpc_cidr} is /{net.vpc_cidr.prefixlen}; AWS "
            "accepts VPC sizes /16 to /28 and Glue needs room for workers",
            "use a prefix between /16 and /24, e.g. 10.0.0.0/16",
        )
    if not net.vpc_cidr.is_private:
        yield Problem(
            "network.vpc_cidr",
            f"{net.vpc_cidr} is not a private (RFC 1918) range",
            "use a range inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16",
        )
    azs = availability_zones(config)
    if net.azs is not None:
        if len(azs) < 2:
            yield Problem(
                "network.azs",
                f"{len(azs)} AZ given; a DB subnet group needs two "
                "(DBSubnetGroupDoesNotCoverEnoughAZs) and Glue failover needs a second AZ",
                "list at least two AZs",
            )
        for i, az in enumerate(azs):
            if not az.startswith(config.region):
                yield Problem(
                    f"network.azs[{i}]",
                    f"{az} is not in region {config.region}",
                    f"use AZs of {config.region}, e.g. {config.region}a",
                )
        for az, n in Counter(azs).items():
            if n > 1:
                yield Problem("network.azs", f"{az} is listed {n} times", "list each AZ once")
    yield from _explicit_subnets(config, len(azs))


def _explicit_subnets(config: GlueprintConfig, az_count: int) -> Iterator[Problem]:
    net = config.network
    tiers = [("glue_subnets", net.glue_subnets)]
    if config.database is not None:
        tiers.append(("database_subnets", net.database_subnets))
    elif net.database_subnets is not None:
        yield Problem(
            "network.database_subnets",
            "database subnets are set but there is no database section",
            "remove network.database_subnets or add `database:`",
        )
    seen: list[tuple[str, object]] = []
    for field, subnets in tiers:
        if subnets is None:
            continue
        if len(subnets) != az_count:
            yield Problem(
                f"network.{field}",
                f"{len(subnets)} subnets for {az_count} AZs",
                "give exactly one subnet per AZ, in AZ order",
            )
        for i, cidr in enumerate(subnets):
            path = f"network.{field}[{i}]"
            if not cidr.subnet_of(net.vpc_cidr):
                yield Problem(
                    path,
                    f"{cidr} is outside the VPC {net.vpc_cidr}",
                    f"pick a subnet inside {net.vpc_cidr}",
                )
            elif cidr.prefixlen > 28:
                yield Problem(
                    path,
                    f"{cidr} is smaller than /28, the smallest AWS subnet",
                    "use a /28 or larger",
                )
            for other_path, other in seen:
                if cidr.overlaps(other):  # type: ignore[arg-type]
                    yield Problem(
                        path, f"{cidr} overlaps {other} ({other_path})", "make subnets disjoint"
                    )
            seen.append((path, cidr))


def _database(config: GlueprintConfig) -> Iterator[Problem]:
    db = config.database
    if db is None:
        return
    if db.engine == "aurora-mysql" and "mysql_aurora" not in db.version:
        yield Problem(
            "database.version",
            f"{db.version!r} is not an Aurora MySQL version",
            "use the form 8.0.mysql_aurora.3.08.2",
        )
    if db.engine != "aurora-mysql" and "mysql_aurora" in db.version:
        yield Problem(
            "database.version",
            f"{db.version!r} is an Aurora MySQL version but the engine is {db.engine}",
            "set database.engine to aurora-mysql",
        )
    if db.engine in ("mysql", "aurora-mysql") and db.version.count(".") < 1:
        yield Problem(
            "database.version",
            f"{db.version!r} lacks a minor version; MySQL parameter "
            "groups are per major.minor (mysql8.0)",
            "use e.g. 8.0.41",
        )
    if db.max_allocated_storage_gb < db.allocated_storage_gb:
        yield Problem(
            "database.max_allocated_storage_gb",
            f"{db.max_allocated_storage_gb} is below allocated_storage_gb "
            f"{db.allocated_storage_gb}",
            "raise it to at least allocated_storage_gb",
        )
    if db.master_username.lower() in {"admin", "root", "postgres", "rdsadmin", "mysql", "user"}:
        yield Problem(
            "database.master_username",
            f"{db.master_username!r} is reserved or a well-known default (Security Hub RDS.24/25)",
            "choose a custom name",
        )


def _unique_names(names: list[str], what: str, section: str) -> Iterator[Problem]:
    counts = Counter(names)
    for i, name in enumerate(names):
        if counts[name] > 1:
            yield Problem(
                f"{section}[{i}].name",
                f"{what} {name!r} is defined {counts[name]} times",
                f"give each {what} a unique name",
            )


def _connections(config: GlueprintConfig) -> Iterator[Problem]:
    yield from _unique_names([c.name for c in config.connections], "connection", "connections")
    expanded: dict[str, int] = {}
    az_count = len(availability_zones(config))
    for i, conn in enumerate(config.connections):
        path = f"connections[{i}]"
        if conn.type == "JDBC" and config.database is None:
            yield Problem(
                f"{path}.type",
                f"JDBC connection {conn.name!r} has no database to point at",
                "add a `database:` section or make it a NETWORK connection",
            )
        for copy in connection_copies(conn.name, az_count if conn.per_az else 1):
            if copy in expanded and expanded[copy] != i:
                yield Problem(
                    f"{path}.name",
                    f"the per-AZ copy {copy!r} clashes with connection #{expanded[copy]}",
                    "rename one of the connections",
                )
            expanded.setdefault(copy, i)


def _jobs(config: GlueprintConfig, base_dir: Path) -> Iterator[Problem]:
    yield from _unique_names([j.name for j in config.jobs], "job", "jobs")
    known = {c.name for c in config.connections}
    for i, job in enumerate(config.jobs):
        path = f"jobs[{i}]"
        yield from _script(job, base_dir, path)
        yield from _job_connections(config, job, known, path)
        yield from _job_capacity(job, path)
        yield from _job_arguments(job, path)
        yield from _python_wheels(job, base_dir, path)
    yield from _wheel_names(config)


def _script(job: JobConfig, base_dir: Path, path: str) -> Iterator[Problem]:
    script = base_dir / job.script
    if job.script.suffix != ".py":
        yield Problem(
            f"{path}.script", f"{job.script} is not a .py file", "point at the job's Python script"
        )
    elif not script.is_file():
        yield Problem(
            f"{path}.script",
            f"{script} does not exist",
            "create it (glueprint new-job) or fix the path (relative to the config)",
        )


def _job_connections(
    config: GlueprintConfig, job: JobConfig, known: set[str], path: str
) -> Iterator[Problem]:
    used = config.job_connections(job)
    if not used:
        yield Problem(
            f"{path}.connections",
            f"job {job.name!r} has no connection, so it would run "
            "outside the VPC on AWS-managed networking",
            "define a NETWORK connection under `connections:` and list it here",
        )
    for k, name in enumerate(used):
        if name not in known:
            hint = f" (known: {', '.join(sorted(known))})" if known else ""
            yield Problem(
                f"{path}.connections[{k}]",
                f"connection {name!r} is not defined{hint}",
                "add it under `connections:` or fix the name",
            )
    for name, n in Counter(used).items():
        if n > 1:
            yield Problem(
                f"{path}.connections", f"{name!r} is listed {n} times", "list each connection once"
            )


def _job_capacity(job: JobConfig, path: str) -> Iterator[Problem]:
    if not job.is_spark:
        if job.worker_type is not None or job.workers is not None:
            field = "worker_type" if job.worker_type is not None else "workers"
            yield Problem(
                f"{path}.{field}",
                "Python shell jobs take no workers (AWS: 'Worker Type "
                "is not supported for Job Command pythonshell')",
                "remove it; size the job with max_capacity (0.0625 or 1.0)",
            )
        if job.max_capacity not in (None, 0.0625, 1.0):
            yield Problem(
                f"{path}.max_capacity",
                f"{job.max_capacity} DPU is not offered for Python shell jobs",
                "use 0.0625 or 1.0",
            )
        if job.glue_version != PYTHONSHELL_GLUE_VERSION:
            yield Problem(
                f"{path}.glue_version",
                f"Python shell jobs run only on Glue "
                f"{PYTHONSHELL_GLUE_VERSION}, not {job.glue_version}",
                f'set glue_version: "{PYTHONSHELL_GLUE_VERSION}" or use glueetl',
            )
        if job.execution_class == "FLEX":
            yield Problem(
                f"{path}.execution_class", "FLEX is only for glueetl jobs", "use STANDARD"
            )
        if job.bookmarks:
            yield Problem(
                f"{path}.bookmarks",
                "Glue bookmarks work only for glueetl jobs",
                "set bookmarks: false",
            )
        return
    if job.max_capacity is not None:
        yield Problem(
            f"{path}.max_capacity",
            "max_capacity is for Python shell jobs; Spark jobs "
            "are sized by worker_type and workers",
            "remove max_capacity",
        )
    worker = WORKER_TYPES.get(job.worker_type or "")
    if worker is None:
        yield Problem(
            f"{path}.worker_type",
            f"unknown worker type {job.worker_type!r}",
            f"use one of {', '.join(WORKER_TYPES)}",
        )
        return
    if job.command not in worker.commands:
        yield Problem(
            f"{path}.worker_type",
            f"{worker.name} does not run {job.command} jobs",
            f"use a worker type for {job.command}, e.g. G.1X",
        )
    if version_key(job.glue_version) < version_key(worker.min_glue_version):
        yield Problem(
            f"{path}.worker_type",
            f"{worker.name} needs Glue {worker.min_glue_version} or later, not {job.glue_version}",
            f"raise glue_version to {worker.min_glue_version}+ or use G.1X/G.2X",
        )
    if job.workers is not None and job.workers < 2:
        yield Problem(
            f"{path}.workers",
            "Spark jobs need at least 2 workers (1 driver + 1 executor)",
            "set workers: 2 or more",
        )
    if job.execution_class == "FLEX":
        if job.command != "glueetl":
            yield Problem(
                f"{path}.execution_class",
                "FLEX is only for glueetl jobs",
                "use STANDARD for streaming jobs",
            )
        elif job.worker_type not in FLEX_WORKER_TYPES:
            yield Problem(
                f"{path}.execution_class",
                f"FLEX runs only on {'/'.join(FLEX_WORKER_TYPES)}, not {job.worker_type}",
                "use worker_type G.1X or G.2X, or execution_class STANDARD",
            )
    if job.command == "gluestreaming" and job.bookmarks:
        yield Problem(
            f"{path}.bookmarks",
            "streaming jobs keep state in Spark checkpoints; Glue bookmarks do not apply",
            "set bookmarks: false",
        )


def modules_from_pypi(value: str) -> list[str]:
    """Entries of --additional-python-modules that pip would fetch from an index (not S3)."""
    return [m.strip() for m in value.split(",") if m.strip() and not m.strip().startswith("s3://")]


def _job_arguments(job: JobConfig, path: str) -> Iterator[Problem]:
    for key, value in job.arguments.items():
        where = f"{path}.arguments.{key}"
        if key == "--additional-python-modules" and modules_from_pypi(value):
            yield Problem(
                where,
                f"{', '.join(modules_from_pypi(value))} would be fetched from PyPI, which the VPC "
                "cannot reach (no internet path): the job would fail at start",
                "download the wheels (pip download --only-binary=:all: --python-version "
                "<Glue's Python> ...) and list them in python_wheels",
            )
        elif key in RESERVED_JOB_ARGUMENTS:
            yield Problem(
                where,
                f"{key} is set by glueprint from the job's typed fields",
                "use the job field instead (bookmarks, continuous_logging, metrics, "
                "catalog, python_wheels) or a different argument name",
            )
        secret = secret_in_argument(key, value)
        if secret is not None:
            yield Problem(where, *secret)


def secret_in_argument(key: str, value: str) -> tuple[str, str] | None:
    """(what, fix) when a job argument looks like it carries a secret, else None."""
    if SECRET_KEY.search(key) and not REFERENCE_KEY.search(key):
        return (
            "the argument name suggests a secret; Glue may log job "
            "arguments and they are stored in Terraform state",
            "keep the secret in Secrets Manager and pass its id (e.g. --db_secret_id)",
        )
    for pattern, what in SECRET_VALUES:
        if pattern.search(value):
            return (
                f"the value contains {what}; Glue may log job arguments",
                "keep the secret in Secrets Manager and pass its id instead",
            )
    return None


WHEEL_NAME = re.compile(r"^[A-Za-z0-9_.+-]+\.whl$")
"""A wheel file name (PEP 427); it becomes an S3 key and a job argument, so nothing else."""


def _python_wheels(job: JobConfig, base_dir: Path, path: str) -> Iterator[Problem]:
    if job.python_wheels and not job.is_spark:
        yield Problem(
            f"{path}.python_wheels",
            "glueprint ships wheels to Spark jobs only (Python shell jobs load libraries "
            "differently)",
            "make the job a glueetl job, or keep pure-Python helpers in the script",
        )
        return
    for i, wheel in enumerate(job.python_wheels):
        where = f"{path}.python_wheels[{i}]"
        if not WHEEL_NAME.match(wheel.name):
            yield Problem(
                where,
                f"{wheel.name} is not a wheel file name (name-version-tags.whl)",
                "point at a .whl built or downloaded for Glue's Python (pip download/wheel)",
            )
        elif not (base_dir / wheel).is_file():
            yield Problem(
                where,
                f"{base_dir / wheel} does not exist",
                "fix the path (relative to the config) or download the wheel",
            )


def _wheel_names(config: GlueprintConfig) -> Iterator[Problem]:
    """Wheels share one S3 prefix per owner, keyed by file name: one name, one file."""
    first: dict[str, Path] = {}
    for i, job in enumerate(config.jobs):
        for k, wheel in enumerate(job.python_wheels):
            seen = first.setdefault(wheel.name, wheel)
            if seen != wheel:
                yield Problem(
                    f"jobs[{i}].python_wheels[{k}]",
                    f"{wheel} has the same file name as {seen}, listed earlier",
                    "use one copy of the wheel for every job that needs it",
                )


def _storage(config: GlueprintConfig) -> Iterator[Problem]:
    storage = config.storage
    given = {
        field: getattr(storage, field)
        for field in ("scripts_bucket", "data_bucket", "temp_bucket", "logs_bucket")
        if getattr(storage, field) is not None
    }
    for field, name in given.items():
        if (
            re.fullmatch(r"\d+\.\d+\.\d+\.\d+", name)
            or name.startswith(("xn--", "sthree-"))
            or name.endswith(("-s3alias", "--ol-s3", "--x-s3", "--table-s3"))
        ):
            yield Problem(
                f"storage.{field}",
                f"{name!r} uses a prefix or suffix S3 reserves",
                "choose another bucket name",
            )
    for name, n in Counter(given.values()).items():
        if n > 1:
            yield Problem(
                "storage",
                f"bucket {name!r} is used for {n} purposes",
                "give each bucket its own name",
            )


def _tags(config: GlueprintConfig) -> Iterator[Problem]:
    if len(config.tags) > MAX_TAGS:
        yield Problem(
            "tags",
            f"{len(config.tags)} tags; AWS allows 50 per resource and glueprint adds 2",
            f"keep at most {MAX_TAGS}",
        )
    for key in config.tags:
        if key.lower().startswith("aws:"):
            yield Problem(
                f"tags.{key}",
                "the aws: prefix is reserved for AWS",
                "use a tag key without the aws: prefix",
            )
    for reserved in ("Project", "ManagedBy"):
        if reserved in config.tags:
            yield Problem(
                f"tags.{reserved}",
                f"{reserved} is set by glueprint",
                "remove it (Project comes from `project`)",
            )


def _ip_capacity(config: GlueprintConfig) -> Iterator[Problem]:
    """Peak Glue ENIs must fit in each Glue subnet (AWS: 'The specified subnet does not have
    enough free addresses'). Any job may land in any AZ after a failover, so every subnet must
    hold all of them, next to one ENI per interface endpoint."""
    if not config.jobs:
        return
    try:
        layout = compute_layout(config)
    except LayoutError:
        return  # reported by the loader with its own message
    demand = sum(
        ((job.workers or 0) if job.is_spark else 1) * job.max_concurrent_runs for job in config.jobs
    ) + len(layout.endpoints)
    for subnet in layout.glue_subnets:
        usable = subnet.cidr.num_addresses - 5  # AWS reserves five addresses per subnet
        if demand > usable:
            field = "glue_subnets" if config.network.glue_subnets else "glue_subnet_prefix"
            yield Problem(
                f"network.{field}",
                f"jobs need up to {demand} IPs at peak (workers x "
                f"max_concurrent_runs, plus endpoint ENIs) but {subnet.cidr} in "
                f"{subnet.az} has {usable} usable",
                "use larger Glue subnets (a smaller prefix) or fewer workers or concurrent runs",
            )
            return
