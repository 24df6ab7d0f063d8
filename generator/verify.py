"""Invariants that make "no internet path" and "secure by default" true, checked on a plan.

The checks run on whatever Terraform is in the stack directory, including the user's edits,
and each names the resources at fault, why the invariant matters and how to fix it. Values that
are unknown until apply (the JDBC connection properties depend on the database's address) are
checked in the module source instead, and the result says so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.catalog import GLUE_VERSIONS
from generator.plan import Instance, Key, Plan
from generator.rules import REFERENCE_KEY, SECRET_KEY, SECRET_VALUES, modules_from_pypi

WORLD = {"0.0.0.0/0", "::/0"}
INTERNET_PATH_TYPES = (
    "aws_internet_gateway",
    "aws_internet_gateway_attachment",
    "aws_egress_only_internet_gateway",
    "aws_nat_gateway",
    "aws_eip",
    "aws_eip_association",
    "aws_vpc_peering_connection",
    "aws_vpc_peering_connection_accepter",
    "aws_vpn_gateway",
    "aws_vpn_gateway_attachment",
    "aws_vpn_connection",
    "aws_customer_gateway",
    "aws_ec2_transit_gateway_vpc_attachment",
)
ROUTE_TARGETS = (
    "gateway_id",
    "nat_gateway_id",
    "egress_only_gateway_id",
    "transit_gateway_id",
    "vpc_peering_connection_id",
    "carrier_gateway_id",
    "core_network_arn",
    "network_interface_id",
    "instance_id",
)
DB_TYPES = ("aws_db_instance", "aws_rds_cluster")


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    why: str
    fix: str


@dataclass
class Result:
    check: Check
    failures: list[str] = field(default_factory=list)
    """`address: what is wrong` for each violation."""
    notes: list[str] = field(default_factory=list)
    """How the check was made when not from planned values (e.g. from source)."""

    @property
    def passed(self) -> bool:
        return not self.failures


CHECKS: dict[str, Check] = {
    c.id: c
    for c in (
        Check(
            "no-internet-gateways",
            "No internet, NAT, VPN, peering or transit path objects",
            "Any of them is a way out of the VPC; without them no route can reach the internet.",
            "Remove the resource; Glue reaches AWS services through VPC endpoints.",
        ),
        Check(
            "no-default-route",
            "No route to 0.0.0.0/0 or ::/0, and no route to a gateway",
            "A default route in a table a Glue or RDS subnet uses (including the main table) is "
            "an internet path.",
            "Remove the route; keep only local routes and the S3 endpoint.",
        ),
        Check(
            "subnets-private",
            "Subnets assign no public IPs",
            "A public IP on a Glue ENI or RDS interface is reachable from outside once a route "
            "exists.",
            "Set map_public_ip_on_launch = false and no IPv6 auto-assignment.",
        ),
        Check(
            "subnets-associated",
            "Every subnet is explicitly associated with a route table",
            "An unassociated subnet silently uses the main route table.",
            "Add an aws_route_table_association for the subnet.",
        ),
        Check(
            "default-sg-empty",
            "The default security group is adopted and has no rules",
            "AWS's default group admits all traffic between its members and all egress.",
            "Declare aws_default_security_group for the VPC with no ingress or egress.",
        ),
        Check(
            "no-world-sg-rules",
            "No security group rule open to the world",
            "A 0.0.0.0/0 or ::/0 rule in either direction is an open door or an exfiltration "
            "path; checkov misses the ip_protocol = -1 shape.",
            "Use referenced_security_group_id or prefix_list_id instead of a world CIDR.",
        ),
        Check(
            "database-sg-from-glue-only",
            "The database admits only its port, only from Glue",
            "Any other source or port widens who can reach the data.",
            "Keep a single ingress rule: the DB port from the Glue security group.",
        ),
        Check(
            "database-private",
            "The database is private, encrypted, protected and backed up",
            "A public or unencrypted database, or one without backups, loses or leaks data.",
            "publicly_accessible = false, storage_encrypted = true, deletion_protection = true, "
            "backup_retention_period >= 1.",
        ),
        Check(
            "vpc-dns",
            "VPC DNS support and hostnames are on",
            "Glue fails with 'No Private DNS for Network Interface Found'; endpoint private DNS "
            "needs both.",
            "Set enable_dns_support and enable_dns_hostnames to true.",
        ),
        Check(
            "jobs-in-vpc",
            "Every Glue job has connections, a security configuration and a pinned version",
            "A job without connections runs outside the VPC; without a "
            "security configuration its output, logs and bookmarks are not KMS encrypted.",
            "Set connections, security_configuration and a supported glue_version.",
        ),
        Check(
            "s3-gateway-on-connection-subnets",
            "Each connection subnet's route table carries the S3 gateway endpoint",
            "Glue refuses the connection: 'VPC S3 endpoint "
            "validation failed ... Could not find S3 endpoint or NAT gateway'.",
            "Add the subnet's route table to the S3 gateway endpoint's route_table_ids.",
        ),
        Check(
            "glue-sg-self-reference",
            "The Glue security group references itself on all TCP ports, both ways",
            "Glue refuses it: 'At least one security group must open all "
            "ingress ports' (and egress).",
            "Add all-TCP ingress and egress rules whose source/destination is the group itself.",
        ),
        Check(
            "endpoints-for-features",
            "Interface endpoints exist, with private DNS, for what the jobs use",
            "Without a NAT, a job calling Secrets Manager, Glue, Logs, KMS or "
            "CloudWatch without its endpoint hangs until it times out.",
            "Add the endpoint (private_dns_enabled = true) or turn the job feature off.",
        ),
        Check(
            "no-internet-dependencies",
            "No job installs Python modules from PyPI",
            "With no internet path, pip cannot reach PyPI: the job fails before it starts.",
            "Ship the wheels in the scripts bucket and list their s3:// URIs in "
            "--additional-python-modules.",
        ),
        Check(
            "no-secrets-in-glue",
            "No password in Glue connections or job arguments",
            "Passwords there land in Terraform state and in Glue; job arguments may be logged.",
            "Use SECRET_ID (Secrets Manager) with JDBC_ENFORCE_SSL = true; pass secret ids, "
            "not secrets.",
        ),
    )
}


class Verifier:
    """Runs every check on one plan; `stack` is the directory the plan was made from."""

    def __init__(self, plan: Plan, stack: Path) -> None:
        self.plan = plan
        self.stack = stack

    def run(self) -> list[Result]:
        results = []
        for check_id, method in self._methods().items():
            result = Result(CHECKS[check_id])
            for failure in method(result):
                result.failures.append(failure)
            results.append(result)
        return results

    def _methods(self) -> dict[str, Callable[[Result], Iterator[str]]]:
        return {
            "no-internet-gateways": self._no_internet_gateways,
            "no-default-route": self._no_default_route,
            "subnets-private": self._subnets_private,
            "subnets-associated": self._subnets_associated,
            "default-sg-empty": self._default_sg_empty,
            "no-world-sg-rules": self._no_world_sg_rules,
            "database-sg-from-glue-only": self._database_sg,
            "database-private": self._database_private,
            "vpc-dns": self._vpc_dns,
            "jobs-in-vpc": self._jobs_in_vpc,
            "s3-gateway-on-connection-subnets": self._s3_gateway,
            "glue-sg-self-reference": self._glue_self_reference,
            "endpoints-for-features": self._endpoints,
            "no-internet-dependencies": self._no_internet_dependencies,
            "no-secrets-in-glue": self._no_secrets,
        }

    # --- network -------------------------------------------------------------------------------

    def _no_internet_gateways(self, result: Result) -> Iterator[str]:
        for inst in self.plan.of_type(*INTERNET_PATH_TYPES):
            yield f"{inst.address}: {inst.type} is a path out of the VPC"

    def _no_default_route(self, result: Result) -> Iterator[str]:
        routes: list[tuple[Instance, dict[str, object]]] = [
            (inst, inst.values) for inst in self.plan.of_type("aws_route")
        ]
        for inst in self.plan.of_type("aws_route_table", "aws_default_route_table"):
            routes += [(inst, route) for route in inst.values.get("route") or []]
        for inst, route in routes:
            cidrs = {
                route.get("destination_cidr_block"),
                route.get("destination_ipv6_cidr_block"),
                route.get("cidr_block"),
                route.get("ipv6_cidr_block"),
            }
            if cidrs & WORLD:
                yield f"{inst.address}: route to {', '.join(sorted(str(c) for c in cidrs & WORLD))}"
            targets = [t for t in ROUTE_TARGETS if route.get(t) or inst.is_unknown(t)]
            if targets:
                yield f"{inst.address}: route through {', '.join(targets)}"

    def _subnets_private(self, result: Result) -> Iterator[str]:
        for inst in self.plan.of_type("aws_subnet", "aws_default_subnet"):
            if inst.values.get("map_public_ip_on_launch"):
                yield f"{inst.address}: map_public_ip_on_launch = true"
            if inst.values.get("assign_ipv6_address_on_creation"):
                yield f"{inst.address}: assign_ipv6_address_on_creation = true"

    def _subnets_associated(self, result: Result) -> Iterator[str]:
        associated: set[Key] = set()
        for assoc in self.plan.of_type("aws_route_table_association"):
            associated |= self.plan.resolve(assoc.key, "subnet_id")
        for key in sorted({s.key for s in self.plan.of_type("aws_subnet")}):
            if key not in associated:
                yield f"{_address(key)}: no aws_route_table_association (uses the main table)"

    def _default_sg_empty(self, result: Result) -> Iterator[str]:
        defaults = self.plan.of_type("aws_default_security_group")
        if self.plan.of_type("aws_vpc") and not defaults:
            yield "aws_vpc: no aws_default_security_group adopts the VPC's default group"
        for inst in defaults:
            if inst.values.get("ingress") or inst.values.get("egress"):
                yield f"{inst.address}: has rules"
            for rule in self._rules_of({inst.key}):
                yield f"{rule.address}: a rule on the default security group"

    def _no_world_sg_rules(self, result: Result) -> Iterator[str]:
        for inst in self.plan.of_type("aws_security_group"):
            for direction in ("ingress", "egress"):
                for rule in inst.values.get(direction) or []:
                    cidrs = set(rule.get("cidr_blocks") or []) | set(
                        rule.get("ipv6_cidr_blocks") or []
                    )
                    if cidrs & WORLD:
                        yield f"{inst.address}: inline {direction} from/to {sorted(cidrs & WORLD)}"
        for inst in self.plan.of_type("aws_security_group_rule"):
            cidrs = set(inst.values.get("cidr_blocks") or []) | set(
                inst.values.get("ipv6_cidr_blocks") or []
            )
            if cidrs & WORLD:
                yield f"{inst.address}: {inst.values.get('type')} to/from {sorted(cidrs & WORLD)}"
        for inst in self.plan.of_type(
            "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"
        ):
            cidrs = {inst.values.get("cidr_ipv4"), inst.values.get("cidr_ipv6")}
            if cidrs & WORLD:
                yield (
                    f"{inst.address}: {sorted(str(c) for c in cidrs & WORLD)} on protocol "
                    f"{inst.values.get('ip_protocol')}"
                )

    def _vpc_dns(self, result: Result) -> Iterator[str]:
        for inst in self.plan.of_type("aws_vpc"):
            for flag in ("enable_dns_support", "enable_dns_hostnames"):
                if inst.values.get(flag) is not True:
                    yield f"{inst.address}: {flag} is not true"

    # --- security groups -----------------------------------------------------------------------

    def _rules_of(self, groups: set[Key]) -> list[Instance]:
        """Standalone rule resources whose security_group_id is one of `groups`."""
        return [
            rule
            for rule in self.plan.of_type(
                "aws_vpc_security_group_ingress_rule",
                "aws_vpc_security_group_egress_rule",
                "aws_security_group_rule",
            )
            if self.plan.resolve(rule.key, "security_group_id") & groups
        ]

    def _glue_groups(self) -> set[Key]:
        groups: set[Key] = set()
        for conn in self.plan.of_type("aws_glue_connection"):
            groups |= self.plan.resolve(
                conn.key, "physical_connection_requirements", 0, "security_group_id_list"
            )
        return groups

    def _glue_self_reference(self, result: Result) -> Iterator[str]:
        groups = self._glue_groups()
        if self.plan.of_type("aws_glue_connection") and not groups:
            yield "aws_glue_connection: no security group could be traced"
        for group in sorted(groups):
            rules = self._rules_of({group})
            for direction in ("ingress", "egress"):
                if not any(self._is_self_all_tcp(rule, group, direction) for rule in rules):
                    yield (
                        f"{_address(group)}: no all-TCP {direction} rule referencing the "
                        "group itself"
                    )

    def _is_self_all_tcp(self, rule: Instance, group: Key, direction: str) -> bool:
        values = rule.values
        if rule.type == "aws_security_group_rule":
            if values.get("type") != direction or not values.get("self"):
                return False
            protocol = values.get("protocol")
        else:
            if not rule.type.endswith(f"{direction}_rule"):
                return False
            if group not in self.plan.resolve(rule.key, "referenced_security_group_id"):
                return False
            protocol = values.get("ip_protocol")
        if protocol in ("-1", "all"):
            return True
        return protocol == "tcp" and values.get("from_port") == 0 and values.get("to_port") == 65535

    def _database_groups(self) -> dict[Key, set[int]]:
        """Security groups attached to databases, with the databases' ports."""
        groups: dict[Key, set[int]] = {}
        for db in self.plan.of_type(*DB_TYPES):
            for group in self.plan.resolve(db.key, "vpc_security_group_ids"):
                port = db.values.get("port")
                groups.setdefault(group, set()).update({port} if isinstance(port, int) else set())
        return groups

    def _database_sg(self, result: Result) -> Iterator[str]:
        glue = self._glue_groups()
        for group, ports in sorted(self._database_groups().items()):
            ingress = [
                r
                for r in self._rules_of({group})
                if "ingress" in r.type or r.values.get("type") == "ingress"
            ]
            if not ingress:
                yield f"{_address(group)}: no ingress rule (Glue cannot reach the database)"
            for rule in ingress:
                sources = self.plan.resolve(
                    rule.key, "referenced_security_group_id"
                ) | self.plan.resolve(rule.key, "source_security_group_id")
                if not sources or not sources <= glue:
                    yield f"{rule.address}: source is not the Glue security group"
                span = {rule.values.get("from_port"), rule.values.get("to_port")}
                if ports and span != ports:
                    shown = sorted(str(p) for p in span)
                    yield f"{rule.address}: ports {shown} != DB port {sorted(ports)}"

    def _database_private(self, result: Result) -> Iterator[str]:
        for inst in self.plan.of_type("aws_db_instance", "aws_rds_cluster_instance"):
            if inst.values.get("publicly_accessible") is not False:
                yield f"{inst.address}: publicly_accessible is not false"
        for inst in self.plan.of_type(*DB_TYPES):
            if inst.values.get("storage_encrypted") is not True:
                yield f"{inst.address}: storage_encrypted is not true"
            if inst.values.get("deletion_protection") is not True:
                yield f"{inst.address}: deletion_protection is not true"
            retention = inst.values.get("backup_retention_period")
            if not isinstance(retention, int) or retention < 1:
                yield f"{inst.address}: backup_retention_period is {retention}"
            if inst.values.get("manage_master_user_password") is not True:
                yield f"{inst.address}: master password not managed by RDS in Secrets Manager"

    # --- Glue ----------------------------------------------------------------------------------

    def _jobs_in_vpc(self, result: Result) -> Iterator[str]:
        for job in self.plan.of_type("aws_glue_job"):
            if not job.values.get("connections") and not job.is_unknown("connections"):
                yield f"{job.address}: no connections (runs outside the VPC)"
            if not job.values.get("security_configuration") and not job.is_unknown(
                "security_configuration"
            ):
                yield f"{job.address}: no security_configuration"
            if job.values.get("glue_version") not in GLUE_VERSIONS:
                yield (
                    f"{job.address}: glue_version {job.values.get('glue_version')!r} is not "
                    f"one of {', '.join(GLUE_VERSIONS)}"
                )

    def _s3_gateway(self, result: Result) -> Iterator[str]:
        gateway_tables: set[Key] = set()
        for ep in self.plan.of_type("aws_vpc_endpoint"):
            if ep.values.get("vpc_endpoint_type") == "Gateway" and str(
                ep.values.get("service_name", "")
            ).endswith(".s3"):
                gateway_tables |= self.plan.resolve(ep.key, "route_table_ids")
        tables_of: dict[Key, set[Key]] = {}
        for assoc in self.plan.of_type("aws_route_table_association"):
            for subnet in self.plan.resolve(assoc.key, "subnet_id"):
                tables_of.setdefault(subnet, set()).update(
                    self.plan.resolve(assoc.key, "route_table_id")
                )
        for conn in self.plan.of_type("aws_glue_connection"):
            subnets = self.plan.resolve(
                conn.key, "physical_connection_requirements", 0, "subnet_id"
            )
            if not subnets:
                yield f"{conn.address}: its subnet could not be traced"
            for subnet in subnets:
                tables = tables_of.get(subnet, set())
                if not tables:
                    yield (
                        f"{conn.address}: subnet {_address(subnet)} has no route table association"
                    )
                elif not tables & gateway_tables:
                    yield (
                        f"{conn.address}: route table of {_address(subnet)} has no S3 gateway "
                        "endpoint"
                    )

    def _endpoints(self, result: Result) -> Iterator[str]:
        services = {
            str(ep.values.get("service_name", "")).rsplit(".", 1)[-1]: ep
            for ep in self.plan.of_type("aws_vpc_endpoint")
            if ep.values.get("vpc_endpoint_type") == "Interface"
        }
        for service, ep in sorted(services.items()):
            if ep.values.get("private_dns_enabled") is not True:
                yield f"{ep.address}: private_dns_enabled is not true ({service})"
        jdbc = {
            c.values.get("name")
            for c in self.plan.of_type("aws_glue_connection")
            if c.values.get("connection_type") == "JDBC"
        }
        for job in self.plan.of_type("aws_glue_job"):
            if _arguments(job) is None:
                yield f"{job.address}: {UNKNOWN_ARGUMENTS}"
                continue
            for service, why in _needed_services(job, jdbc):
                if service not in services:
                    yield f"{job.address}: needs the {service} endpoint ({why})"

    def _no_internet_dependencies(self, result: Result) -> Iterator[str]:
        for job in self.plan.of_type("aws_glue_job"):
            args = _arguments(job)
            if args is None:
                yield f"{job.address}: {UNKNOWN_ARGUMENTS}"
                continue
            modules = args.get("--additional-python-modules", "")
            from_pypi = modules_from_pypi(str(modules))
            if from_pypi:
                yield f"{job.address}: modules from PyPI: {', '.join(from_pypi)}"

    def _no_secrets(self, result: Result) -> Iterator[str]:
        source_checked = False
        for conn in self.plan.of_type("aws_glue_connection"):
            if conn.is_unknown("connection_properties"):
                source_checked = True
                continue
            props = conn.values.get("connection_properties") or {}
            yield from _connection_property_problems(conn.address, props, conn.values)
        for job in self.plan.of_type("aws_glue_job"):
            args = _arguments(job)
            if args is None:
                yield f"{job.address}: {UNKNOWN_ARGUMENTS}"
                continue
            for key, value in args.items():
                if SECRET_KEY.search(key) and not REFERENCE_KEY.search(key):
                    yield f"{job.address}: argument {key} looks like a secret"
                for pattern, what in SECRET_VALUES:
                    if isinstance(value, str) and pattern.search(value):
                        yield f"{job.address}: argument {key} holds {what}"
        if source_checked:
            result.notes.append(
                "connection properties are unknown until apply: checked in the module source"
            )
            yield from self._connection_source_problems()

    def _connection_source_problems(self) -> Iterator[str]:
        modules = {
            c.module
            for c in self.plan.of_type("aws_glue_connection")
            if c.is_unknown("connection_properties")
        }
        for module in sorted(modules):
            source = self.plan.source_of(module)
            directory = self.stack / source if source else self.stack
            text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.tf")))
            text = re.sub(r"#.*", "", text)
            where = f"{module or 'root'} ({directory.relative_to(self.stack).as_posix() or '.'})"
            if re.search(r'\bPASSWORD"?\s*=', text):
                yield f"{where}: a connection property PASSWORD is set"
            jdbc = any(
                c.values.get("connection_type") == "JDBC" and c.module == module
                for c in self.plan.of_type("aws_glue_connection")
            )
            if jdbc and not re.search(r'\bSECRET_ID"?\s*=', text):
                yield f"{where}: JDBC connections have no SECRET_ID"
            if jdbc and not re.search(r'\bJDBC_ENFORCE_SSL"?\s*=\s*"true"', text):
                yield f'{where}: JDBC connections do not set JDBC_ENFORCE_SSL = "true"'


