"""`verify`'s network checks: no way out of the VPC, private subnets, locked-down groups."""

from __future__ import annotations

from collections.abc import Iterator

from generator.terraform.checks import Stack, address, check
from generator.terraform.plan import Instance, Key

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


@check(
    "no-internet-gateways",
    "No internet, NAT, VPN, peering or transit path objects",
    "Any of them is a way out of the VPC; without them no route can reach the internet.",
    "Remove the resource; Glue reaches AWS services through VPC endpoints.",
)
def no_internet_gateways(stack: Stack) -> Iterator[str]:
    for inst in stack.plan.of_type(*INTERNET_PATH_TYPES):
        yield f"{inst.address}: {inst.type} is a path out of the VPC"


@check(
    "no-default-route",
    "No route to 0.0.0.0/0 or ::/0, and no route to a gateway",
    "A default route in a table a Glue or RDS subnet uses (including the main table) is "
    "an internet path.",
    "Remove the route; keep only local routes and the S3 endpoint.",
)
def no_default_route(stack: Stack) -> Iterator[str]:
    routes: list[tuple[Instance, dict[str, object]]] = [
        (inst, inst.values) for inst in stack.plan.of_type("aws_route")
    ]
    for inst in stack.plan.of_type("aws_route_table", "aws_default_route_table"):
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


@check(
    "subnets-private",
    "Subnets assign no public IPs",
    "A public IP on a Glue ENI or RDS interface is reachable from outside once a route exists.",
    "Set map_public_ip_on_launch = false and no IPv6 auto-assignment.",
)
def subnets_private(stack: Stack) -> Iterator[str]:
    for inst in stack.plan.of_type("aws_subnet", "aws_default_subnet"):
        if inst.values.get("map_public_ip_on_launch"):
            yield f"{inst.address}: map_public_ip_on_launch = true"
        if inst.values.get("assign_ipv6_address_on_creation"):
            yield f"{inst.address}: assign_ipv6_address_on_creation = true"


@check(
    "subnets-associated",
    "Every subnet is explicitly associated with a route table",
    "An unassociated subnet silently uses the main route table.",
    "Add an aws_route_table_association for the subnet.",
)
def subnets_associated(stack: Stack) -> Iterator[str]:
    associated: set[Key] = set()
    for assoc in stack.plan.of_type("aws_route_table_association"):
        associated |= stack.plan.resolve(assoc.key, "subnet_id")
    for key in sorted({s.key for s in stack.plan.of_type("aws_subnet")}):
        if key not in associated:
            yield f"{address(key)}: no aws_route_table_association (uses the main table)"


@check(
    "default-sg-empty",
    "The default security group is adopted and has no rules",
    "AWS's default group admits all traffic between its members and all egress.",
    "Declare aws_default_security_group for the VPC with no ingress or egress.",
)
def default_sg_empty(stack: Stack) -> Iterator[str]:
    defaults = stack.plan.of_type("aws_default_security_group")
    if stack.plan.of_type("aws_vpc") and not defaults:
        yield "aws_vpc: no aws_default_security_group adopts the VPC's default group"
    for inst in defaults:
        if inst.values.get("ingress") or inst.values.get("egress"):
            yield f"{inst.address}: has rules"
        for rule in stack.rules_of({inst.key}):
            yield f"{rule.address}: a rule on the default security group"


@check(
    "no-world-sg-rules",
    "No security group rule open to the world",
    "A 0.0.0.0/0 or ::/0 rule in either direction is an open door or an exfiltration "
    "path; checkov misses the ip_protocol = -1 shape.",
    "Use referenced_security_group_id or prefix_list_id instead of a world CIDR.",
)
def no_world_sg_rules(stack: Stack) -> Iterator[str]:
    for inst in stack.plan.of_type("aws_security_group"):
        for direction in ("ingress", "egress"):
            for rule in inst.values.get(direction) or []:
                cidrs = set(rule.get("cidr_blocks") or []) | set(rule.get("ipv6_cidr_blocks") or [])
                if cidrs & WORLD:
                    yield f"{inst.address}: inline {direction} from/to {sorted(cidrs & WORLD)}"
    for inst in stack.plan.of_type("aws_security_group_rule"):
        cidrs = set(inst.values.get("cidr_blocks") or []) | set(
            inst.values.get("ipv6_cidr_blocks") or []
        )
        if cidrs & WORLD:
            yield f"{inst.address}: {inst.values.get('type')} to/from {sorted(cidrs & WORLD)}"
    for inst in stack.plan.of_type(
        "aws_vpc_security_group_ingress_rule", "aws_vpc_security_group_egress_rule"
    ):
        cidrs = {inst.values.get("cidr_ipv4"), inst.values.get("cidr_ipv6")}
        if cidrs & WORLD:
            yield (
                f"{inst.address}: {sorted(str(c) for c in cidrs & WORLD)} on protocol "
                f"{inst.values.get('ip_protocol')}"
            )


@check(
    "vpc-dns",
    "VPC DNS support and hostnames are on",
    "Glue fails with 'No Private DNS for Network Interface Found'; endpoint private DNS "
    "needs both.",
    "Set enable_dns_support and enable_dns_hostnames to true.",
)
def vpc_dns(stack: Stack) -> Iterator[str]:
    for inst in stack.plan.of_type("aws_vpc"):
        for flag in ("enable_dns_support", "enable_dns_hostnames"):
            if inst.values.get(flag) is not True:
                yield f"{inst.address}: {flag} is not true"


REMOTE_ADMIN_PORTS = (22, 3389)
"""SSH and RDP: Security Hub EC2.21 fails a NACL that admits either from anywhere."""


def _admits(entry: dict[str, object], port: int) -> bool:
    if entry.get("action") != "allow":
        return False
    if str(entry.get("protocol")) in ("-1", "all"):
        return True
    low, high = entry.get("from_port"), entry.get("to_port")
    return isinstance(low, int) and isinstance(high, int) and low <= port <= high


@check(
    "default-nacl-adopted",
    "The default network ACL is adopted, carries the stack's rules, and admits no world SSH/RDP",
    "Every subnet uses the default NACL: unadopted it keeps AWS's allow-all rules; adopted "
    "without rules it drops all traffic; world ingress to 22 or 3389 fails FSBP EC2.21.",
    "Declare aws_default_network_acl for the VPC with the VPC, S3-reply and HTTPS rules, and no "
    "ingress from 0.0.0.0/0 covering 22 or 3389.",
)
def default_nacl_adopted(stack: Stack) -> Iterator[str]:
    defaults = stack.plan.of_type("aws_default_network_acl")
    if stack.plan.of_type("aws_vpc") and not defaults:
        yield "aws_vpc: no aws_default_network_acl adopts the VPC's default network ACL"
    for inst in defaults:
        for direction in ("ingress", "egress"):
            if not inst.values.get(direction) and not inst.is_unknown(direction):
                yield f"{inst.address}: no {direction} rules (its subnets get no traffic)"
    entries = [
        (inst.address, entry)
        for inst in stack.plan.of_type("aws_default_network_acl", "aws_network_acl")
        for entry in inst.values.get("ingress") or []
    ]
    entries += [
        (inst.address, inst.values)
        for inst in stack.plan.of_type("aws_network_acl_rule")
        if not inst.values.get("egress")
    ]
    for where, entry in entries:
        if {entry.get("cidr_block"), entry.get("ipv6_cidr_block")} & WORLD:
            number = entry.get("rule_no") or entry.get("rule_number")
            for port in REMOTE_ADMIN_PORTS:
                if _admits(entry, port):
                    yield f"{where}: rule {number} admits port {port} from anywhere"
