"""Reading and editing `terraform show -json` plans in tests: find a planned resource, and make a
copy of a plan with one resource's policy document changed (how the plan-mutation tests show
that `verify` catches a hand edit)."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from typing import Any

Policy = dict[str, Any]


def resources(data: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every planned resource instance, in every module."""
    pending = [data["planned_values"]["root_module"]]
    while pending:
        module = pending.pop()
        yield from module.get("resources", [])
        pending += module.get("child_modules", [])


def resource(data: dict[str, Any], address: str) -> dict[str, Any]:
    """The one planned resource instance at `address`."""
    (found,) = [r for r in resources(data) if r["address"] == address]
    return found


def with_policy(
    data: dict[str, Any], address: str, edit: Callable[[Policy], None]
) -> dict[str, Any]:
    """A copy of the plan whose `address` has its policy document changed by `edit`."""
    changed = copy.deepcopy(data)
    planned = resource(changed, address)
    policy = json.loads(planned["values"]["policy"])
    edit(policy)
    planned["values"]["policy"] = json.dumps(policy)
    return changed


def statement(policy: Policy, sid: str) -> dict[str, Any]:
    """The policy's statement `sid`."""
    (found,) = [s for s in policy["Statement"] if s["Sid"] == sid]
    return found
