"""``glueprint check``: find connections a job's code uses but its config does not attach.

On Glue, a job reaches a database only through the VPC placement its attached connections give
it; a read through a connection that is not attached times out at run time, after minutes.
The script is read with ``ast`` (never executed), so checking needs neither pyspark nor the
job's own dependencies.  Besides ``JdbcSource(connection=...)`` it recognises the Glue-native
spellings found in existing scripts: ``"connectionName": ...`` options,
``extract_jdbc_conf(...)`` and ``catalog_connection=...``.
"""

from __future__ import annotations

import ast
import dataclasses
from pathlib import Path

_KEYWORDS = {"JdbcSource": "connection", "from_jdbc_conf": "catalog_connection"}


@dataclasses.dataclass(frozen=True)
class ConnectionUse:
    """A connection reference in a script: the name, or ``None`` if it is not a literal."""

    name: str | None
    line: int


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _uses_in(node: ast.AST) -> list[ConnectionUse]:
    if isinstance(node, ast.Dict):
        return [
            ConnectionUse(_literal(value), node.lineno)
            for key, value in zip(node.keys, node.values, strict=True)
            if _literal(key) == "connectionName"
        ]
    if not isinstance(node, ast.Call):
        return []
    func = node.func
    called = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    if called == "extract_jdbc_conf" and node.args:
        return [ConnectionUse(_literal(node.args[0]), node.lineno)]
    keyword = _KEYWORDS.get(called or "")
    return [
        ConnectionUse(_literal(kw.value), node.lineno) for kw in node.keywords if kw.arg == keyword
    ]


def incremental_sources(path: Path) -> list[int]:
    """Lines of the script's sources that read incrementally (``watermark_column=``, or Glue's
    own ``jobBookmarkKeys``), where two overlapping runs would race for the same state."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))

    def incremental(node: ast.Call | ast.Dict) -> bool:
        if isinstance(node, ast.Call):
            return any(kw.arg == "watermark_column" for kw in node.keywords)
        return any(_literal(key) == "jobBookmarkKeys" for key in node.keys)

    return sorted(
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call | ast.Dict) and incremental(node)
    )


def connection_uses(path: Path) -> list[ConnectionUse]:
    """Every connection reference in the script at ``path``, in source order.

    Raises ``SyntaxError`` for a script that does not parse and ``OSError`` if it cannot be read.
    """
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    uses = [use for node in ast.walk(tree) for use in _uses_in(node)]
    return sorted(uses, key=lambda use: use.line)
