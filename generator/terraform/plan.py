"""Read a `terraform show -json` plan: resource instances, their config, and references.

Planned values hold what is known before apply (flags, CIDRs, ports, names); how resources relate
(which security group a rule is about, which route table a subnet uses) is often unknown until
apply, so relations are read from the configuration's references instead, followed through
module inputs (`var.x` -> the caller's expression) and outputs (`module.y.z` -> the output's
expression) down to resources.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

Key = tuple[str, str]
"""(module path, "type.name") of a resource block, e.g. ("module.glue", "aws_glue_job.this")."""


@dataclass(frozen=True)
class Instance:
    """One planned resource instance."""

    address: str
    module: str
    type: str
    name: str
    values: dict[str, Any]
    unknown: dict[str, Any]

    @property
    def key(self) -> Key:
        return (self.module, f"{self.type}.{self.name}")

    def is_unknown(self, attribute: str) -> bool:
        """Unknown until apply, wholly or in part."""
        return bool(self.unknown.get(attribute))

    def wholly_unknown(self, attribute: str) -> bool:
        return self.unknown.get(attribute) is True


class Plan:
    """Index over a plan's planned values and configuration."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.instances: list[Instance] = []
        unknown = {
            change["address"]: change["change"].get("after_unknown") or {}
            for change in data.get("resource_changes", [])
        }
        self._collect(data.get("planned_values", {}).get("root_module", {}), unknown)
        self._modules: dict[str, dict[str, Any]] = {}
        self._calls: dict[str, dict[str, Any]] = {}
        self._index_config("", data.get("configuration", {}).get("root_module", {}))

    def _collect(self, module: dict[str, Any], unknown: dict[str, dict[str, Any]]) -> None:
        path = module.get("address", "")
        for res in module.get("resources", []):
            if res.get("mode") != "managed":
                continue
            self.instances.append(
                Instance(
                    res["address"],
                    path,
                    res["type"],
                    res["name"],
                    res.get("values") or {},
                    unknown.get(res["address"], {}),
                )
            )
        for child in module.get("child_modules", []):
            self._collect(child, unknown)

    def _index_config(self, path: str, module: dict[str, Any]) -> None:
        self._modules[path] = module
        for name, call in module.get("module_calls", {}).items():
            child = f"{path}.module.{name}" if path else f"module.{name}"
            self._calls[child] = call
            self._index_config(child, call.get("module", {}))

    def of_type(self, *types: str) -> list[Instance]:
        return [i for i in self.instances if i.type in types]

    def module_input(self, module: str, name: str) -> Any:
        """The literal value the call of `module` passes as input `name`; None when the input is
        absent or an expression (its value is then not in the configuration)."""
        call = self._calls.get(module, {})
        return call.get("expressions", {}).get(name, {}).get("constant_value")

    def source_of(self, module: str) -> str | None:
        """The `source` of a module call, e.g. "./glue" (None for the root)."""
        call = self._calls.get(module)
        return call.get("source") if call else None

    def _config(self, key: Key) -> dict[str, Any]:
        module, address = key
        for res in self._modules.get(module, {}).get("resources", []):
            if res.get("address") == address:
                return dict(res)
        return {}

    def expression(self, key: Key, *path: str | int) -> dict[str, Any]:
        """The configuration expression of an attribute (nested blocks by index)."""
        node: Any = self._config(key).get("expressions", {})
        for step in path:
            if isinstance(node, list):
                node = node[step] if isinstance(step, int) and step < len(node) else {}
            elif isinstance(node, dict):
                node = node.get(step, {})
        return node if isinstance(node, dict) else {}

    def resolve(self, key: Key, *path: str | int) -> set[Key]:
        """Resource blocks an attribute refers to, through module inputs and outputs."""
        refs = list(self.expression(key, *path).get("references", []))
        if any(ref.startswith("each.") for ref in refs):
            # `each.value.id` under `for_each = aws_subnet.glue` refers to aws_subnet.glue.
            refs += self._config(key).get("for_each_expression", {}).get("references", [])
        found: set[Key] = set()
        for ref in refs:
            found |= self._resolve_ref(key[0], ref, depth=0)
        return found

    def _resolve_ref(self, module: str, ref: str, depth: int) -> set[Key]:
        if depth > 20:
            return set()
        parts = ref.split(".")
        if parts[0] == "var" and len(parts) >= 2:
            call = self._calls.get(module)
            if call is None:
                return set()
            parent = module.rsplit(".module.", 1)[0] if ".module." in module else ""
            refs = call.get("expressions", {}).get(parts[1], {}).get("references", [])
            return set().union(*(self._resolve_ref(parent, r, depth + 1) for r in refs))
        if parts[0] == "module" and len(parts) >= 3:
            child = f"{module}.module.{parts[1]}" if module else f"module.{parts[1]}"
            output = self._modules.get(child, {}).get("outputs", {}).get(parts[2], {})
            refs = output.get("expression", {}).get("references", [])
            return set().union(*(self._resolve_ref(child, r, depth + 1) for r in refs))
        if parts[0] in {"module", "local", "each", "count", "path", "self", "terraform", "data"}:
            return set()
        if len(parts) >= 2 and re.fullmatch(r"[a-z0-9_]+", parts[0]):
            name = re.sub(r"\[.*$", "", parts[1])
            return {(module, f"{parts[0]}.{name}")}
        return set()
