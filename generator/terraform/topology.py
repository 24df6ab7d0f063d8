"""After apply: read the account through boto3 and confirm the topology really is private.

Works against the local emulator (tests, `glueprint apply --emulator`) and against AWS. It checks
what the plan could only promise: the route tables in the VPC, the S3 endpoint's associations,
the security group rules, the DB subnet group, the database's public flag, and the Glue
connections and jobs as Glue stores them.

A database the stack does not own (`external:` in the config) is reached through the user's
VPC peering or transit gateway, so a route to its range through one of them is expected; a
default route, an internet or NAT gateway route, or a route to any other range never is.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any

from generator.terraform.plan import Plan

WORLD = {"0.0.0.0/0", "::/0"}
PRIVATE_LINKS = ("pcx-", "tgw-")
"""Route targets that join private networks: VPC peering connections and transit gateways."""
EXTERNAL_EGRESS = ("aws_vpc_security_group_egress_rule", "glue_to_external_databases")
"""The resource of Glue's egress rules to external databases (templates/security)."""


@dataclass(frozen=True)
class Finding:
    check: str
    ok: bool
    detail: str


ClientFactory = Callable[[str], Any]
"""service name -> boto3 client (already pointed at the right endpoint and region)."""


def external_database_cidrs(plan: Plan) -> frozenset[str]:
    """The ranges of the databases the stack does not own: where Glue's egress rules to them
    point (a database reached by security group has no range, and needs no route here)."""
    kind, name = EXTERNAL_EGRESS
    return frozenset(
        rule.values["cidr_ipv4"]
        for rule in plan.of_type(kind)
        if rule.name == name and rule.values.get("cidr_ipv4")
    )


def check_topology(
    client: ClientFactory, outputs: dict[str, Any], external_cidrs: Collection[str] = ()
) -> list[Finding]:
    """Every topology check; `outputs` are the stack's Terraform outputs, `external_cidrs` the
    ranges of its external databases (:func:`external_database_cidrs`)."""
    ec2, glue = client("ec2"), client("glue")
    vpc_id = outputs["vpc_id"]
    findings: list[Finding] = []
    findings += _route_tables(ec2, vpc_id, outputs, external_cidrs)
    findings += _security_groups(ec2, vpc_id, outputs["glue_security_group_id"])
    if "db_address" in outputs:
        findings += _database(client("rds"), vpc_id)
    findings += _glue(glue, outputs)
    return findings


def _to_external_database(dest: str | None, target: str, external_cidrs: Collection[str]) -> bool:
    """A route through peering or a transit gateway to a private range (never a default route)
    that holds or lies in an external database's range (a peering route usually covers the
    peer's whole VPC)."""
    if dest is None or not target.startswith(PRIVATE_LINKS):
        return False
    network = ipaddress.ip_network(dest)
    return network.is_private and any(
        network.overlaps(ipaddress.ip_network(cidr)) for cidr in external_cidrs
    )


def _route_tables(
    ec2: Any, vpc_id: str, outputs: dict[str, Any], external_cidrs: Collection[str]
) -> Iterator[Finding]:
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "RouteTables"
    ]
    to_external = 0
    for table in tables:
        for route in table.get("Routes", []):
            dest = route.get("DestinationCidrBlock") or route.get("DestinationIpv6CidrBlock")
            target = (
                route.get("GatewayId")
                or route.get("NatGatewayId")
                or route.get("TransitGatewayId")
                or route.get("VpcPeeringConnectionId")
                or ""
            )
            if _to_external_database(dest, target, external_cidrs):
                to_external += 1
            elif dest in WORLD or (target and target != "local" and not target.startswith("vpce-")):
                yield Finding(
                    "route tables", False, f"{table['RouteTableId']}: route {dest} -> {target}"
                )
    endpoint = ec2.describe_vpc_endpoints(VpcEndpointIds=[outputs["s3_endpoint_id"]])[
        "VpcEndpoints"
    ][0]
    on_endpoint = set(endpoint.get("RouteTableIds", []))
    subnet_ids = list(outputs["glue_subnet_ids"].values())
    for subnet in subnet_ids:
        used = {
            t["RouteTableId"]
            for t in tables
            if any(a.get("SubnetId") == subnet for a in t.get("Associations", []))
        }
        if not used:
            yield Finding("subnet associations", False, f"{subnet}: no explicit route table")
        elif not used <= on_endpoint:
            yield Finding("S3 endpoint", False, f"{subnet}: route table lacks the S3 endpoint")
    igws = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
    )["InternetGateways"]
    nats = ec2.describe_nat_gateways(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "NatGateways"
    ]
    if igws or nats:
        yield Finding("internet gateways", False, f"{len(igws)} IGW, {len(nats)} NAT in the VPC")
    yield Finding(
        "route tables",
        True,
        f"{len(tables)} tables, no default route, "
        f"{len(subnet_ids)} Glue subnets on the S3 endpoint, "
        f"{to_external} routes to external databases",
    )


