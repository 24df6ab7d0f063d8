"""The topology check after apply, on route tables read back from the emulated account: a route
to an external database's range through VPC peering or a transit gateway is expected, a route
to any other range, a default route or an internet gateway route never is."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from generator.terraform.emulator import Emulator
from generator.terraform.topology import Finding, check_topology

REGION = "eu-west-1"
DATABASE = "10.20.0.0/24"


@pytest.fixture
def account() -> Iterator[tuple[Emulator, dict[str, Any]]]:
    """A private VPC as the stack builds it (a Glue subnet whose route table has the S3
    endpoint), and the outputs the topology check reads."""
    with Emulator() as emulator:
        ec2 = emulator.client("ec2", REGION)
        vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.0.0/24")["Subnet"]["SubnetId"]
        table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
        ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
        endpoint = ec2.create_vpc_endpoint(
            VpcId=vpc,
            ServiceName=f"com.amazonaws.{REGION}.s3",
            VpcEndpointType="Gateway",
            RouteTableIds=[table],
        )["VpcEndpoint"]["VpcEndpointId"]
        group = ec2.create_security_group(GroupName="glue", Description="glue", VpcId=vpc)
        yield (
            emulator,
            {
                "vpc_id": vpc,
                "route_table": table,
                "s3_endpoint_id": endpoint,
                "glue_subnet_ids": {"az1": subnet},
                "glue_security_group_id": group["GroupId"],
                "connection_names": [],
                "job_names": [],
            },
        )


def route_findings(emulator: Emulator, outputs: dict[str, Any], cidrs: set[str]) -> list[Finding]:
    findings = check_topology(lambda s: emulator.client(s, REGION), outputs, cidrs)
    return [f for f in findings if f.check in ("route tables", "internet gateways")]


def peer(emulator: Emulator, outputs: dict[str, Any], destination: str) -> str:
    """Peer the stack's VPC with the database's and route `destination` through the peering."""
    ec2 = emulator.client("ec2", REGION)
    other = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    link = ec2.create_vpc_peering_connection(VpcId=outputs["vpc_id"], PeerVpcId=other)
    pcx = link["VpcPeeringConnection"]["VpcPeeringConnectionId"]
    ec2.create_route(
        RouteTableId=outputs["route_table"],
        DestinationCidrBlock=destination,
        VpcPeeringConnectionId=pcx,
    )
    return pcx


@pytest.mark.parametrize("destination", ["10.20.0.0/16", DATABASE, "10.20.0.0/28"])
def test_peering_route_around_or_inside_the_external_database_is_expected(
    account: tuple[Emulator, dict[str, Any]], destination: str
) -> None:
    emulator, outputs = account
    peer(emulator, outputs, destination)

    findings = route_findings(emulator, outputs, {DATABASE})

    assert [f.ok for f in findings] == [True], findings
    assert "1 routes to external databases" in findings[0].detail


def test_transit_gateway_route_to_the_external_database_is_expected(
    account: tuple[Emulator, dict[str, Any]],
) -> None:
    emulator, outputs = account
    ec2 = emulator.client("ec2", REGION)
    tgw = ec2.create_transit_gateway()["TransitGateway"]["TransitGatewayId"]
    ec2.create_route(
        RouteTableId=outputs["route_table"], DestinationCidrBlock=DATABASE, TransitGatewayId=tgw
    )

    assert [f.ok for f in route_findings(emulator, outputs, {DATABASE})] == [True]
    [flagged, _] = route_findings(emulator, outputs, set())
    assert not flagged.ok and f"route {DATABASE} -> {tgw}" in flagged.detail


def test_peering_route_to_another_range_is_flagged(
    account: tuple[Emulator, dict[str, Any]],
) -> None:
    emulator, outputs = account
    pcx = peer(emulator, outputs, "10.21.0.0/16")

    [flagged, summary] = route_findings(emulator, outputs, {DATABASE})

    assert not flagged.ok and f"route 10.21.0.0/16 -> {pcx}" in flagged.detail
    assert "0 routes to external databases" in summary.detail


def test_internet_gateway_route_to_the_external_database_is_flagged(
    account: tuple[Emulator, dict[str, Any]],
) -> None:
    emulator, outputs = account
    ec2 = emulator.client("ec2", REGION)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=outputs["vpc_id"])
    ec2.create_route(
        RouteTableId=outputs["route_table"], DestinationCidrBlock=DATABASE, GatewayId=igw
    )

    findings = route_findings(emulator, outputs, {DATABASE})

    assert [(f.check, f.ok) for f in findings if not f.ok] == [
        ("route tables", False),
        ("internet gateways", False),
    ]
    assert f"route {DATABASE} -> {igw}" in findings[0].detail
