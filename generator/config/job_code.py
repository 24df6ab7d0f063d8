"""What a job script's code uses, read with ``ast`` so config and code can be cross-checked.

The script is read, never executed, so checking needs neither pyspark nor the job's own
dependencies.  Each question below recognises etl's spelling and the Glue-native ones found in
existing scripts:

* connections (``glueprint check``): ``JdbcSource(connection=...)``, ``"connectionName": ...``
  options, ``extract_jdbc_conf(...)`` and ``catalog_connection=...``;  a read through a
  connection the job does not attach times out at run time, after minutes.
* incremental reads: ``watermark_column=`` or Glue's ``jobBookmarkKeys``.
* the Data Catalog: ``S3Sink(catalog_table=...)``, ``CatalogSource(...)``,
  ``from_catalog(...)``, ``setCatalogInfo(...)`` and ``saveAsTable(...)``.
* required job arguments: the fields of ``job(arguments=SomeDataclass)`` that have no default
  and are not typed ``X | None`` (exactly those etl's ``bind_arguments`` refuses to run
  without), and every name listed in ``getResolvedOptions(sys.argv, [...])``.

Only what is written literally is seen: a connection name in a variable is reported as dynamic,
and an arguments dataclass imported from another module is not read.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path
from typing import TypeGuard

_KEYWORDS = {"JdbcSource": "connection", "from_jdbc_conf": "catalog_connection"}
_CATALOG_CALLS = ("CatalogSource", "from_catalog", "setCatalogInfo", "saveAsTable")
"""etl, Glue-native and Spark calls that read or write Data Catalog tables."""


@dataclasses.dataclass(frozen=True)
class ConnectionUse:
    """A connection reference in a script: the name, or ``None`` if it is not a literal."""

    name: str | None
    line: int


@dataclasses.dataclass(frozen=True)
class CatalogUse:
    """A use of the Data Catalog: how the script spells it, e.g. ``catalog_table='db.t'``."""

    spelling: str
    line: int


@dataclasses.dataclass(frozen=True)
class RequiredArgument:
    """A job argument the script cannot run without (``name`` without the leading ``--``)."""

    name: str
    line: int
    declared_in: str
    """``dataclass NAME`` (etl's arguments) or ``getResolvedOptions`` (Glue-native)."""


def _read(path: Path) -> ast.Module:
    """The parsed script; ``SyntaxError`` if it does not parse, ``OSError`` if unreadable."""
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _called(node: ast.Call) -> str | None:
    """The name a call calls: ``f(...)`` -> f, ``a.b.f(...)`` -> f."""
    func = node.func
    return func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)


def _uses_in(node: ast.AST) -> list[ConnectionUse]:
    if isinstance(node, ast.Dict):
        return [
            ConnectionUse(_literal(value), node.lineno)
            for key, value in zip(node.keys, node.values, strict=True)
            if _literal(key) == "connectionName"
        ]
    if not isinstance(node, ast.Call):
        return []
    called = _called(node)
    if called == "extract_jdbc_conf" and node.args:
        return [ConnectionUse(_literal(node.args[0]), node.lineno)]
    keyword = _KEYWORDS.get(called or "")
    return [
        ConnectionUse(_literal(kw.value), node.lineno) for kw in node.keywords if kw.arg == keyword
    ]


def connection_uses(path: Path) -> list[ConnectionUse]:
    """Every connection reference in the script at ``path``, in source order.

    Raises ``SyntaxError`` for a script that does not parse and ``OSError`` if it cannot be read.
    """
    uses = [use for node in ast.walk(_read(path)) for use in _uses_in(node)]
    return sorted(uses, key=lambda use: use.line)


def _bookmark_keys(node: ast.AST) -> TypeGuard[ast.Dict]:
    return isinstance(node, ast.Dict) and any(_literal(k) == "jobBookmarkKeys" for k in node.keys)


def incremental_sources(path: Path) -> list[int]:
    """Lines of the script's sources that read incrementally (``watermark_column=``, or Glue's
    own ``jobBookmarkKeys``), where two overlapping runs would race for the same state."""

    def incremental(node: ast.Call | ast.Dict) -> bool:
        if isinstance(node, ast.Call):
            return any(kw.arg == "watermark_column" for kw in node.keywords)
        return _bookmark_keys(node)

    return sorted(
        node.lineno
        for node in ast.walk(_read(path))
        if isinstance(node, ast.Call | ast.Dict) and incremental(node)
    )


def bookmark_sources(path: Path) -> list[int]:
    """Lines of Glue-native reads keyed for job bookmarks (``jobBookmarkKeys``): they read
    incrementally only while the job's bookmarks are enabled."""
    return sorted(node.lineno for node in ast.walk(_read(path)) if _bookmark_keys(node))


