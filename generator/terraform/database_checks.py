"""`verify`'s database checks: reachable only from Glue, on its port; private and protected."""

from __future__ import annotations

from collections.abc import Iterator

from generator.terraform.checks import Stack, address, check
from generator.terraform.plan import Key

DB_TYPES = ("aws_db_instance", "aws_rds_cluster")


def database_groups(stack: Stack) -> dict[Key, set[int]]:
    """Security groups attached to databases, with the databases' ports."""
    groups: dict[Key, set[int]] = {}
    for db in stack.plan.of_type(*DB_TYPES):
        for group in stack.plan.resolve(db.key, "vpc_security_group_ids"):
            port = db.values.get("port")
            groups.setdefault(group, set()).update({port} if isinstance(port, int) else set())
    return groups


@check(
    "database-sg-from-glue-only",
    "The database admits only its port, only from Glue",
    "Any other source or port widens who can reach the data.",
    "Keep a single ingress rule: the DB port from the Glue security group.",
)
def database_sg(stack: Stack) -> Iterator[str]:
    glue = stack.glue_groups()
    for group, ports in sorted(database_groups(stack).items()):
        ingress = [
            r
            for r in stack.rules_of({group})
            if "ingress" in r.type or r.values.get("type") == "ingress"
        ]
        if not ingress:
            yield f"{address(group)}: no ingress rule (Glue cannot reach the database)"
        for rule in ingress:
            sources = stack.plan.resolve(
                rule.key, "referenced_security_group_id"
            ) | stack.plan.resolve(rule.key, "source_security_group_id")
            if not sources or not sources <= glue:
                yield f"{rule.address}: source is not the Glue security group"
            span = {rule.values.get("from_port"), rule.values.get("to_port")}
            if ports and span != ports:
                shown = sorted(str(p) for p in span)
                yield f"{rule.address}: ports {shown} != DB port {sorted(ports)}"


@check(
    "database-private",
    "The database is private, encrypted, protected and backed up",
    "A public or unencrypted database, or one without backups, loses or leaks data.",
    "publicly_accessible = false, storage_encrypted = true, deletion_protection = true, "
    "backup_retention_period >= 1.",
)
def database_private(stack: Stack) -> Iterator[str]:
    for inst in stack.plan.of_type("aws_db_instance", "aws_rds_cluster_instance"):
        if inst.values.get("publicly_accessible") is not False:
            yield f"{inst.address}: publicly_accessible is not false"
    for inst in stack.plan.of_type(*DB_TYPES):
        if inst.values.get("storage_encrypted") is not True:
            yield f"{inst.address}: storage_encrypted is not true"
        if inst.values.get("deletion_protection") is not True:
            yield f"{inst.address}: deletion_protection is not true"
        retention = inst.values.get("backup_retention_period")
        if not isinstance(retention, int) or retention < 1:
            yield f"{inst.address}: backup_retention_period is {retention}"
        if inst.values.get("manage_master_user_password") is not True:
            yield f"{inst.address}: master password not managed by RDS in Secrets Manager"


@check(
    "database-instances-spread",
    "An Aurora cluster's instances are in different AZs",
    "RDS may place a cluster's instances in one AZ, which an AZ outage then takes down whole.",
    "availability_zone = a different AZ of the DB subnet group on each aws_rds_cluster_instance.",
)
def database_instances_spread(stack: Stack) -> Iterator[str]:
    placed: dict[str, str] = {}
    for inst in stack.plan.of_type("aws_rds_cluster_instance"):
        zone = inst.values.get("availability_zone")
        if not isinstance(zone, str):
            yield f"{inst.address}: availability_zone is not set, so RDS picks one"
        elif zone in placed:
            yield f"{inst.address}: in {zone} with {placed[zone]}"
        else:
            placed[zone] = inst.address
