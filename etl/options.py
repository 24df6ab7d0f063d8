"""Strict, typed option objects.

Spark and Glue accept option dictionaries of strings and silently ignore keys they do not know,
so a typo such as ``partiton_column`` quietly turns a parallel read into a single-connection one.
Sources and sinks are therefore frozen, keyword-only dataclasses deriving from :class:`Strict`,
which rejects unknown keyword arguments with a "did you mean" hint before ``__init__`` runs.
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable
from typing import Any

from etl.errors import OptionError

FILE_FORMATS = ("parquet", "csv", "json")
"""The file formats S3 sources and sinks read and write."""


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest choice, or ``""`` when nothing is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class Strict:
    """Base for option dataclasses: unknown keyword arguments raise :class:`OptionError`.

    The check lives in ``__new__`` because the dataclass-generated ``__init__`` would otherwise
    raise a bare ``TypeError`` without naming the valid options.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        valid = [f.name for f in dataclasses.fields(cls) if f.init]  # type: ignore[arg-type]
        for key in kwargs:
            if key not in valid:
                raise OptionError(
                    f"{cls.__name__}: unknown option '{key}'{did_you_mean(key, valid)}; "
                    f"valid options: {', '.join(valid)}"
                )
        return super().__new__(cls)


def require_one_of(owner: str, **values: object) -> None:
    """Raise unless exactly one of ``values`` is set (not ``None``)."""
    given = [name for name, value in values.items() if value is not None]
    if len(given) != 1:
        names = " or ".join(f"'{name}'" for name in values)
        raise OptionError(f"{owner}: give exactly one of {names} (got {len(given)})")


def require_choice(owner: str, name: str, value: str, choices: Iterable[str]) -> None:
    """Raise unless ``value`` is one of ``choices``."""
    options = list(choices)
    if value not in options:
        raise OptionError(
            f"{owner}: {name}={value!r} is not supported{did_you_mean(value, options)}; "
            f"use one of: {', '.join(options)}"
        )