def _security_groups(ec2: Any, vpc_id: str, glue_sg: str) -> Iterator[Finding]:
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "SecurityGroups"
    ]
    for group in groups:
        for direction, perms in (
            ("ingress", group.get("IpPermissions", [])),
            ("egress", group.get("IpPermissionsEgress", [])),
        ):
            for perm in perms:
                cidrs = {r.get("CidrIp") for r in perm.get("IpRanges", [])} | {
                    r.get("CidrIpv6") for r in perm.get("Ipv6Ranges", [])
                }
                if cidrs & WORLD:
                    yield Finding(
                        "security groups",
                        False,
                        f"{group['GroupId']} ({group['GroupName']}): world {direction}",
                    )
        if group["GroupName"] == "default" and (
            group.get("IpPermissions") or group.get("IpPermissionsEgress")
        ):
            yield Finding("default security group", False, f"{group['GroupId']} has rules")
    glue = next((g for g in groups if g["GroupId"] == glue_sg), None)
    self_ingress = glue is not None and any(
        perm.get("IpProtocol") in ("tcp", "-1")
        and perm.get("FromPort", 0) == 0
        and perm.get("ToPort", 65535) == 65535
        and any(p.get("GroupId") == glue_sg for p in perm.get("UserIdGroupPairs", []))
        for perm in glue.get("IpPermissions", [])
    )
    yield Finding(
        "Glue security group",
        self_ingress,
        f"{glue_sg}: self-referencing all-TCP ingress {'present' if self_ingress else 'MISSING'}",
    )


def _database(rds: Any, vpc_id: str) -> Iterator[Finding]:
    groups = [
        g for g in rds.describe_db_subnet_groups()["DBSubnetGroups"] if g.get("VpcId") == vpc_id
    ]
    for group in groups:
        azs = {s["SubnetAvailabilityZone"]["Name"] for s in group.get("Subnets", [])}
        yield Finding(
            "DB subnet group",
            len(azs) >= 2,
            f"{group['DBSubnetGroupName']}: {len(azs)} AZs ({', '.join(sorted(azs))})",
        )
    if not groups:
        yield Finding("DB subnet group", False, "no DB subnet group in the VPC")
    names = {g["DBSubnetGroupName"] for g in groups}
    instances = [
        i
        for i in rds.describe_db_instances()["DBInstances"]
        if i.get("DBSubnetGroup", {}).get("DBSubnetGroupName") in names
    ]
    for instance in instances:
        public = instance.get("PubliclyAccessible")
        yield Finding(
            "RDS not public",
            public is False,
            f"{instance['DBInstanceIdentifier']}: PubliclyAccessible={public}, "
            f"encrypted={instance.get('StorageEncrypted')}",
        )
    if not instances:
        yield Finding("RDS not public", False, "no database instance in the DB subnet group")


def _glue(glue: Any, outputs: dict[str, Any]) -> Iterator[Finding]:
    subnets = set(outputs["glue_subnet_ids"].values())
    sg = outputs["glue_security_group_id"]
    names = list(outputs["connection_names"])
    for name in names:
        conn = glue.get_connection(Name=name, HidePassword=True)["Connection"]
        req = conn.get("PhysicalConnectionRequirements", {})
        props = conn.get("ConnectionProperties", {})
        problems = []
        if req.get("SubnetId") not in subnets:
            problems.append(f"subnet {req.get('SubnetId')} is not a Glue subnet")
        if req.get("SecurityGroupIdList") != [sg]:
            problems.append(f"security groups {req.get('SecurityGroupIdList')}")
        if "PASSWORD" in props:
            problems.append("holds a PASSWORD")
        if conn.get("ConnectionType") == "JDBC" and (
            "SECRET_ID" not in props or props.get("JDBC_ENFORCE_SSL") != "true"
        ):
            problems.append("JDBC without SECRET_ID or JDBC_ENFORCE_SSL=true")
        yield Finding(
            "Glue connections",
            not problems,
            f"{name}: "
            + (
                "; ".join(problems)
                or f"{req.get('AvailabilityZone')}, Glue security group, no password"
            ),
        )
    for job_name in outputs["job_names"]:
        job = glue.get_job(JobName=job_name)["Job"]
        attached = job.get("Connections", {}).get("Connections", [])
        ok = (
            bool(attached)
            and set(attached) <= set(names)
            and bool(job.get("SecurityConfiguration"))
        )
        yield Finding(
            "Glue jobs",
            ok,
            f"{job_name}: connections {attached}, security "
            f"configuration {job.get('SecurityConfiguration')!r}",
        )
