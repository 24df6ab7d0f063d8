"""Glue's names for fields and types, resolved against a Spark schema.

Glue scripts name fields by path and types by Glue's type names; :mod:`etl.mapping` takes
those names verbatim, and this module turns them into Spark's:

* **Types.**  Glue's type names (``string``, ``int``/``integer``, ``long``/``bigint``, ...,
  ``decimal(p,s)``, any case) map to Spark's types.  Glue's bare ``decimal`` is
  ``decimal(10,2)`` (``DecimalType(precision=10, scale=2)``, AWS Glue's PySpark extension types),
  whereas Spark's ``cast("decimal")`` is ``decimal(10,0)``, which silently drops the cents.
* **Failed casts become null**, as Glue's casts do (AWS's ``resolve_choice`` sample: ``cast:long``
  "replaces the string values with null values").  The cast is Spark's ``try_cast``: under ANSI
  mode, Spark's default since 4.0 (Glue 6.0), a plain cast would fail the job instead.  Decimals
  are rounded HALF_UP to the target scale (``12.345`` -> ``12.35``, ``-1.005`` -> ``-1.01``; Glue
  does not document its rounding) and a value too large for the precision becomes null.
* **Paths.**  A dot separates struct levels; a name that contains dots is written in backticks
  (```this.old.name```, a backtick inside doubled), as Glue requires.  Names match exactly, else
  case-insensitively (Glue's default ``case_sensitive=False``).  Paths into arrays (``a[].b``)
  are not supported.
"""

from __future__ import annotations

import re

from pyspark.sql import Column, types
from pyspark.sql import functions as fn

from etl.catalog_table import quote_identifier
from etl.errors import OptionError, SchemaMismatchError
from etl.options import did_you_mean

_ATOMIC: dict[str, types.DataType] = {
    "string": types.StringType(),
    "int": types.IntegerType(),
    "integer": types.IntegerType(),
    "long": types.LongType(),
    "bigint": types.LongType(),
    "short": types.ShortType(),
    "smallint": types.ShortType(),
    "byte": types.ByteType(),
    "tinyint": types.ByteType(),
    "float": types.FloatType(),
    "double": types.DoubleType(),
    "boolean": types.BooleanType(),
    "date": types.DateType(),
    "timestamp": types.TimestampType(),
    "binary": types.BinaryType(),
    "decimal": types.DecimalType(10, 2),  # Glue's default; Spark's would be decimal(10,0)
}
_NESTED: dict[str, type[types.DataType]] = {
    "struct": types.StructType,
    "array": types.ArrayType,
    "map": types.MapType,
}
"""Target types that keep the field as it is (Glue Studio writes them for nested fields)."""
_DECIMAL = re.compile(r"decimal\(\s*(\d+)\s*,\s*(\d+)\s*\)")
Names = tuple[str, ...]
"""A field path: the names from the top-level column down."""


def parse_path(path: str, where: str) -> Names:
    """Split a Glue field path at the dots outside backticks (a.`b.c` is a, then b.c)."""
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    i = 0
    while i < len(path):
        char = path[i]
        if char == "`" and quoted and path[i + 1 : i + 2] == "`":
            current.append("`")
            i += 1
        elif char == "`":
            quoted = not quoted
        elif char == "." and not quoted:
            parts.append("".join(current))
            current = []
        elif char in "[]" and not quoted:
            raise OptionError(
                f"{where}: path {path!r} reaches into an array, which is not supported; map the "
                "whole array, or explode it first (a name with brackets goes in backticks)"
            )
        else:
            current.append(char)
        i += 1
    parts.append("".join(current))
    if quoted or not all(parts):
        raise OptionError(
            f"{where}: path {path!r} is malformed; separate fields with single dots and put a "
            "name that contains dots in backticks, e.g. `this.old.name`"
        )
    return tuple(parts)


def glue_type(name: str, where: str, role: str) -> types.DataType | type[types.DataType]:
    """The Spark type of a Glue type name, or the class of a nested kind (kept as it is)."""
    key = name.strip().lower()
    decimal = _DECIMAL.fullmatch(key)
    if decimal:
        precision, scale = int(decimal.group(1)), int(decimal.group(2))
        if not 0 < precision <= 38 or scale > precision:
            raise OptionError(
                f"{where}: {role} {name!r} needs a precision of 1 to 38 and a scale no larger"
            )
        return types.DecimalType(precision, scale)
    if key in _ATOMIC:
        return _ATOMIC[key]
    if key in _NESTED:
        return _NESTED[key]
    known = [*_ATOMIC, "decimal(p,s)", *_NESTED]
    raise OptionError(
        f"{where}: unknown {role} {name!r}{did_you_mean(key, known)}; Glue's types: "
        f"{', '.join(known)}"
    )


def resolve(schema: types.StructType, path: Names, where: str) -> tuple[Names, types.DataType]:
    """The actual field names along ``path`` and the type at its end."""
    names: list[str] = []
    current: types.DataType = schema
    for part in path:
        if not isinstance(current, types.StructType):
            raise SchemaMismatchError(
                f"{where}: {display(tuple(names))} is {current.simpleString()}, not a struct, "
                f"so it has no field {part!r}"
            )
        exact = [f for f in current.fields if f.name == part]
        folded = [f for f in current.fields if f.name.lower() == part.lower()]
        found = exact or (folded if len(folded) == 1 else [])
        if not found:
            place = f"struct {display(tuple(names))}" if names else "the frame"
            raise SchemaMismatchError(
                f"{where}: {place} has no field {part!r}{did_you_mean(part, current.names)}; "
                f"its fields: {', '.join(current.names)}"
            )
        names.append(found[0].name)
        current = found[0].dataType
    return tuple(names), current


def sql_ref(names: Names) -> str:
    """A field reference for Spark SQL, every name in backticks (dots and all)."""
    return ".".join(quote_identifier(name) for name in names)


def display(names: Names) -> str:
    """A field path as Glue writes it: names with dots or backticks in backticks."""
    return ".".join(
        quote_identifier(name) if "." in name or "`" in name else name for name in names
    )


def cast(names: Names, actual: types.DataType, wanted: types.DataType) -> Column:
    """The field as ``wanted``; a value that does not convert becomes null (module doc)."""
    if actual == wanted:
        return fn.expr(sql_ref(names))
    return fn.expr(f"try_cast({sql_ref(names)} AS {wanted.simpleString()})")
