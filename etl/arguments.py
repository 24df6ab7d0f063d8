"""Job arguments: Glue passes every argument as a ``--name value`` string; jobs want types.

A job declares its arguments as a (frozen) dataclass; :func:`bind_arguments` converts the raw
strings to the annotated types.  Glue also passes many system arguments (``--JOB_RUN_ID``,
``--TempDir``, ``--enable-metrics``, ...), so an argument that is not a field is ignored, unless
its name is close to a field name: then it is almost certainly a typo and is an error.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from etl.errors import ArgumentError
from etl.options import did_you_mean

_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


def parse_argv(argv: Sequence[str]) -> dict[str, str]:
    """Collect ``--name value`` and ``--name=value`` pairs; a bare ``--flag`` means ``"true"``."""
    raw: dict[str, str] = {}
    i = 0
    while i < len(argv):
        token = argv[i]
        i += 1
        if not token.startswith("--"):
            continue
        name, sep, value = token[2:].partition("=")
        if not sep:
            if i < len(argv) and not argv[i].startswith("--"):
                value = argv[i]
                i += 1
            else:
                value = "true"
        raw[name] = value
    return raw


def _to_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueError(f"expected true/false, got {text!r}")


_CONVERTERS: dict[object, Callable[[str], object]] = {
    str: str,
    int: int,
    float: float,
    bool: _to_bool,
    dt.date: dt.date.fromisoformat,
    dt.datetime: dt.datetime.fromisoformat,
}


def _converter(owner: str, name: str, annotation: object) -> tuple[Callable[[str], object], bool]:
    """Return (converter, optional) for a field annotation such as ``int`` or ``date | None``."""
    optional = False
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        members = [a for a in typing.get_args(annotation) if a is not type(None)]
        optional = len(members) < len(typing.get_args(annotation))
        if len(members) == 1:
            annotation = members[0]
    converter = _CONVERTERS.get(annotation)
    if converter is None:
        supported = "str, int, float, bool, date, datetime (optionally | None)"
        raise ArgumentError(
            f"{owner}.{name}: unsupported argument type {annotation!r}; use {supported}"
        )
    return converter, optional


def bind_arguments(spec: type[Any] | None, raw: Mapping[str, str]) -> Any:
    """Build an instance of the dataclass ``spec`` from raw string arguments.

    Raises :class:`ArgumentError` naming the argument for a missing required argument, a value
    that does not convert, or an argument whose name looks like a misspelt field.
    """
    if spec is None:
        return None
    if not dataclasses.is_dataclass(spec):
        raise ArgumentError(f"arguments={spec!r} must be a dataclass")
    hints = typing.get_type_hints(spec)
    fields = [f for f in dataclasses.fields(spec) if f.init]
    names = [f.name for f in fields]
    for given in raw:
        if given not in names:
            close = difflib.get_close_matches(given, names, n=1, cutoff=0.8)
            if close:
                raise ArgumentError(f"unknown job argument --{given} (did you mean --{close[0]}?)")
    values: dict[str, object] = {}
    for field in fields:
        converter, optional = _converter(spec.__name__, field.name, hints[field.name])
        if field.name not in raw:
            has_default = (
                field.default is not dataclasses.MISSING
                or field.default_factory is not dataclasses.MISSING
            )
            if not has_default:
                if not optional:
                    raise ArgumentError(f"missing job argument --{field.name}")
                values[field.name] = None
            continue
        try:
            values[field.name] = converter(raw[field.name])
        except ValueError as exc:
            raise ArgumentError(f"job argument --{field.name}: {exc}") from None
    return spec(**values)


_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

T = TypeVar("T")


def argument_values(args: Any) -> dict[str, str]:
    """String form of bound arguments, for ``${name}`` placeholders in sources and sinks."""
    if args is None:
        return {}
    return {
        f.name: v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else str(v)
        for f in dataclasses.fields(args)
        if (v := getattr(args, f.name)) is not None
    }


def has_placeholder(text: str) -> bool:
    """Whether ``text`` holds a ``${name}`` placeholder: its value is checked once bound."""
    return _PLACEHOLDER.search(text) is not None


def substitute(text: str, values: Mapping[str, str], where: str) -> str:
    """Replace ``${name}`` with the job argument ``name``; an unknown name is an error.

    ``${...}`` rather than ``{...}`` because SQL legitimately contains braces (JSON literals).
    """

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            known = ", ".join(sorted(values)) or "(none)"
            raise ArgumentError(
                f"{where}: placeholder ${{{name}}} has no job argument{did_you_mean(name, values)};"
                f" arguments with a value: {known}. Declare it in the job's arguments dataclass"
                " and pass it (--name value) or give it a default"
            )
        return values[name]

    return _PLACEHOLDER.sub(replace, text)


def bind_placeholders(options: T, values: Mapping[str, str]) -> T:
    """A copy of the option dataclass ``options`` (a source or a sink) with ``${name}``
    replaced in every string it holds: string fields, each element of a list of strings, the
    values of a mapping, and the fields of nested option dataclasses (``Quarantine``).

    One walk over the fields, so that every string option is templatable and none is missed
    silently.  The copy is made with ``dataclasses.replace``, so the class validates the
    substituted values exactly as it validates literal ones.
    """
    bound: T = _bind(options, values, type(options).__name__)
    return bound


def _bind(value: Any, values: Mapping[str, str], where: str) -> Any:
    if isinstance(value, str):
        return substitute(value, values, where)
    if isinstance(value, Mapping):
        return {k: _bind(v, values, f"{where}[{k!r}]") for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_bind(v, values, f"{where}[{i}]") for i, v in enumerate(value))
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {}
        for field in dataclasses.fields(value):
            if not field.init:
                continue
            current = getattr(value, field.name)
            bound = _bind(current, values, f"{where}.{field.name}")
            if bound != current:
                changes[field.name] = bound
        return dataclasses.replace(value, **changes) if changes else value
    return value
