"""Invariants that make "no internet path" and "secure by default" true, checked on a plan.

The checks run on whatever Terraform is in the stack directory, including the user's edits,
and each names the resources at fault, why the invariant matters and how to fix it. Values that
are unknown until apply (the JDBC connection properties depend on the database's address) are
checked in the module source instead, and the result says so. The checks themselves are in
`network_checks`, `az_checks`, `egress_checks`, `endpoint_checks`, `database_checks` and
`glue_checks`, registered in `checks`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from generator.terraform import (
    az_checks,
    database_checks,
    egress_checks,
    endpoint_checks,
    glue_checks,
    network_checks,
)
from generator.terraform.checks import CHECKS, Check, Result, Stack
from generator.terraform.plan import Plan

__all__ = ["CHECKS", "Check", "Result", "Verifier"]
CHECK_MODULES = (
    network_checks,
    az_checks,
    egress_checks,
    endpoint_checks,
    database_checks,
    glue_checks,
)
"""Imported for their registrations, in the order their checks are reported."""


class Verifier:
    """Runs every check on one plan; `stack` is the directory the plan was made from, `ec2`
    (region -> boto3 EC2 client) reaches the account the plan was made against, if any."""

    def __init__(self, plan: Plan, stack: Path, ec2: Callable[[str], Any] | None = None) -> None:
        self.plan = plan
        self.stack = stack
        self.ec2 = ec2

    def run(self) -> list[Result]:
        results = []
        for registered in CHECKS.values():
            subject = Stack(self.plan, self.stack, ec2=self.ec2)
            failures = list(registered.run(subject))
            results.append(Result(registered, failures, subject.notes))
        return results
