"""The AZ names each region offers a new account, so the generator never renders one that does
not exist (which plans cleanly and fails only at apply).

AZ names are per account: AWS maps each account's names onto physical zones (zone IDs), and
accounts created before a zone closed to new accounts still see names new accounts do not (an
account created since ~2012 sees ap-northeast-1 a, c and d; older ones also see 1b). For one
account `ec2:DescribeAvailabilityZones` is the authority, and `glueprint verify` asks it
(generator.terraform.az_checks); this table is what the generator knows offline.

Source: the per-region zone list moto bundles, which mirrors `DescribeAvailabilityZones` of a
recently created account (moto 5.2.5, `moto/ec2/models/availability_zones_and_regions.py`,
`RegionsAndZonesBackend.zones`), read on 2026-12-03. AWS publishes zone IDs per region, not
names (names are per account), so there is no AWS page of names to diff against; the
ap-northeast-1 entry (a, c, d) was checked against published DescribeAvailabilityZones output of
new accounts. tests/generator/test_availability_zones.py compares the table with the installed
moto, so a moto upgrade that adds a region or zone shows up as a failing test.
"""

from __future__ import annotations

from collections.abc import Iterator

from generator.config.errors import Problem
from generator.config.schema import GlueprintConfig

REGION_AZ_LETTERS: dict[str, str] = {
    "af-south-1": "abc",
    "ap-east-1": "abc",
    "ap-east-2": "abc",
    "ap-northeast-1": "acd",
    "ap-northeast-2": "abcd",
    "ap-northeast-3": "abc",
    "ap-south-1": "abc",
    "ap-south-2": "abc",
    "ap-southeast-1": "abc",
    "ap-southeast-2": "abc",
    "ap-southeast-3": "abc",
    "ap-southeast-4": "abc",
    "ap-southeast-5": "abc",
    "ap-southeast-6": "abc",
    "ap-southeast-7": "abc",
    "ca-central-1": "abd",
    "ca-west-1": "abc",
    "cn-north-1": "ab",
    "cn-northwest-1": "abc",
    "eu-central-1": "abc",
    "eu-central-2": "abc",
    "eu-north-1": "abc",
    "eu-south-1": "abc",
    "eu-south-2": "abc",
    "eu-west-1": "abc",
    "eu-west-2": "abc",
    "eu-west-3": "abc",
    "il-central-1": "abc",
    "me-central-1": "abc",
    "me-south-1": "abc",
    "mx-central-1": "abc",
    "sa-east-1": "abc",
    "us-east-1": "abcdef",
    "us-east-2": "abc",
    "us-gov-east-1": "abc",
    "us-gov-west-1": "abc",
    "us-west-1": "ab",
    "us-west-2": "abcd",
}
"""Region -> the letters of the AZ names a new account sees, in name order."""


def region_azs(region: str) -> tuple[str, ...] | None:
    """The AZ names `region` offers a new account, in name order; None for a region this table
    does not know (one launched after it was checked)."""
    letters = REGION_AZ_LETTERS.get(region)
    return None if letters is None else tuple(region + letter for letter in letters)


def zone_problems(config: GlueprintConfig) -> Iterator[Problem]:
    """AZs the config names or asks for that the region does not offer."""
    region, net = config.region, config.network
    offered = region_azs(region)
    if offered is None:
        if net.azs is None:
            yield Problem(
                "network.azs",
                f"glueprint does not know which AZs {region} offers, so it cannot pick "
                f"network.az_count of them",
                f"list them in network.azs (aws ec2 describe-availability-zones --region {region})",
            )
        return
    names = ", ".join(offered)
    if net.azs is None:
        if net.az_count > len(offered):
            yield Problem(
                "network.az_count",
                f"{net.az_count} AZs asked for, but {region} offers {len(offered)}: {names}",
                f"set network.az_count to {len(offered)} or less",
            )
        return
    for i, az in enumerate(net.azs):
        if az.startswith(region) and az not in offered:
            yield Problem(
                f"network.azs[{i}]",
                f"{az} does not exist in {region} for new accounts (apply would fail); "
                f"{region} offers {names}",
                "list AZs from those, or drop network.azs and set network.az_count",
            )