def _connection_property_problems(
    address: str, props: dict[str, str], values: dict[str, object]
) -> Iterator[str]:
    if "PASSWORD" in props:
        yield f"{address}: connection property PASSWORD is set"
    if values.get("connection_type") == "JDBC":
        if "SECRET_ID" not in props:
            yield f"{address}: no SECRET_ID"
        if str(props.get("JDBC_ENFORCE_SSL", "")).lower() != "true":
            yield f"{address}: JDBC_ENFORCE_SSL is not true"


UNKNOWN_ARGUMENTS = (
    "default_arguments are unknown until apply, so they cannot be proven; build them from "
    "configured values (e.g. bucket names), not computed attributes"
)


def _arguments(job: Instance) -> dict[str, Any] | None:
    """A job's default arguments, or None when Terraform cannot know them before apply."""
    if job.wholly_unknown("default_arguments"):
        return None
    args: dict[str, Any] = job.values.get("default_arguments") or {}
    return args


def _needed_services(job: Instance, jdbc: set[object]) -> Iterator[tuple[str, str]]:
    args = _arguments(job) or {}
    if (
        args.get("--enable-continuous-cloudwatch-log") == "true"
        or "--custom-logGroup-prefix" in args
    ):
        yield "logs", "logging to the job's own log groups"
    if args.get("--enable-metrics") is not None:
        yield "monitoring", "job metrics"
    if args.get("--job-bookmark-option") == "job-bookmark-enable":
        yield "glue", "job bookmarks"
        yield "kms", "bookmarks are CSE-KMS encrypted"
    if args.get("--enable-glue-datacatalog") == "true":
        yield "glue", "Data Catalog"
    used = set(job.values.get("connections") or []) & jdbc
    if used:
        yield "secretsmanager", f"JDBC connection {sorted(str(u) for u in used)[0]} uses SECRET_ID"
        yield "glue", "connection lookup"


def _address(key: Key) -> str:
    module, address = key
    return f"{module}.{address}" if module else address
