"""Decisions derived from the config: AZs, subnet CIDRs, per-AZ connections, endpoints.

Everything here is computed at generate time so the rendered Terraform holds literal values:
it plans without looking anything up in an AWS account, and reviewers see the real CIDRs.
"""

from __future__ import annotations

from dataclasses import dataclass
from ipaddress import IPv4Network

from generator.config.endpoints import Feature, needed_endpoints
from generator.config.errors import Problem
from generator.config.schema import GlueprintConfig, JobConfig


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
    """Explicit AZs, or the region's first `az_count` letters (a, b, c, ...)."""
    if config.network.azs is not None:
        return tuple(config.network.azs)
    return tuple(f"{config.region}{chr(ord('a') + i)}" for i in range(config.network.az_count))


def allocate_subnets(
    vpc: IPv4Network, prefixes: list[int], taken: list[IPv4Network]
) -> list[IPv4Network] | None:
    """First-fit, aligned allocation of one block per prefix; None if the VPC is too small."""
    allocated: list[IPv4Network] = []
    for prefix in prefixes:
        if prefix < vpc.prefixlen:
            return None
        block = next(
            (
                c
                for c in vpc.subnets(new_prefix=prefix)
                if not any(c.overlaps(t) for t in [*taken, *allocated])
            ),
            None,
        )
        if block is None:
            return None
        allocated.append(block)
    return allocated


def _subnets(config: GlueprintConfig, azs: tuple[str, ...]) -> tuple[list[Subnet], list[Subnet]]:
    net = config.network
    explicit = [*(net.glue_subnets or []), *(net.database_subnets or [])]
    glue = list(net.glue_subnets or [])
    if not glue:
        found = allocate_subnets(net.vpc_cidr, [net.glue_subnet_prefix] * len(azs), explicit)
        if found is None:
            raise LayoutError(
                [
                    Problem(
                        "network.glue_subnet_prefix",
                        f"{len(azs)} Glue subnets of /{net.glue_subnet_prefix} "
                        f"do not fit in {net.vpc_cidr}",
                        "use a larger network.vpc_cidr or a longer prefix (smaller subnets)",
                    )
                ]
            )
        glue = found
    database = list(net.database_subnets or [])
    if not database and config.database is not None:
        found = allocate_subnets(
            net.vpc_cidr, [net.database_subnet_prefix] * len(azs), [*explicit, *glue]
        )
        if found is None:
            raise LayoutError(
                [
                    Problem(
                        "network.database_subnet_prefix",
                        f"{len(azs)} database subnets of /{net.database_subnet_prefix} "
                        "do not fit in "
                        f"{net.vpc_cidr} next to the Glue subnets",
                        "use a larger network.vpc_cidr or a longer prefix (smaller subnets)",
                    )
                ]
            )
        database = found
    return (
        [Subnet(az, cidr) for az, cidr in zip(azs, glue, strict=False)],
        [Subnet(az, cidr) for az, cidr in zip(azs, database, strict=False)],
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
        ("encrypted-catalog", job.catalog and config.glue.catalog_encryption),
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
