"""`glueprint init` pins the pyspark of the config's Glue version for local tests, from the one
Glue version table that the nox sessions also test etl on."""

from __future__ import annotations

import functools
import importlib.util
import re
import subprocess
import sys

if sys.version_info >= (3, 11):
    import tomllib
else:  # glueprint depends on tomli below Python 3.11
    import tomli as tomllib
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner

from generator.cli.console import InputError
from generator.cli.main import REQUIREMENTS_FILE, cli, local_test_requirements
from generator.config.catalog import ETL_MIN_PYTHON, GLUE_RELEASES, GLUE_VERSIONS
from generator.config.loader import load_config
from generator.config.schema import GlueprintConfig, JobConfig
from tests.conftest import REPO


def requirements(text: str) -> list[str]:
    return [line for line in text.splitlines() if line and not line.startswith("#")]


def config_with_jobs(*jobs: dict[str, Any]) -> GlueprintConfig:
    return GlueprintConfig.model_validate(
        {
            "project": "demo",
            "region": "eu-west-1",
            "jobs": [{"name": f"job-{i}", "script": "job.py", **job} for i, job in enumerate(jobs)],
        }
    )


@functools.cache
def load_noxfile() -> ModuleType:
    """noxfile.py, imported once (nox warns when a session is registered twice)."""
    spec = importlib.util.spec_from_file_location("glueprint_noxfile", REPO / "noxfile.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_init_pins_the_pyspark_of_the_written_configs_glue_version(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 0, result.output
    jobs = load_config(tmp_path / "glueprint.yaml").config.jobs
    (glue,) = {job.glue_version for job in jobs}
    release = GLUE_RELEASES[glue]
    text = (tmp_path / REQUIREMENTS_FILE).read_text()
    assert requirements(text) == [
        release.pyspark,
        "pytest>=8",
        "chispa>=0.10",
    ]  # not glueprint: resolved from an index, that name could be anyone's package
    header = text.split("\n" + release.pyspark)[0]
    assert f"AWS Glue {glue} (Spark {release.spark}, Python {release.python})" in header
    assert "glueprint init" in header
    assert REQUIREMENTS_FILE in result.stdout and f"Python {release.python}" in result.stdout


def test_init_pin_is_what_the_nox_matrix_tests_etl_on(tmp_path: Path) -> None:
    assert CliRunner().invoke(cli, ["init", str(tmp_path)]).exit_code == 0
    (glue,) = {job.glue_version for job in load_config(tmp_path / "glueprint.yaml").config.jobs}
    rows = [release for ids, release in load_noxfile().GLUE_MATRIX if glue in ids.split("/")]
    assert len(rows) == 1
    assert rows[0].pyspark in requirements((tmp_path / REQUIREMENTS_FILE).read_text())


def test_init_keeps_an_existing_requirements_file_unless_forced(tmp_path: Path) -> None:
    (tmp_path / REQUIREMENTS_FILE).write_text("mine\n")
    result = CliRunner().invoke(cli, ["init", str(tmp_path)])
    assert result.exit_code == 2 and "already exists" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [REQUIREMENTS_FILE]
    assert CliRunner().invoke(cli, ["init", str(tmp_path), "--force"]).exit_code == 0
    assert "pyspark" in (tmp_path / REQUIREMENTS_FILE).read_text()


def test_spark_jobs_on_several_glue_versions_get_the_newest_and_a_note() -> None:
    config = config_with_jobs(
        {"glue_version": "4.0"},
        {"glue_version": "6.0"},
        {"command": "pythonshell", "glue_version": "3.0"},  # no Spark: not pinned
    )
    text = local_test_requirements(config)
    assert requirements(text)[0] == GLUE_RELEASES["6.0"].pyspark
    assert "The Spark jobs use Glue 4.0, 6.0: this pins the newest." in text


def test_glue_3_0_spark_jobs_are_refused_because_etl_needs_a_newer_python() -> None:
    with pytest.raises(InputError) as raised:
        local_test_requirements(config_with_jobs({"glue_version": "3.0"}))
    message = str(raised.value)
    assert "Glue 3.0 runs Python 3.7" in message and f"Python {ETL_MIN_PYTHON}" in message
    assert "fix:" in message


def test_the_table_covers_every_glue_version_and_etls_python_floor() -> None:
    assert set(GLUE_RELEASES) == set(GLUE_VERSIONS)
    pyproject = (REPO / "pyproject.toml").read_text()
    floor = re.search(r'^requires-python = ">=([\d.]+)"$', pyproject, re.MULTILINE)
    assert floor is not None and floor[1] == ETL_MIN_PYTHON
    unsupported = [glue for glue, release in GLUE_RELEASES.items() if not release.supports_etl]
    assert unsupported == ["3.0"]


def test_nox_matrix_is_the_table_and_ci_names_real_sessions() -> None:
    matrix = load_noxfile().GLUE_MATRIX
    named = {glue: release for ids, release in matrix for glue in ids.split("/")}
    assert named == {g: r for g, r in GLUE_RELEASES.items() if r.supports_etl}
    assert len(matrix) == len(set(named.values()))  # one row per runtime
    ids = {ids for ids, _ in matrix}
    ci = (REPO / ".ci" / "run").read_text()
    used = re.findall(r"'(?:matrix|packaged)\(glue=\"([^\"]+)\"\)'", ci)
    assert used and set(used) <= ids


def test_the_catalog_imports_with_the_standard_library_alone() -> None:
    """noxfile.py imports it in nox's own interpreter, which has none of glueprint's deps."""
    code = f"import sys; sys.path.insert(0, {str(REPO)!r}); import generator.config.catalog"
    done = subprocess.run([sys.executable, "-S", "-c", code], check=False, capture_output=True)
    assert done.returncode == 0, done.stderr.decode()


def test_the_spark_extra_installs_the_default_glue_versions_pyspark() -> None:
    """`pip install 'glueprint[spark]'` gets the Spark that new jobs run on Glue, the one
    `glueprint init` pins (unpinned, it installed a pyspark no Glue version runs)."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    default = JobConfig.model_fields["glue_version"].default
    assert pyproject["project"]["optional-dependencies"]["spark"] == [
        GLUE_RELEASES[default].pyspark
    ]
