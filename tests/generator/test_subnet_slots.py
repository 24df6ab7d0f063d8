"""Adding or removing an AZ never moves a subnet: each AZ and tier owns a fixed slot.

AWS changes a subnet's CIDR only by replacing the subnet, which fails while an RDS interface
sits in it; so the CIDR of (AZ, tier) must not depend on how many AZs the stack spans.
"""

from __future__ import annotations

import re
from ipaddress import IPv4Network

from generator.config.layout import MAX_AZS
from generator.rendering.render import render
from tests.generator.config_variants import parse, problems, variant


def rendered_subnets(data: dict[str, object]) -> dict[tuple[str, str], str]:
    """(tier, AZ) -> CIDR as the rendered root module passes them to the network module."""
    main = render(parse(data)).files["main.tf"]
    assert isinstance(main, str)
    found = {}
    for tier in ("glue", "database"):
        block = re.search(rf"{tier}_subnets\s*=\s*\{{(.*?)\}}", main, re.DOTALL)
        assert block is not None, f"no {tier}_subnets in main.tf"
        for az, cidr in re.findall(r'([a-z0-9-]+)\s*=\s*"([0-9./]+)"', block.group(1)):
            found[(tier, az)] = cidr
    return found


def test_two_three_two_azs_keeps_every_subnet() -> None:
    two = rendered_subnets(variant(("network.az_count", 2)))
    three = rendered_subnets(variant(("network.az_count", 3)))
    back = rendered_subnets(variant(("network.az_count", 2)))

    assert len(two) == 4 and len(three) == 6
    assert {key: three[key] for key in two} == two  # the third AZ only adds subnets
    assert back == two
    assert ("database", "eu-west-1c") in three and ("glue", "eu-west-1c") in three


def test_an_az_keeps_its_subnets_when_another_is_removed() -> None:
    def with_azs(*letters: str) -> dict[tuple[str, str], str]:
        azs = [f"eu-west-1{letter}" for letter in letters]
        return rendered_subnets(variant(("network.az_count", None), ("network.azs", azs)))

    abc, bc = with_azs("a", "b", "c"), with_azs("b", "c")
    assert {key: abc[key] for key in bc} == bc
    assert with_azs("c", "b") == bc  # listing order does not matter either


def test_slots_hold_every_az_the_schema_allows_disjoint_and_inside_the_vpc() -> None:
    loaded = parse(variant(("region", "us-east-1"), ("network.az_count", MAX_AZS)))  # a-f
    subnets = [s.cidr for s in (*loaded.layout.glue_subnets, *loaded.layout.database_subnets)]
    assert len(subnets) == 2 * MAX_AZS
    assert all(cidr.subnet_of(loaded.config.network.vpc_cidr) for cidr in subnets)
    assert all(not a.overlaps(b) for i, a in enumerate(subnets) for b in subnets[i + 1 :])
    default = parse(variant())
    assert [str(s.cidr) for s in default.layout.glue_subnets] == ["10.0.0.0/20", "10.0.16.0/20"]
    # Database slots follow all six Glue slots: 6 x /20 = 10.0.0.0-10.0.95.255.
    assert [str(s.cidr) for s in default.layout.database_subnets] == [
        "10.0.96.0/24",
        "10.0.97.0/24",
    ]


def test_a_stack_without_a_database_keeps_glue_subnets_when_one_is_added() -> None:
    without = parse(
        variant(("database", None), ("connections.1", None), ("jobs.0.connections", None))
    )
    with_db = parse(variant())
    assert [s.cidr for s in without.layout.glue_subnets] == [
        s.cidr for s in with_db.layout.glue_subnets
    ]


def test_slots_that_do_not_fit_name_the_prefix_and_why() -> None:
    found = problems(variant(("network.vpc_cidr", "10.0.0.0/20")))
    ((path, message, fix),) = found
    assert path == "network.glue_subnet_prefix"
    assert "6 glue subnets of /20 and 6 database subnets of /24 do not fit in 10.0.0.0/20" in (
        message
    )
    assert "never moves a subnet" in message and "longer prefix" in fix
    small = parse(
        variant(
            ("network.vpc_cidr", "10.0.0.0/20"),
            ("network.glue_subnet_prefix", 23),
            ("network.database_subnet_prefix", 26),
        )
    )
    assert small.layout.database_subnets[0].cidr == IPv4Network("10.0.12.0/26")


def test_computed_subnets_never_overlap_listed_ones() -> None:
    found = problems(variant(("network.glue_subnets", ["10.0.96.0/24", "10.0.112.0/20"])))
    assert (
        "network.database_subnets",
        "the computed database subnet 10.0.96.0/24 overlaps the listed subnet 10.0.96.0/24",
        "list network.database_subnets explicitly too",
    ) in found


def test_an_az_letter_without_a_slot_is_refused() -> None:
    # A region glueprint's AZ table does not know (say, launched since): AZs taken as listed.
    azs = ["eu-east-1a", "eu-east-1g"]
    found = problems(
        variant(("region", "eu-east-1"), ("network.az_count", None), ("network.azs", azs))
    )
    assert any(path == "network.azs" and "eu-east-1g" in m for path, m, _ in found)
