"""`verify`'s AZ check: every subnet and Glue connection is in an AZ the region offers.

An AZ name that does not exist (ap-northeast-1b for an account created since ~2012) plans
cleanly and fails only at apply. AZ names are per account, so when verify runs against an
account (or the emulator) the account is asked (`ec2:DescribeAvailabilityZones`); otherwise, or
when the account cannot be asked, the generator's table of the names new accounts see
(generator.config.regions) is the reference, and the result notes which one was used.
"""

from __future__ import annotations

from collections.abc import Iterator

from botocore.exceptions import BotoCoreError, ClientError

from generator.config.regions import region_azs
from generator.terraform.checks import Stack, check
from generator.terraform.plan import Instance, Plan


def plan_region(plan: Plan) -> str | None:
    """The root AWS provider's region, when the configuration gives it as a literal."""
    provider = plan.data.get("configuration", {}).get("provider_config", {}).get("aws", {})
    region = provider.get("expressions", {}).get("region", {}).get("constant_value")
    return region if isinstance(region, str) else None


def offered_azs(stack: Stack, region: str) -> tuple[str, ...] | None:
    """The AZ names `region` offers: the account's when it can be asked, else the table's; a
    note on `stack` says which. None when neither knows the region."""
    if stack.ec2 is not None:
        try:
            answer = stack.ec2(region).describe_availability_zones(
                Filters=[{"Name": "zone-type", "Values": ["availability-zone"]}]
            )
        except (BotoCoreError, ClientError) as exc:
            stack.notes.append(
                f"could not ask the account for the AZs of {region} ({exc}); "
                "checked against glueprint's table of the AZs new accounts see"
            )
        else:
            stack.notes.append(f"AZs of {region} as the account lists them")
            return tuple(sorted(zone["ZoneName"] for zone in answer["AvailabilityZones"]))
    else:
        stack.notes.append(
            f"AZs of {region} from glueprint's table of the AZs new accounts see (no account)"
        )
    return region_azs(region)


def _placed(plan: Plan) -> Iterator[tuple[Instance, str, bool]]:
    """(resource, AZ, whether it is unknown until apply) for each AZ the plan pins; a subnet
    that names no AZ is left out (AWS picks one that exists)."""
    for subnet in plan.of_type("aws_subnet"):
        az = subnet.values.get("availability_zone")
        if az is None and not plan.expression(subnet.key, "availability_zone"):
            continue
        yield subnet, str(az), az is None or subnet.is_unknown("availability_zone")
    for conn in plan.of_type("aws_glue_connection"):
        requirements = conn.values.get("physical_connection_requirements") or [{}]
        az = requirements[0].get("availability_zone")
        unknown = conn.unknown.get("physical_connection_requirements") or [{}]
        yield conn, str(az), az is None or bool(unknown[0].get("availability_zone"))


@check(
    "azs-exist",
    "Every subnet and Glue connection is in an AZ the region offers",
    "AZ names differ by account and some exist only for older accounts (ap-northeast-1b): "
    "a plan names any AZ cleanly, and apply fails on one the account does not have.",
    "Use AZs from `aws ec2 describe-availability-zones --region REGION`, or let glueprint "
    "pick them (network.az_count) and regenerate.",
)
def azs_exist(stack: Stack) -> Iterator[str]:
    placed = list(_placed(stack.plan))
    if not placed:
        return
    region = plan_region(stack.plan)
    if region is None:
        yield "provider.aws: the region is not a literal, so verify cannot tell which AZs exist"
        return
    offered = offered_azs(stack, region)
    if offered is None:
        yield (
            f"provider.aws: glueprint does not know the AZs of {region}; "
            "run verify against the account (or the emulator) to ask it"
        )
        return
    for inst, az, unknown in placed:
        if unknown:
            yield f"{inst.address}: its AZ is unknown until apply, so verify cannot prove it exists"
        elif az not in offered:
            yield f"{inst.address}: {az} is not an AZ of {region} (it offers {', '.join(offered)})"
