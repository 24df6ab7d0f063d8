"""Decisions derived from the config: AZs, subnet CIDRs, per-AZ connections, endpoints.

Everything here is computed at generate time so the rendered Terraform holds literal values:
it plans without looking anything up in an AWS account, and reviewers see the real CIDRs.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network

from generator.config.endpoints import Feature, needed_endpoints
from generator.config.errors import Problem
from generator.config.regions import region_azs
from generator.config.schema import GlueprintConfig, JobConfig, NetworkConfig


@dataclass(frozen=True)
class Subnet:
    az: str
    cidr: IPv4Network


@dataclass(frozen=True)
class GlueConnection:
    """One rendered Glue connection: a config connection placed in one AZ."""

    name: str
    base_name: str
    type: str
    description: str
    az_index: int


@dataclass(frozen=True)
class Endpoint:
    """An interface endpoint and why it is there."""

    service: str
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Layout:
    azs: tuple[str, ...]
    glue_subnets: tuple[Subnet, ...]
    database_subnets: tuple[Subnet, ...]
    connections: tuple[GlueConnection, ...]
    job_connections: dict[str, tuple[str, ...]]
    """Job name -> rendered connection names, in failover order."""
    endpoints: tuple[Endpoint, ...]
    warnings: tuple[str, ...]


class LayoutError(Exception):
    """Raised with the problems that make a layout impossible."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(p.message for p in problems))


def availability_zones(config: GlueprintConfig) -> tuple[str, ...]:
    """Explicit AZs, or the first `az_count` AZs the region offers a new account.

    Never raises, so every other rule can run on the result while `regions.zone_problems`
    refuses the config: when the region offers fewer AZs than asked, this returns those it
    offers; for a region the table does not know, it stands in letters a, b, c, ..."""
    net = config.network
    if net.azs is not None:
        return tuple(net.azs)
    letters = tuple(config.region + chr(ord("a") + i) for i in range(net.az_count))
    return (region_azs(config.region) or letters)[: net.az_count]


MAX_AZS = next(
    bound.le for bound in NetworkConfig.model_fields["az_count"].metadata if hasattr(bound, "le")
)
"""The most AZs a stack may span (the schema's bound): every tier keeps a slot for each."""


def az_slot(az: str) -> int:
    """An AZ's slot: its letter (a -> 0, b -> 1, ...), so an AZ keeps its subnets whichever
    AZs are added to or removed from the list around it."""
    return ord(az[-1]) - ord("a")


