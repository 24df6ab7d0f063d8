"""etl is the library shipped onto Glue workers: it imports nothing from glueprint's generator
side and nothing Glue lacks.  Two views of the same rule: every etl module imported in a fresh
interpreter where those packages cannot be imported, and every import statement in etl's
sources (including ones inside functions, which an import alone would not reach)."""

from __future__ import annotations

import ast
import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import etl
from generator.rendering.package import etl_archive

FORBIDDEN = ("generator", "click", "pydantic", "jinja2", "rich", "yaml", "python_terraform")
"""The generator side and its dependencies: none of them is on a Glue worker."""
ETL_ROOT = Path(etl.__file__).resolve().parent
"""The etl that is imported: the checkout's, or the one installed into a nox session's venv."""
REPO = Path(__file__).resolve().parents[2]
TESTING_ONLY = {"pytest", "chispa"}
"""What `etl.testing` (never shipped to Glue) may import besides the runtime's modules."""

_PROBE = """
import importlib, importlib.abc, json, pkgutil, sys

FORBIDDEN = set(json.loads(sys.argv[1]))

class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in FORBIDDEN:
            raise ImportError(f"etl must not import {name}")
        return None

sys.meta_path.insert(0, Refuse())
import etl
names = ["etl"] + [m.name for m in pkgutil.walk_packages(etl.__path__, "etl.")]
for name in names:
    importlib.import_module(name)
print(json.dumps(names))
"""


def _etl_modules() -> list[Path]:
    return sorted(p for p in ETL_ROOT.rglob("*.py") if "__pycache__" not in p.parts)


def test_every_etl_module_imports_without_the_generator_side() -> None:
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(FORBIDDEN)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert probe.returncode == 0, probe.stderr
    imported = set(json.loads(probe.stdout))
    expected = {
        ".".join(("etl", *p.relative_to(ETL_ROOT).with_suffix("").parts)).removesuffix(".__init__")
        for p in _etl_modules()
    }
    assert imported == expected


def _imports(path: Path) -> set[str]:
    """Top-level package of every import statement in the file, wherever it sits."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


def test_no_etl_source_names_a_package_glue_lacks() -> None:
    offenders = {
        path.relative_to(ETL_ROOT.parent).as_posix(): sorted(_imports(path) & set(FORBIDDEN))
        for path in _etl_modules()
    }
    assert {p: names for p, names in offenders.items() if names} == {}


def test_the_runtime_imports_only_the_standard_library_spark_boto3_and_glue() -> None:
    allowed = {"etl", "pyspark", "py4j", "boto3", "botocore", "awsglue", "tomli"}
    runtime = [p for p in _etl_modules() if "testing" not in p.relative_to(ETL_ROOT).parts]
    for path in runtime:
        third_party = {
            name for name in _imports(path) if name not in sys.stdlib_module_names
        } - allowed
        assert not third_party, f"{path.name} imports {sorted(third_party)}"
    for path in set(_etl_modules()) - set(runtime):
        extra = {n for n in _imports(path) if n not in sys.stdlib_module_names} - allowed
        assert extra <= TESTING_ONLY, f"{path.name} imports {sorted(extra)}"


def test_the_glue_zip_holds_exactly_the_runtime_modules() -> None:
    names = set(zipfile.ZipFile(io.BytesIO(etl_archive())).namelist())
    runtime = {
        p.relative_to(ETL_ROOT.parent).as_posix()
        for p in _etl_modules()
        if "testing" not in p.relative_to(ETL_ROOT).parts
    }
    assert names == runtime
    assert not any(n.startswith("etl/testing/") for n in names)


def test_docs_list_exactly_the_shipped_modules() -> None:
    docs = (REPO / "docs" / "etl.md").read_text(encoding="utf-8")
    section = docs.split("### What the zip holds", 1)[1].split("\n### ", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("| `etl/")]
    listed = {name for line in table for name in re.findall(r"`(etl/[\w/]+\.py)`", line)}
    shipped = set(zipfile.ZipFile(io.BytesIO(etl_archive())).namelist())
    assert listed == shipped
