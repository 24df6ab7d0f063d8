"""The registry of `verify`'s checks: each check's id, title, why and fix sit on the function
that runs it, so a check and its description cannot drift apart.

A check is a function of a :class:`Stack` yielding `address: what is wrong` per violation;
:mod:`generator.terraform.verify` runs them all in registration order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from generator.terraform.plan import Instance, Key, Plan


@dataclass
class Stack:
    """What a check sees: the plan, the directory it was made from, and a place for notes on
    how the check was made when not from planned values (e.g. from source)."""

    plan: Plan
    directory: Path
    notes: list[str] = field(default_factory=list)
    ec2: Callable[[str], Any] | None = None
    """Region -> a boto3 EC2 client of the account (or emulator) the plan was made against, for
    what only the account knows (its AZ names); None when there is no account to ask."""

    def rules_of(self, groups: set[Key]) -> list[Instance]:
        """Standalone rule resources whose security_group_id is one of `groups`."""
        return [
            rule
            for rule in self.plan.of_type(
                "aws_vpc_security_group_ingress_rule",
                "aws_vpc_security_group_egress_rule",
                "aws_security_group_rule",
            )
            if self.plan.resolve(rule.key, "security_group_id") & groups
        ]

    def glue_groups(self) -> set[Key]:
        """The security groups of the Glue connections."""
        groups: set[Key] = set()
        for conn in self.plan.of_type("aws_glue_connection"):
            groups |= self.plan.resolve(
                conn.key, "physical_connection_requirements", 0, "security_group_id_list"
            )
        return groups


CheckFunction = Callable[[Stack], Iterator[str]]


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    why: str
    fix: str
    run: CheckFunction


@dataclass
class Result:
    check: Check
    failures: list[str] = field(default_factory=list)
    """`address: what is wrong` for each violation."""
    notes: list[str] = field(default_factory=list)
    """How the check was made when not from planned values (e.g. from source)."""

    @property
    def passed(self) -> bool:
        return not self.failures


CHECKS: dict[str, Check] = {}
"""Every check by id, in the order `verify` reports them."""


def check(
    check_id: str, title: str, why: str, fix: str
) -> Callable[[CheckFunction], CheckFunction]:
    """Register the decorated function as check `check_id`."""

    def register(function: CheckFunction) -> CheckFunction:
        if check_id in CHECKS:
            raise ValueError(f"check {check_id} is registered twice")
        CHECKS[check_id] = Check(check_id, title, why, fix, function)
        return function

    return register


def address(key: Key) -> str:
    """A resource key as Terraform prints its address."""
    module, resource = key
    return f"{module}.{resource}" if module else resource
