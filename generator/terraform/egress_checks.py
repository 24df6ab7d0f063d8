"""`verify`'s egress check: the Glue security group reaches only what the platform needs.

Jobs may talk to their own group, to S3 and the interface endpoints on 443, to the stack's
database on its port, and to each database the stack does not own on exactly its declared port
and CIDR or security group. glueprint declares those databases to the module holding the Glue
security group as one literal input (`external_databases`), next to the JDBC connections whose
URLs carry their ports: a rule is proven against that declaration, and the declaration against
the connections and the same CIDR judgement as the config's (`generator.config.external`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Any

from generator.config.external import SECURITY_GROUP_ID, cidr_problem
from generator.terraform.checks import Stack, address, check
from generator.terraform.database_checks import database_groups
from generator.terraform.plan import Instance, Key

DECLARATION = "external_databases"
"""The module input declaring the external databases: `DESTINATION:PORT` -> port, and cidr or
security_group_id."""

Destination = tuple[str, Any]
"""Where a rule points: ("group", Key) for a traced security group, ("group-id", "sg-...") for
a literal one, ("prefix-list", Key), ("cidr", "10.0.0.0/8"), or ("untraced", what) when the
plan cannot tell."""
Allowed = Mapping[Destination, set[int] | None]
"""Destination -> the ports Glue may reach there (None: any, for the group itself)."""


@dataclass(frozen=True)
class Egress:
    """One egress rule of a Glue security group, whichever of the three shapes declares it."""

    address: str
    protocol: str
    ports: tuple[Any, Any]
    destinations: tuple[Destination, ...]

    def on_one_of(self, ports: set[int] | None) -> bool:
        """True when the rule opens one TCP port of `ports` only (None: anything goes)."""
        return ports is None or (
            self.protocol in ("tcp", "6") and any(self.ports == (port, port) for port in ports)
        )

    def shown(self) -> str:
        ports = "all ports" if self.protocol in ("-1", "all") else "-".join(map(str, self.ports))
        return f"{self.protocol} {ports}"


@check(
    "glue-sg-egress-declared",
    "The Glue security group reaches only itself, S3, the endpoints and the databases, each "
    "on its port",
    "Wider egress (another CIDR, a port range, 0.0.0.0/0) lets a job reach, and send data "
    "to, more than the platform needs; through peering or a transit gateway it is a way out "
    "of the VPC.",
    "Keep the generated rules; to reach a database the stack does not own, declare it as a "
    "connection's `external:` in glueprint.yaml (its port, and cidr or security_group_id).",
)
def glue_sg_egress_declared(stack: Stack) -> Iterator[str]:
    platform = _platform_destinations(stack)
    for group in sorted(stack.glue_groups()):
        declared, problems = _declared(stack, group)
        yield from problems
        allowed: dict[Destination, set[int] | None] = {**platform, **declared}
        allowed["group", group] = None
        for rule in _egress_rules(stack, group):
            for kind, where in rule.destinations:
                if rule.on_one_of(allowed.get((kind, where), set())):
                    continue
                shown = address(where) if kind in ("group", "prefix-list") else where
                yield (
                    f"{rule.address}: {rule.shown()} to {shown} is not the group itself, S3 "
                    "or the endpoints on 443, a database's port, or a declared external "
                    "database's port and destination"
                )


def _platform_destinations(stack: Stack) -> Allowed:
    """The endpoints' groups and the S3 gateway on 443, the databases' groups on their ports."""
    allowed: dict[Destination, set[int]] = {}
    for endpoint in stack.plan.of_type("aws_vpc_endpoint"):
        if endpoint.values.get("vpc_endpoint_type") == "Interface":
            for group in stack.plan.resolve(endpoint.key, "security_group_ids"):
                allowed["group", group] = {443}
        elif str(endpoint.values.get("service_name", "")).endswith(".s3"):
            allowed["prefix-list", endpoint.key] = {443}
    for group, ports in database_groups(stack).items():
        allowed["group", group] = ports
    return allowed


def _egress_rules(stack: Stack, group: Key) -> Iterator[Egress]:
    """Every egress rule of `group`: standalone rules of both resource types, inline blocks."""
    for rule in stack.rules_of({group}):
        values = rule.values
        if rule.type == "aws_vpc_security_group_egress_rule":
            yield Egress(
                rule.address,
                str(values.get("ip_protocol")),
                (values.get("from_port"), values.get("to_port")),
                (
                    *_cidrs(values.get("cidr_ipv4"), values.get("cidr_ipv6")),
                    *_traced(stack, rule, "referenced_security_group_id", "group"),
                    *_traced(stack, rule, "prefix_list_id", "prefix-list"),
                ),
            )
        elif rule.type == "aws_security_group_rule" and values.get("type") == "egress":
            yield Egress(
                rule.address,
                str(values.get("protocol")),
                (values.get("from_port"), values.get("to_port")),
                (
                    *_cidrs(
                        *values.get("cidr_blocks") or [], *values.get("ipv6_cidr_blocks") or []
                    ),
                    *_traced(stack, rule, "source_security_group_id", "group"),
                    *_traced(stack, rule, "prefix_list_ids", "prefix-list"),
                    *((("group", group),) if values.get("self") else ()),
                ),
            )
    for inst in stack.plan.of_type("aws_security_group"):
        if inst.key != group:
            continue
        for block in inst.values.get("egress") or []:
            # Planned inline blocks are a set: their references cannot be matched to them.
            untraced = [key for key in ("security_groups", "prefix_list_ids") if block.get(key)]
            yield Egress(
                f"{inst.address} (inline egress)",
                str(block.get("protocol")),
                (block.get("from_port"), block.get("to_port")),
                (
                    *_cidrs(*block.get("cidr_blocks") or [], *block.get("ipv6_cidr_blocks") or []),
                    *(("untraced", f"inline {key}") for key in untraced),
                    *((("group", group),) if block.get("self") else ()),
                ),
            )


def _cidrs(*cidrs: object) -> tuple[Destination, ...]:
    return tuple(("cidr", str(cidr)) for cidr in cidrs if cidr)


def _traced(stack: Stack, rule: Instance, attribute: str, kind: str) -> tuple[Destination, ...]:
    """The resources an attribute refers to, else its literal value(s), else nothing."""
    keys = stack.plan.resolve(rule.key, attribute)
    if keys:
        return tuple((kind, key) for key in sorted(keys))
    value = rule.values.get(attribute)
    literal = value if isinstance(value, list) else [value] if value else []
    if literal:
        # A literal group ID may be an external database's; a literal prefix list is unknown.
        named = "group-id" if kind == "group" else "untraced"
        return tuple((named, str(v)) for v in literal)
    if rule.is_unknown(attribute):
        return (("untraced", f"{attribute} (unknown until apply, from no traceable resource)"),)
    return ()


def _declared(stack: Stack, group: Key) -> tuple[Allowed, list[str]]:
    """The external databases declared to the module holding `group`, and what is wrong with
    any of them (those are left out, so their rules fail too)."""
    call = _module_call(stack, group[0])
    expression = (call or {}).get("expressions", {}).get(DECLARATION)
    if expression is None:
        return {}, []
    where = f"{group[0]} input {DECLARATION}"
    if "constant_value" not in expression:
        return {}, [f"{where}: not literal values, so its destinations cannot be proven"]
    ports_used = _jdbc_ports(stack)
    declared: dict[Destination, set[int]] = {}
    problems = []
    for key, entry in sorted((expression["constant_value"] or {}).items()):
        wrong = _declaration_problems(entry, ports_used)
        problems += [f"{where}[{key!r}]: {reason}" for reason in wrong]
        if not wrong:
            cidr = entry.get("cidr")
            destination = ("cidr", cidr) if cidr else ("group-id", entry["security_group_id"])
            declared.setdefault(destination, set()).add(entry["port"])
    return declared, problems


def _declaration_problems(entry: dict[str, Any], ports_used: set[int]) -> list[str]:
    """Why one declared external database would let Glue reach more than a database."""
    cidr, group, port = entry.get("cidr"), entry.get("security_group_id"), entry.get("port")
    if bool(cidr) == bool(group):
        return ["needs exactly one of cidr and security_group_id"]
    wrong = []
    if port not in ports_used:
        wrong.append(f"port {port} is the port of no JDBC connection's URL")
    if cidr:
        try:
            judged = cidr_problem(IPv4Network(cidr))
        except ValueError:
            judged = f"{cidr!r} is not an IPv4 network"
        wrong += [judged] if judged else []
    elif not re.fullmatch(SECURITY_GROUP_ID, str(group)):
        wrong.append(f"{group!r} is not a security group ID")
    return wrong


def _module_call(stack: Stack, module: str) -> dict[str, Any] | None:
    """The configuration's call of `module` (e.g. module.security); None for the root."""
    call = None
    node = stack.plan.data.get("configuration", {}).get("root_module", {})
    for name in module.split(".")[1::2]:
        call = node.get("module_calls", {}).get(name)
        if call is None:
            return None
        node = call.get("module", {})
    return call


def _jdbc_ports(stack: Stack) -> set[int]:
    """The ports in the planned JDBC connections' URLs (`//host:port`), where known."""
    ports = set()
    for conn in stack.plan.of_type("aws_glue_connection"):
        props = conn.values.get("connection_properties") or {}
        found = re.search(r"//[^/:;?]+:(\d+)", str(props.get("JDBC_CONNECTION_URL", "")))
        if found:
            ports.add(int(found.group(1)))
    return ports