def tier_slots(vpc: IPv4Network, prefixes: dict[str, int]) -> dict[str, list[IPv4Network]] | None:
    """Each tier's MAX_AZS fixed blocks, the tiers one after another (in `prefixes` order) from
    the start of the VPC, each range aligned to its block size; None if they do not fit.

    Fixed slots make addressing stable: adding or removing an AZ never moves another AZ's
    subnet, which AWS can only do by replacing it (and an RDS interface in it blocks that)."""
    slots: dict[str, list[IPv4Network]] = {}
    offset = 0
    for tier, prefix in prefixes.items():
        if prefix < vpc.prefixlen:
            return None
        size = 2 ** (32 - prefix)
        offset = -(-offset // size) * size  # round up to the block size: aligned subnets
        if offset + MAX_AZS * size > vpc.num_addresses:
            return None
        first = int(vpc.network_address) + offset
        slots[tier] = [IPv4Network((first + i * size, prefix)) for i in range(MAX_AZS)]
        offset += MAX_AZS * size
    return slots


def _subnets(config: GlueprintConfig, azs: tuple[str, ...]) -> tuple[list[Subnet], list[Subnet]]:
    """Explicit subnets verbatim; computed ones in their AZ's fixed slot of their tier."""
    net = config.network
    prefixes = {"glue": net.glue_subnet_prefix}
    explicit = {"glue": net.glue_subnets}
    if config.database is not None:
        prefixes["database"] = net.database_subnet_prefix
        explicit["database"] = net.database_subnets
    chosen = {tier: list(cidrs) for tier, cidrs in explicit.items() if cidrs}
    computed = [tier for tier in prefixes if tier not in chosen]
    if computed:
        slots = _slots(config, azs, prefixes, computed[0])
        given = [cidr for cidrs in chosen.values() for cidr in cidrs]
        for tier in computed:
            chosen[tier] = [slots[tier][az_slot(az)] for az in azs]
            _refuse_overlap(tier, chosen[tier], given)
    return (
        [Subnet(az, cidr) for az, cidr in zip(azs, chosen["glue"], strict=False)],
        [Subnet(az, cidr) for az, cidr in zip(azs, chosen.get("database", []), strict=False)],
    )


def _slots(
    config: GlueprintConfig, azs: tuple[str, ...], prefixes: dict[str, int], tier: str
) -> dict[str, list[IPv4Network]]:
    """Every tier's slots; LayoutError (about `tier`'s prefix) when an AZ has no slot or the
    slots do not fit in the VPC."""
    beyond = [az for az in azs if not 0 <= az_slot(az) < MAX_AZS]
    if beyond:
        raise LayoutError(
            [
                Problem(
                    "network.azs",
                    f"{', '.join(beyond)}: only AZ letters a-{chr(ord('a') + MAX_AZS - 1)} "
                    "have a subnet slot",
                    "use AZs a to f, or list network.glue_subnets (and database_subnets)",
                )
            ]
        )
    slots = tier_slots(config.network.vpc_cidr, prefixes)
    if slots is None:
        sizes = " and ".join(f"{MAX_AZS} {name} subnets of /{p}" for name, p in prefixes.items())
        raise LayoutError(
            [
                Problem(
                    f"network.{tier}_subnet_prefix",
                    f"{sizes} do not fit in {config.network.vpc_cidr} (each tier keeps a "
                    f"slot for all {MAX_AZS} AZs, so adding an AZ never moves a subnet)",
                    "use a larger network.vpc_cidr or a longer prefix (smaller subnets)",
                )
            ]
        )
    return slots


def _refuse_overlap(tier: str, cidrs: list[IPv4Network], given: list[IPv4Network]) -> None:
    for cidr in cidrs:
        clash = next((other for other in given if cidr.overlaps(other)), None)
        if clash is not None:
            raise LayoutError(
                [
                    Problem(
                        f"network.{tier}_subnets",
                        f"the computed {tier} subnet {cidr} overlaps the listed subnet {clash}",
                        f"list network.{tier}_subnets explicitly too",
                    )
                ]
            )


def connection_copies(name: str, copies: int) -> list[str]:
    """Names of a connection's per-AZ copies: NAME in the first AZ, NAME-az2, NAME-az3, ..."""
    return [name if index == 0 else f"{name}-az{index + 1}" for index in range(copies)]


def _connections(config: GlueprintConfig, azs: tuple[str, ...]) -> list[GlueConnection]:
    rendered: list[GlueConnection] = []
    for conn in config.connections:
        copies = connection_copies(conn.name, len(azs) if conn.per_az else 1)
        for index, name in enumerate(copies):
            rendered.append(GlueConnection(name, conn.name, conn.type, conn.description, index))
    return rendered


def job_features(config: GlueprintConfig, job: JobConfig) -> tuple[list[Feature], str | None]:
    """The features of `job` that call AWS APIs, and its first JDBC connection (if any)."""
    jdbc = {c.name for c in config.connections if c.type == "JDBC"}
    used_jdbc = [c for c in config.job_connections(job) if c in jdbc]
    flags: list[tuple[Feature, bool]] = [
        ("jdbc", bool(used_jdbc)),
        ("bookmarks", job.bookmarks),
        ("catalog", job.catalog),
        ("encrypted-catalog", job.catalog and config.glue.catalog_encryption.in_effect),
        ("logs", job.continuous_logging),
        ("metrics", job.metrics),
    ]
    return [feature for feature, on in flags if on], (used_jdbc[0] if used_jdbc else None)


def _endpoints(config: GlueprintConfig) -> tuple[list[Endpoint], list[str]]:
    """Interface endpoints the jobs need, with the reason for each."""
    needs: dict[str, list[str]] = {}
    for job in config.jobs:
        features, connection = job_features(config, job)
        for service, why in needed_endpoints(features, connection):
            needs.setdefault(service, []).append(f"{job.name}: {why}")

    explicit = config.network.interface_endpoints
    if explicit is None:
        return [Endpoint(s, tuple(needs[s])) for s in sorted(needs)], []
    warnings = [
        f"network.interface_endpoints omits {service}, which {needs[service][0]} needs; "
        "without it that call times out (no internet path)"
        for service in sorted(set(needs) - set(explicit))
    ]
    chosen = [
        Endpoint(s, ("listed in network.interface_endpoints",)) for s in sorted(set(explicit))
    ]
    return chosen, warnings


def compute_layout(config: GlueprintConfig) -> Layout:
    """Derive the stack's layout; raises LayoutError when the network cannot hold it."""
    azs = availability_zones(config)
    glue_subnets, database_subnets = _subnets(config, azs)
    connections = _connections(config, azs)
    by_base: dict[str, list[str]] = {}
    for conn in connections:
        by_base.setdefault(conn.base_name, []).append(conn.name)
    job_connections = {
        job.name: tuple(
            name for base in config.job_connections(job) for name in by_base.get(base, [])
        )
        for job in config.jobs
    }
    endpoints, warnings = _endpoints(config)
    return Layout(
        azs=azs,
        glue_subnets=tuple(glue_subnets),
        database_subnets=tuple(database_subnets),
        connections=tuple(connections),
        job_connections=job_connections,
        endpoints=tuple(endpoints),
        warnings=tuple(warnings),
    )
