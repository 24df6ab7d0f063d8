"""Cross-field rules AWS would otherwise reject at apply or run time.

Each rule returns `Problem`s naming the field, the AWS failure it prevents, and the fix. The
error strings quoted are the ones AWS returns, so a user who met one finds it here.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from generator.config.buckets import external_bucket_problems
from generator.config.catalog import ENGINES
from generator.config.certificates import ca_certificate_problems
from generator.config.errors import Problem
from generator.config.external import arn_region, cidr_problem
from generator.config.job_rules import job_problems, unique_names
from generator.config.layout import Layout, availability_zones, connection_copies
from generator.config.rds_catalog import (
    AURORA_BURSTABLE_SIZES,
    AURORA_INSTANCE_FAMILIES,
    MAJOR_VERSIONS,
    RDS_INSTANCE_FAMILIES,
)
from generator.config.regions import zone_problems
from generator.config.schema import GLUE_NAME_LENGTH, GlueprintConfig

MAX_TAGS = 50 - 2  # AWS allows 50 tags; glueprint adds Project and ManagedBy.


def check(config: GlueprintConfig, layout: Layout | None, base_dir: Path) -> list[Problem]:
    """All cross-field problems of a parsed config, in file order; `layout` is the one the
    loader derived (None when the network cannot hold it, which the loader reports)."""
    return [
        *_network(config),
        *_database(config),
        *ca_certificate_problems(config, base_dir),
        *_connections(config),
        *_external_databases(config),
        *job_problems(config, base_dir),
        *_storage(config),
        *external_bucket_problems(config),
        *_catalog_encryption(config),
        *_tags(config),
        *_ip_capacity(config, layout),
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
    yield from zone_problems(config)
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
    engine = ENGINES[db.engine]
    major = engine.major_version(db.version)
    if db.engine == "aurora-mysql" and "mysql_aurora" not in db.version:
        yield Problem(
            "database.version",
            f"{db.version!r} is not an Aurora MySQL version",
            f"use the form {engine.default_version}",
        )
    elif db.engine != "aurora-mysql" and "mysql_aurora" in db.version:
        yield Problem(
            "database.version",
            f"{db.version!r} is an Aurora MySQL version but the engine is {db.engine}",
            "set database.engine to aurora-mysql",
        )
    elif db.version.count(".") + 1 < engine.major_parts:
        yield Problem(
            "database.version",
            f"{db.version!r} is not a whole {db.engine} major version (parameter groups are "
            f"per major version: {engine.parameter_group_family(engine.default_version)})",
            f"use the form {engine.default_version}",
        )
    elif major not in MAJOR_VERSIONS[db.engine]:
        valid = ", ".join(MAJOR_VERSIONS[db.engine])
        yield Problem(
            "database.version",
            f"{db.version!r} is not a {db.engine} major version AWS offers (valid: {valid}); "
            "CreateDB fails at apply",
            f"set database.version to one of {valid}, or database.engine to the engine the "
            "version belongs to",
        )
    elif db.version != major:
        yield Problem(
            "database.version",
            f"{db.version!r} pins a minor version; RDS upgrades the minor version itself (auto "
            "minor version upgrade is on), after which every plan would try to downgrade it",
            f"use the major version {major!r}: RDS picks the minor and keeps it current",
        )
    yield from _instance_class(db.engine, db.instance_class, engine.aurora)
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


def _instance_class(engine: str, instance_class: str, aurora: bool) -> Iterator[Problem]:
    """An instance class the engine runs on (generator.config.rds_catalog): RDS refuses any
    other at apply with InvalidParameterCombination."""
    _, family, size = instance_class.split(".")
    families = AURORA_INSTANCE_FAMILIES if aurora else RDS_INSTANCE_FAMILIES
    offered = ", ".join(f"db.{f}" for f in families)
    if family not in families:
        yield Problem(
            "database.instance_class",
            f"{instance_class} is not an instance class {engine} runs on (its families: {offered})",
            "pick a class of one of those families, e.g. db.t4g.medium or db.r7g.large",
        )
    elif aurora and family.startswith("t") and size not in AURORA_BURSTABLE_SIZES:
        sizes = " or ".join(AURORA_BURSTABLE_SIZES)
        yield Problem(
            "database.instance_class",
            f"{instance_class}: Aurora runs burstable db.{family} classes only in size {sizes}",
            f"use db.{family}.medium or db.{family}.large, or a db.r* class",
        )


def _connections(config: GlueprintConfig) -> Iterator[Problem]:
    yield from unique_names([c.name for c in config.connections], "connection", "connections")
    expanded: dict[str, int] = {}
    az_count = len(availability_zones(config))
    for i, conn in enumerate(config.connections):
        path = f"connections[{i}]"
        if conn.type == "JDBC" and conn.external is None and config.database is None:
            yield Problem(
                f"{path}.type",
                f"JDBC connection {conn.name!r} has no database to point at",
                "add a `database:` section, give the connection an `external:` database, "
                "or make it a NETWORK connection",
            )
        copies = connection_copies(conn.name, az_count if conn.per_az else 1)
        if len(copies[-1]) > GLUE_NAME_LENGTH:
            yield Problem(
                f"{path}.name",
                f"its per-AZ copy NAME-az{len(copies)} is {len(copies[-1])} characters long; "
                f"Glue allows {GLUE_NAME_LENGTH}",
                "shorten the name, or set per_az: false",
            )
        for copy in copies:
            if copy in expanded and expanded[copy] != i:
                yield Problem(
                    f"{path}.name",
                    f"the per-AZ copy {copy!r} clashes with connection #{expanded[copy]}",
                    "rename one of the connections",
                )
            expanded.setdefault(copy, i)


def _external_databases(config: GlueprintConfig) -> Iterator[Problem]:
    """What AWS would refuse, or what would let Glue reach more than the database, in each
    `external:` database."""
    vpc = config.network.vpc_cidr
    for i, conn in enumerate(config.connections):
        db, path = conn.external, f"connections[{i}].external"
        if db is None:
            continue
        if conn.type != "JDBC":
            yield Problem(
                path,
                f"{conn.type} connection {conn.name!r} has a database, which only a JDBC "
                "connection uses",
                "set `type: JDBC`, or remove `external:`",
            )
        if (db.cidr is None) == (db.security_group_id is None):
            given = (
                "both cidr and security_group_id are"
                if db.cidr
                else "neither cidr nor security_group_id is"
            )
            yield Problem(
                path,
                f"Glue's egress rule needs one destination, but {given} given",
                "give `cidr:` (the database's subnets) or `security_group_id:` (its group)",
            )
        if db.cidr is not None:
            wrong = cidr_problem(db.cidr)
            if wrong is None and db.cidr.overlaps(vpc) and not db.cidr.subnet_of(vpc):
                wrong = f"{db.cidr} takes in the stack's VPC {vpc} and more"
            if wrong:
                yield Problem(
                    f"{path}.cidr",
                    f"{wrong}: Glue's egress would reach more than the database",
                    "give the range of the database's subnets only, or its security_group_id",
                )
        region = arn_region(db.secret_arn)
        if region != config.region:
            yield Problem(
                f"{path}.secret_arn",
                f"the secret is in {region}, but jobs reach Secrets Manager only through "
                f"the stack's endpoint in {config.region}",
                f"replicate the secret to {config.region} and give the replica's ARN",
            )
        if db.kms_key_arn is not None and arn_region(db.kms_key_arn) != region:
            yield Problem(
                f"{path}.kms_key_arn",
                f"the key is in {arn_region(db.kms_key_arn)}; a secret is encrypted with a "
                f"key of its own region ({region})",
                "give the key that encrypts the secret (KmsKeyId in `aws secretsmanager "
                "describe-secret`)",
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


def _catalog_encryption(config: GlueprintConfig) -> Iterator[Problem]:
    key = config.glue.catalog_encryption.kms_key_arn
    if key is not None and arn_region(key) != config.region:
        yield Problem(
            "glue.catalog_encryption.kms_key_arn",
            f"the key is in {arn_region(key)}; the Data Catalog of {config.region} is encrypted "
            f"with a key of {config.region}",
            f"give a key of {config.region} (`aws glue get-data-catalog-encryption-settings "
            f"--region {config.region}` shows the one in use)",
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


def _ip_capacity(config: GlueprintConfig, layout: Layout | None) -> Iterator[Problem]:
    """Peak Glue ENIs must fit in each Glue subnet (AWS: 'The specified subnet does not have
    enough free addresses'). Any job may land in any AZ after a failover, so every subnet must
    hold all of them, next to one ENI per interface endpoint."""
    if not config.jobs or layout is None:
        return
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
