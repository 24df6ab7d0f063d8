"""The one way to turn a `glueprint.yaml` into a validated config and its layout.

Reads YAML strictly (duplicate keys are errors), parses with pydantic, runs the cross-field rules,
and computes the layout. Every failure becomes a `ConfigError` whose problems name the field and
the fix; nothing else escapes.
"""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from generator.config import rules
from generator.config.errors import ConfigError, Problem
from generator.config.layout import Layout, LayoutError, compute_layout
from generator.config.schema import GlueprintConfig

DEFAULT_CONFIG_NAME = "the built-in default config"


@dataclass(frozen=True)
class LoadedConfig:
    """A validated config with where it came from (for generated-file headers)."""

    config: GlueprintConfig
    layout: Layout
    base_dir: Path
    """Directory job script paths are relative to."""
    source_name: str
    digest: str
    """sha256 of the config text, first 12 hex digits."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys instead of silently keeping the last one."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen[key] = key_node
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def default_config_dir() -> Path:
    """Directory of the built-in default config and its example job script."""
    return Path(str(resources.files("generator") / "defaults"))


def load_default() -> LoadedConfig:
    """The built-in default: the seed architecture (one VPC, two AZs, S3 + RDS connections)."""
    path = default_config_dir() / "glueprint.yaml"
    return parse_text(path.read_text(encoding="utf-8"), path.parent, DEFAULT_CONFIG_NAME)


def load_config(path: Path) -> LoadedConfig:
    """Load and validate a config file; raises ConfigError with every problem found."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            [
                Problem(
                    str(path),
                    "file not found",
                    "pass --config PATH, or run `glueprint init` to write one",
                )
            ]
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError([Problem(str(path), f"cannot read: {exc}", "check the file")]) from None
    return parse_text(text, path.resolve().parent, path.name)


def parse_text(text: str, base_dir: Path, source_name: str) -> LoadedConfig:
    """Validate config text; `base_dir` resolves job script paths."""
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source_name}:{mark.line + 1}:{mark.column + 1}" if mark else source_name
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            [Problem(where, f"invalid YAML: {problem}", "fix the YAML syntax at that line")]
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(
            [
                Problem(
                    source_name,
                    "the config must be a YAML mapping",
                    "start from `glueprint init`; at least `project:` and `region:`",
                )
            ]
        )
    try:
        config = GlueprintConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError([_problem(err) for err in exc.errors()]) from None
    try:
        layout: Layout | None = compute_layout(config)
        layout_problems: list[Problem] = []
    except LayoutError as exc:
        layout, layout_problems = None, exc.problems
    problems = rules.check(config, layout, base_dir) or layout_problems
    if problems or layout is None:
        raise ConfigError(problems)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]
    return LoadedConfig(config, layout, base_dir, source_name, digest)


def field_path(loc: tuple[int | str, ...]) -> str:
    """('jobs', 0, 'worker_type') -> 'jobs[0].worker_type'."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(top level)"


def _model_at(loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The pydantic model whose field sits at `loc` (None past a dict or unknown key)."""
    model: type[BaseModel] = GlueprintConfig
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return None
        nested = _nested_model(field.annotation)
        if nested is None:
            return None
        model = nested
    return model


def _nested_model(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _nested_model(arg)
        if found is not None:
            return found
    return None


def _problem(err: ErrorDetails) -> Problem:
    loc = tuple(part for part in err["loc"] if not _is_union_tag(part))
    path = field_path(loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        fields = list(model.model_fields) if model else []
        close = difflib.get_close_matches(str(loc[-1]), fields, n=1)
        fix = (
            f"did you mean {close[0]!r}?"
            if close
            else (f"remove it; allowed keys: {', '.join(fields)}" if fields else "remove it")
        )
        return Problem(path, "unknown key", fix)
    if kind == "missing":
        return Problem(path, "required field is missing", f"add `{loc[-1]}:`")
    description = _description(loc)
    fix = description or "see `glueprint schema` for the allowed values"
    # A validator's own message says what is wrong; pydantic's prefix adds nothing.
    return Problem(path, err["msg"].removeprefix("Value error, "), fix)


def _is_union_tag(part: int | str) -> bool:
    """Pydantic adds union member names (e.g. 'list[...]') to locations; they are not fields."""
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "function-after"})


def _description(loc: tuple[int | str, ...]) -> str | None:
    names = [p for p in loc if isinstance(p, str)]
    if not names:
        return None
    model = _model_at(tuple(loc[: max(i for i, p in enumerate(loc) if isinstance(p, str))]))
    if model is None:
        return None
    field = model.model_fields.get(names[-1])
    return field.description if field else None