def _catalog_use(node: ast.Call) -> CatalogUse | None:
    called = _called(node)
    if called in _CATALOG_CALLS:
        return CatalogUse(f"{called}(...)", node.lineno)
    for kw in node.keywords:
        if kw.arg == "catalog_table" and not (
            isinstance(kw.value, ast.Constant) and kw.value.value is None
        ):
            table = _literal(kw.value)
            spelling = f"catalog_table={table!r}" if table else "catalog_table=..."
            return CatalogUse(spelling, node.lineno)
    return None


def catalog_uses(path: Path) -> list[CatalogUse]:
    """Every use of the Data Catalog in the script at ``path``, in source order."""
    found = (_catalog_use(n) for n in ast.walk(_read(path)) if isinstance(n, ast.Call))
    return sorted((use for use in found if use is not None), key=lambda use: use.line)


def _is_optional(annotation: ast.expr) -> bool:
    """``X | None``, ``Optional[X]``, ``Union[X, None]``, also as a string annotation."""
    if isinstance(annotation, ast.Constant):
        if isinstance(annotation.value, str):
            return _is_optional(ast.parse(annotation.value, mode="eval").body)
        return annotation.value is None
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        return _is_optional(annotation.left) or _is_optional(annotation.right)
    if isinstance(annotation, ast.Subscript):
        wrapper = annotation.value
        name = wrapper.id if isinstance(wrapper, ast.Name) else getattr(wrapper, "attr", "")
        if name == "Optional":
            return True
        if name == "Union":
            members = annotation.slice
            items = members.elts if isinstance(members, ast.Tuple) else [members]
            return any(_is_optional(item) for item in items)
    return False


def _names(annotation: ast.expr) -> set[str]:
    return {
        node.id if isinstance(node, ast.Name) else node.attr
        for node in ast.walk(annotation)
        if isinstance(node, ast.Name | ast.Attribute)
    }


def _field_call(value: ast.expr | None) -> ast.Call | None:
    """``field(...)`` / ``dataclasses.field(...)`` as a field's value, else None."""
    if isinstance(value, ast.Call) and _called(value) == "field":
        return value
    return None


def _field_requirement(statement: ast.AnnAssign) -> bool | None:
    """Whether a class-body annotation is a required init field; None if it is no init field
    (``ClassVar``, ``InitVar``, the ``KW_ONLY`` marker or ``field(init=False)``)."""
    if _names(statement.annotation) & {"ClassVar", "InitVar", "KW_ONLY"}:
        return None
    call = _field_call(statement.value)
    if call is None:
        has_default = statement.value is not None
    else:
        options = {kw.arg: kw.value for kw in call.keywords}
        init = options.get("init")
        if isinstance(init, ast.Constant) and init.value is False:
            return None
        has_default = "default" in options or "default_factory" in options
    return not has_default and not _is_optional(statement.annotation)


def _is_dataclass(node: ast.ClassDef) -> bool:
    def name(decorator: ast.expr) -> str | None:
        target = decorator.func if isinstance(decorator, ast.Call) else decorator
        return target.id if isinstance(target, ast.Name) else getattr(target, "attr", None)

    return any(name(d) == "dataclass" for d in node.decorator_list)


def _dataclass_fields(
    classes: dict[str, ast.ClassDef], name: str, seen: frozenset[str] = frozenset()
) -> dict[str, tuple[bool, int]]:
    """Field name -> (required, line) of the module's dataclass ``name``, base classes first
    (as dataclasses collects them); bases defined elsewhere are not seen."""
    node = classes.get(name)
    if node is None or name in seen or not _is_dataclass(node):
        return {}
    fields: dict[str, tuple[bool, int]] = {}
    for base in reversed(node.bases):
        if isinstance(base, ast.Name):
            fields.update(_dataclass_fields(classes, base.id, seen | {name}))
    for statement in node.body:
        if isinstance(statement, ast.AnnAssign) and isinstance(statement.target, ast.Name):
            required = _field_requirement(statement)
            if required is not None:
                fields[statement.target.id] = (required, statement.lineno)
    return fields


def required_arguments(path: Path) -> list[RequiredArgument]:
    """The job arguments the script at ``path`` cannot run without, in source order."""
    tree = _read(path)
    classes = {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}
    found: list[RequiredArgument] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if _called(node) == "getResolvedOptions" and len(node.args) > 1:
            listed = node.args[1]
            names = listed.elts if isinstance(listed, ast.List | ast.Tuple) else []
            found += [
                RequiredArgument(name, node.lineno, "getResolvedOptions")
                for name in map(_literal, names)
                if name is not None
            ]
        for kw in node.keywords if _called(node) == "job" else ():
            if kw.arg == "arguments" and isinstance(kw.value, ast.Name):
                declared = _dataclass_fields(classes, kw.value.id)
                found += [
                    RequiredArgument(field, line, f"dataclass {kw.value.id}")
                    for field, (required, line) in declared.items()
                    if required
                ]
    return sorted(set(found), key=lambda argument: (argument.line, argument.name))
