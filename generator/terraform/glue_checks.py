"""`verify`'s Glue checks: jobs inside the VPC, connections Glue accepts, the endpoints the
jobs' features need, nothing fetched from the internet, no secrets in Glue."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from generator.config.catalog import GLUE_VERSIONS
from generator.config.endpoints import Feature, needed_endpoints
from generator.config.job_rules import modules_from_pypi
from generator.config.secrets import secret_findings
from generator.terraform.checks import Stack, address, check
from generator.terraform.plan import Instance, Key


@check(
    "jobs-in-vpc",
    "Every Glue job has connections, a security configuration and a pinned version",
    "A job without connections runs outside the VPC; without a "
    "security configuration its output, logs and bookmarks are not KMS encrypted.",
    "Set connections, security_configuration and a supported glue_version.",
)
def jobs_in_vpc(stack: Stack) -> Iterator[str]:
    for job in stack.plan.of_type("aws_glue_job"):
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


@check(
    "s3-gateway-on-connection-subnets",
    "Each connection subnet's route table carries the S3 gateway endpoint",
    "Glue refuses the connection: 'VPC S3 endpoint "
    "validation failed ... Could not find S3 endpoint or NAT gateway'.",
    "Add the subnet's route table to the S3 gateway endpoint's route_table_ids.",
)
def s3_gateway(stack: Stack) -> Iterator[str]:
    gateway_tables: set[Key] = set()
    for ep in stack.plan.of_type("aws_vpc_endpoint"):
        if ep.values.get("vpc_endpoint_type") == "Gateway" and str(
            ep.values.get("service_name", "")
        ).endswith(".s3"):
            gateway_tables |= stack.plan.resolve(ep.key, "route_table_ids")
    tables_of: dict[Key, set[Key]] = {}
    for assoc in stack.plan.of_type("aws_route_table_association"):
        for subnet in stack.plan.resolve(assoc.key, "subnet_id"):
            tables_of.setdefault(subnet, set()).update(
                stack.plan.resolve(assoc.key, "route_table_id")
            )
    for conn in stack.plan.of_type("aws_glue_connection"):
        subnets = stack.plan.resolve(conn.key, "physical_connection_requirements", 0, "subnet_id")
        if not subnets:
            yield f"{conn.address}: its subnet could not be traced"
        for subnet in subnets:
            tables = tables_of.get(subnet, set())
            if not tables:
                yield (f"{conn.address}: subnet {address(subnet)} has no route table association")
            elif not tables & gateway_tables:
                yield (
                    f"{conn.address}: route table of {address(subnet)} has no S3 gateway endpoint"
                )


@check(
    "glue-sg-self-reference",
    "The Glue security group references itself on all TCP ports, both ways",
    "Glue refuses it: 'At least one security group must open all ingress ports' (and egress).",
    "Add all-TCP ingress and egress rules whose source/destination is the group itself.",
)
def glue_self_reference(stack: Stack) -> Iterator[str]:
    groups = stack.glue_groups()
    if stack.plan.of_type("aws_glue_connection") and not groups:
        yield "aws_glue_connection: no security group could be traced"
    for group in sorted(groups):
        rules = stack.rules_of({group})
        for direction in ("ingress", "egress"):
            if not any(_is_self_all_tcp(stack, rule, group, direction) for rule in rules):
                yield (
                    f"{address(group)}: no all-TCP {direction} rule referencing the group itself"
                )


@check(
    "endpoints-for-features",
    "Interface endpoints exist, with private DNS, for what the jobs use",
    "Without a NAT, a job calling Secrets Manager, Glue, Logs, KMS or "
    "CloudWatch without its endpoint hangs until it times out.",
    "Add the endpoint (private_dns_enabled = true) or turn the job feature off.",
)
def endpoints(stack: Stack) -> Iterator[str]:
    services = {
        str(ep.values.get("service_name", "")).rsplit(".", 1)[-1]: ep
        for ep in stack.plan.of_type("aws_vpc_endpoint")
        if ep.values.get("vpc_endpoint_type") == "Interface"
    }
    for service, ep in sorted(services.items()):
        if ep.values.get("private_dns_enabled") is not True:
            yield f"{ep.address}: private_dns_enabled is not true ({service})"
    jdbc = {
        c.values.get("name")
        for c in stack.plan.of_type("aws_glue_connection")
        if c.values.get("connection_type") == "JDBC"
    }
    for job in stack.plan.of_type("aws_glue_job"):
        if _arguments(job) is None:
            yield f"{job.address}: {UNKNOWN_ARGUMENTS}"
            continue
        for service, why in needed_endpoints(*_features(job, jdbc)):
            if service not in services:
                yield f"{job.address}: needs the {service} endpoint ({why})"


@check(
    "no-internet-dependencies",
    "No job installs Python modules from PyPI",
    "With no internet path, pip cannot reach PyPI: the job fails before it starts.",
    "Ship the wheels in the scripts bucket and list their s3:// URIs in "
    "--additional-python-modules.",
)
def no_internet_dependencies(stack: Stack) -> Iterator[str]:
    for job in stack.plan.of_type("aws_glue_job"):
        args = _arguments(job)
        if args is None:
            yield f"{job.address}: {UNKNOWN_ARGUMENTS}"
            continue
        modules = args.get("--additional-python-modules", "")
        from_pypi = modules_from_pypi(str(modules))
        if from_pypi:
            yield f"{job.address}: modules from PyPI: {', '.join(from_pypi)}"


@check(
    "no-secrets-in-glue",
    "No password in Glue connections or job arguments",
    "Passwords there land in Terraform state and in Glue; job arguments may be logged.",
    "Use SECRET_ID (Secrets Manager) with JDBC_ENFORCE_SSL = true; pass secret ids, not secrets.",
)
def no_secrets(stack: Stack) -> Iterator[str]:
    source_checked = False
    for conn in stack.plan.of_type("aws_glue_connection"):
        if conn.is_unknown("connection_properties"):
            source_checked = True
            continue
        props = conn.values.get("connection_properties") or {}
        yield from _connection_property_problems(conn.address, props, conn.values)
    for job in stack.plan.of_type("aws_glue_job"):
        args = _arguments(job)
        if args is None:
            yield f"{job.address}: {UNKNOWN_ARGUMENTS}"
            continue
        for key, value in args.items():
            for found in secret_findings(key, value if isinstance(value, str) else ""):
                yield (
                    f"{job.address}: argument {key} looks like a secret"
                    if found.in_name
                    else f"{job.address}: argument {key} holds {found.holds}"
                )
    if source_checked:
        stack.notes.append(
            "connection properties are unknown until apply: checked in the module source"
        )
        yield from _connection_source_problems(stack)


def _is_self_all_tcp(stack: Stack, rule: Instance, group: Key, direction: str) -> bool:
    values = rule.values
    if rule.type == "aws_security_group_rule":
        if values.get("type") != direction or not values.get("self"):
            return False
        protocol = values.get("protocol")
    else:
        if not rule.type.endswith(f"{direction}_rule"):
            return False
        if group not in stack.plan.resolve(rule.key, "referenced_security_group_id"):
            return False
        protocol = values.get("ip_protocol")
    if protocol in ("-1", "all"):
        return True
    return protocol == "tcp" and values.get("from_port") == 0 and values.get("to_port") == 65535


def _connection_source_problems(stack: Stack) -> Iterator[str]:
    modules = {
        c.module
        for c in stack.plan.of_type("aws_glue_connection")
        if c.is_unknown("connection_properties")
    }
    for module in sorted(modules):
        source = stack.plan.source_of(module)
        directory = stack.directory / source if source else stack.directory
        text = "\n".join(p.read_text(encoding="utf-8") for p in sorted(directory.glob("*.tf")))
        text = re.sub(r"#.*", "", text)
        where = f"{module or 'root'} ({directory.relative_to(stack.directory).as_posix() or '.'})"
        if re.search(r'\bPASSWORD"?\s*=', text):
            yield f"{where}: a connection property PASSWORD is set"
        jdbc = any(
            c.values.get("connection_type") == "JDBC" and c.module == module
            for c in stack.plan.of_type("aws_glue_connection")
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


def _features(job: Instance, jdbc: set[object]) -> tuple[list[Feature], str | None]:
    """The features a planned job uses, read from its arguments and connections (the same
    features `layout` reads from the config), and its first JDBC connection."""
    args = _arguments(job) or {}
    used = sorted(str(u) for u in set(job.values.get("connections") or []) & jdbc)
    flags: list[tuple[Feature, bool]] = [
        ("jdbc", bool(used)),
        ("bookmarks", args.get("--job-bookmark-option") == "job-bookmark-enable"),
        ("catalog", args.get("--enable-glue-datacatalog") == "true"),
        (
            "logs",
            args.get("--enable-continuous-cloudwatch-log") == "true"
            or "--custom-logGroup-prefix" in args,
        ),
        ("metrics", args.get("--enable-metrics") is not None),
    ]
    return [feature for feature, on in flags if on], (used[0] if used else None)
