"""Glue's mapping transforms as DataFrame functions, so a ported Glue script keeps its mappings.

A Glue script reshapes DynamicFrames with ``ApplyMapping``, ``ResolveChoice``,
``DropNullFields``, ``SelectFields`` and Glue Studio's SQL node.  The functions here take a Spark
DataFrame and the same arguments (the mapping list, the specs, the paths, the query) and return a
DataFrame, so a transform ported to etl keeps those arguments verbatim (docs/migration.md).  They
import only pyspark: they run wherever etl runs, in unit tests too.

Glue's type names and field paths (backticks around names with dots, Glue's ``decimal`` being
``decimal(10,2)``, failed casts giving null) are read as :mod:`etl.glue_schema` describes.  A
mapping, spec or path whose field does not exist is an error that names the entry, the fields
that do exist and the closest one, never a silently missing column.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from pyspark.sql import Column, DataFrame, types
from pyspark.sql import functions as fn

from etl.errors import OptionError, SchemaMismatchError
from etl.glue_schema import Names, cast, display, glue_type, parse_path, resolve, sql_ref

_ALIAS = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def apply_mapping(df: DataFrame, mappings: Sequence[tuple[str, str, str, str]]) -> DataFrame:
    """Glue's ``ApplyMapping``: select, rename and cast; fields not mapped are dropped.

    Each entry is ``(source path, source type, target path, target type)``.  The value is cast
    from the field's actual type to the target type; the source type is checked to be a Glue
    type name but not compared with the data.  A dotted target path nests the value in a struct
    (``("ship_city", "string", "shipping.city", "string")`` gives ``shipping: struct<city>``), as
    in Glue.  ``struct``, ``array`` and ``map`` targets keep the field as it is.  Columns come out
    in the order of the entries.
    """
    tree = _Tree()
    for number, entry in enumerate(_entries(mappings), 1):
        where = f"apply_mapping entry {number} {entry!r}"
        if not isinstance(entry, (tuple, list)) or len(entry) != 4:
            raise OptionError(
                f"{where}: write each entry as (source path, source type, target path, target "
                "type); Glue's Python API also passes shorter tuples to the JVM, but only this "
                "form is documented"
            )
        if not all(isinstance(part, str) for part in entry):
            raise OptionError(f"{where}: every part of the entry must be a string")
        source, source_type, target, target_type = entry
        glue_type(source_type, where, "source type")
        names, actual = resolve(df.schema, parse_path(source, where), where)
        wanted = glue_type(target_type, where, "target type")
        if isinstance(wanted, type):
            if not isinstance(actual, wanted):
                raise SchemaMismatchError(
                    f"{where}: {display(names)} is {actual.simpleString()}, not a "
                    f"{target_type.lower()}; give its target type as an atomic type to cast it"
                )
            value = fn.expr(sql_ref(names))
        else:
            value = cast(names, actual, wanted)
        tree.add(parse_path(target, where), value, where)
    if not tree.children:
        raise OptionError("apply_mapping: no mappings; Glue keeps only mapped fields")
    return df.select(*tree.columns(lambda _, fields: fn.struct(*fields)))


def resolve_choice(df: DataFrame, specs: Sequence[tuple[str, str]]) -> DataFrame:
    """Glue's ``ResolveChoice`` with ``specs``, for the two actions that mean something here.

    A DynamicFrame field can hold values of several types (a *choice*); a DataFrame column has
    exactly one.  So on a DataFrame:

    * ``cast:<type>`` casts the field (a nested one in place) to the Glue type; values that do not
      convert become null, as Glue documents for ``cast``;
    * ``project:<type>`` keeps the values of that type: all of them when the field has that type
      (nothing changes), none otherwise, which is refused with an error that says to cast.

    ``make_cols`` and ``make_struct`` split a choice into one column or struct field per type; a
    DataFrame column has one type, so there is nothing to split and they are refused.  Glue's
    ``choice=`` default action and ``match_catalog`` have no counterpart: give each field's spec.
    """
    for number, entry in enumerate(_entries(specs), 1):
        where = f"resolve_choice spec {number} {entry!r}"
        if (
            not isinstance(entry, (tuple, list))
            or len(entry) != 2
            or not all(isinstance(part, str) for part in entry)
        ):
            raise OptionError(
                f"{where}: write each spec as (path, action), e.g. ('id', 'cast:long')"
            )
        path, action = entry
        verb, _, type_name = action.partition(":")
        verb = verb.strip().lower()
        if verb in ("make_cols", "make_struct"):
            raise OptionError(
                f"{where}: {verb} splits a choice type into one field per type, but a DataFrame "
                "column has a single type, so there is nothing to split; use cast:<type>"
            )
        if verb not in ("cast", "project") or not type_name:
            raise OptionError(
                f"{where}: action {action!r} is not supported; use cast:<type> or project:<type>"
            )
        wanted = glue_type(type_name, where, "type")
        if isinstance(wanted, type):
            raise OptionError(f"{where}: {verb} needs an atomic type, not {type_name!r}")
        names, actual = resolve(df.schema, parse_path(path, where), where)
        if verb == "project":
            if actual != wanted:
                raise SchemaMismatchError(
                    f"{where}: {display(names)} is {actual.simpleString()}; project keeps only "
                    f"the values of type {wanted.simpleString()} and every value of a DataFrame "
                    f"column has the column's type, so none would be kept; use cast:{type_name} "
                    "(values that do not convert become null)"
                )
            continue
        df = _replace(df, names, cast(names, actual, wanted))
    return df


def select_fields(df: DataFrame, paths: Sequence[str] | str) -> DataFrame:
    """Glue's ``SelectFields``: keep only the fields at ``paths``, in that order.

    A nested path keeps its place: ``["id", "address.city"]`` gives ``id`` and an ``address``
    struct holding only ``city`` (null where ``address`` was null).
    """
    tree = _Tree()
    for number, path in enumerate(_entries(paths), 1):
        where = f"select_fields path {number} {path!r}"
        if not isinstance(path, str):
            raise OptionError(f"{where}: a path must be a string such as 'address.city'")
        names, _ = resolve(df.schema, parse_path(path, where), where)
        tree.add(names, fn.expr(sql_ref(names)), where)
    if not tree.children:
        raise OptionError("select_fields: no paths given")

    def kept(prefix: Names, fields: list[Column]) -> Column:
        source = fn.expr(sql_ref(prefix))
        return fn.when(source.isNull(), fn.lit(None)).otherwise(fn.struct(*fields))

    return df.select(*tree.columns(kept))


def drop_null_fields(df: DataFrame, null_values: Iterable[str | int] = ()) -> DataFrame:
    """Glue's ``DropNullFields``: drop the fields that are null in every row.

    Glue drops the fields whose type is ``NullType``, which a DynamicFrame gives a field that is
    missing or null in every record; a DataFrame keeps each column's declared type, so here the
    data is counted, in one pass.  An empty string or ``"null"`` is a value, as in Glue; Glue
    Studio's node can count such placeholders as null, and so does ``null_values``: strings
    (compared with surrounding spaces trimmed) for string fields, integers for numeric fields,
    e.g. ``null_values=["", "null", -1]``.  Fields inside structs are dropped one by one, and a
    struct goes when all of its fields go; fields of structs inside arrays are not looked at.
    """
    if isinstance(null_values, str):
        raise OptionError("drop_null_fields: null_values must be a list, e.g. ['', 'null', -1]")
    strings: list[str] = []
    numbers: list[int] = []
    for value in null_values:
        if isinstance(value, bool) or not isinstance(value, (str, int)):
            raise OptionError(
                f"drop_null_fields: null_values takes strings (for string fields) and integers "
                f"(for numeric fields), not {value!r}"
            )
        if isinstance(value, str):
            strings.append(value)
        else:
            numbers.append(value)
    leaves = list(_leaves(df.schema, ()))
    if not leaves:
        return df

    def present(names: Names, kind: types.DataType) -> Column:
        value = fn.expr(sql_ref(names))
        condition = value.isNotNull()
        if strings and isinstance(kind, types.StringType):
            condition &= ~fn.trim(value).isin(*strings)
        if numbers and isinstance(kind, types.NumericType):
            condition &= ~value.isin(*numbers)
        return fn.count(fn.when(condition, True))

    counts = df.agg(*[present(names, kind) for names, kind in leaves]).first()
    assert counts is not None  # a global aggregate has exactly one row
    empty = {names for (names, _), count in zip(leaves, counts, strict=True) if count == 0}
    columns = []
    for field in df.schema.fields:
        gone, below = _emptied(field.dataType, (field.name,), empty)
        if gone:
            continue
        column = fn.expr(sql_ref((field.name,)))
        if below:
            column = column.dropFields(*[sql_ref(names[1:]) for names in below])
        columns.append(column.alias(field.name))
    return df.select(*columns)


def spark_sql(frames: Mapping[str, DataFrame], query: str) -> DataFrame:
    """Glue Studio's SQL node (``sparkSqlQuery``): run ``query`` over the frames, each under its
    alias, e.g. ``spark_sql({"myDataSource": orders}, "select * from myDataSource")``.

    Like Glue Studio, it registers each frame as a temporary view of its alias (replacing a view
    of that name); unlike it, it removes the views once the query is planned, so they do not
    leak into the rest of the job.
    """
    if not frames:
        raise OptionError("spark_sql: give the frames the query reads, e.g. {'orders': frame}")
    for alias in frames:
        if not _ALIAS.fullmatch(alias):
            raise OptionError(
                f"spark_sql: alias {alias!r} is not a SQL name; use letters, digits and _"
            )
    spark = next(iter(frames.values())).sparkSession
    try:
        for alias, frame in frames.items():
            frame.createOrReplaceTempView(alias)
        return spark.sql(query)
    finally:
        for alias in frames:
            spark.catalog.dropTempView(alias)


def _entries(value: Any) -> list[Any]:
    """The entries of a mapping list, specs or paths: Glue also takes a single one."""
    if isinstance(value, str) or (isinstance(value, tuple) and value and isinstance(value[0], str)):
        return [value]
    return list(value)


def _replace(df: DataFrame, names: Names, value: Column) -> DataFrame:
    """``df`` with the field at ``names`` replaced by ``value``, columns in their order."""
    top = names[0]
    if len(names) > 1:
        value = fn.col(sql_ref((top,))).withField(sql_ref(names[1:]), value)
    return df.select(
        *[
            value.alias(field.name) if field.name == top else fn.col(sql_ref((field.name,)))
            for field in df.schema.fields
        ]
    )


def _leaves(kind: types.DataType, prefix: Names) -> Iterable[tuple[Names, types.DataType]]:
    """Every field below ``prefix`` that is not a struct, with its type."""
    if isinstance(kind, types.StructType):
        for field in kind.fields:
            yield from _leaves(field.dataType, (*prefix, field.name))
    elif prefix:
        yield prefix, kind


def _emptied(kind: types.DataType, prefix: Names, empty: set[Names]) -> tuple[bool, list[Names]]:
    """Whether every leaf under ``prefix`` is in ``empty``; if not, the largest emptied fields
    below it (a struct whose leaves are all empty goes whole: Spark cannot empty a struct)."""
    if not isinstance(kind, types.StructType) or not kind.fields:
        return prefix in empty, []
    below = [(f.name, _emptied(f.dataType, (*prefix, f.name), empty)) for f in kind.fields]
    if all(gone for _, (gone, _) in below):
        return True, []
    emptied: list[Names] = []
    for name, (gone, inner) in below:
        emptied.extend([(*prefix, name)] if gone else inner)
    return False, emptied


class _Tree:
    """Output fields by path: a leaf holds a column, an inner node becomes a struct.  Names are
    compared case-insensitively, as Spark resolves them."""

    def __init__(self) -> None:
        self.children: dict[str, tuple[str, Column | _Tree, str]] = {}

    def add(self, path: Names, value: Column, where: str) -> None:
        node = self
        for depth, part in enumerate(path):
            existing = node.children.get(part.lower())
            if depth == len(path) - 1:
                if existing is None:
                    node.children[part.lower()] = (part, value, where)
                    return
            elif existing is None:
                child = _Tree()
                node.children[part.lower()] = (part, child, where)
                node = child
                continue
            elif isinstance(existing[1], _Tree):
                node = existing[1]
                continue
            raise OptionError(
                f"{where}: {display(path)} collides with {existing[2]}; a field is produced "
                "once, as a value or as a struct of fields"
            )

    def columns(
        self, struct: Callable[[Names, list[Column]], Column], prefix: Names = ()
    ) -> list[Column]:
        out = []
        for name, node, _ in self.children.values():
            if isinstance(node, _Tree):
                path = (*prefix, name)
                out.append(struct(path, node.columns(struct, path)).alias(name))
            else:
                out.append(node.alias(name))
        return out
