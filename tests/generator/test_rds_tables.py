"""The RDS and Aurora tables (generator.config.rds_catalog) hold for every engine: each major
version they list loads and names a parameter group family of the right form, each instance
class family is accepted where AWS offers it and refused where it does not, and the parameter
group the stack renders sets exactly the tabled parameters, each to a value AWS accepts, with
every exported log's parameter on."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from generator.config.catalog import ENGINES
from generator.config.errors import ConfigError
from generator.config.loader import LoadedConfig, parse_text
from generator.config.rds_catalog import (
    AURORA_BURSTABLE_SIZES,
    AURORA_INSTANCE_FAMILIES,
    DB_PARAMETERS,
    MAJOR_VERSIONS,
    RDS_INSTANCE_FAMILIES,
)
from generator.rendering.render import render
from tests.conftest import CONFIGS

FAMILY_FORMS = {
    "postgres": r"postgres\d+",
    "mysql": r"mysql\d+\.\d+",
    "aurora-postgresql": r"aurora-postgresql\d+",
    "aurora-mysql": r"aurora-mysql\d+\.\d+",
}
"""Parameter group family names as `aws rds describe-db-engine-versions` gives them."""

LOG_PARAMETERS = {"general": "general_log", "slowquery": "slow_query_log"}
"""The parameter without which MySQL writes nothing to an exported log (RDS user guide,
USER_LogAccess.MySQLDB.PublishtoCloudWatchLogs): its log group would stay empty."""


def load(**database: Any) -> LoadedConfig:
    data = {
        "project": "tables",
        "region": "eu-west-1",
        "network": {"vpc_cidr": "10.0.0.0/16"},
        "database": database,
    }
    return parse_text(yaml.safe_dump(data), CONFIGS, "glueprint.yaml")


def problems(**database: Any) -> list[str]:
    try:
        load(**database)
    except ConfigError as exc:
        return [str(p) for p in exc.problems]
    return []


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_every_tabled_major_version_loads_with_a_real_parameter_group_family(engine: str) -> None:
    assert ENGINES[engine].default_version in MAJOR_VERSIONS[engine]
    for version in MAJOR_VERSIONS[engine]:
        loaded = load(engine=engine, version=version)
        assert loaded.config.database is not None
        family = ENGINES[engine].parameter_group_family(version)
        assert re.fullmatch(FAMILY_FORMS[engine], family), family


@pytest.mark.parametrize(
    ("engine", "version"),
    [
        ("postgres", "8.0"),  # a MySQL version on PostgreSQL
        ("postgres", "10"),  # retired
        ("aurora-postgresql", "9"),
        ("mysql", "16.1"),  # a PostgreSQL version on MySQL
        ("mysql", "5.6"),
        ("aurora-mysql", "8.0.mysql_aurora.9"),
    ],
)
def test_a_major_version_the_engine_lacks_is_refused_with_the_valid_ones(
    engine: str, version: str
) -> None:
    [problem] = problems(engine=engine, version=version)
    assert problem.startswith(f"database.version: {version!r} is not a {engine} major version")
    assert f"(valid: {', '.join(MAJOR_VERSIONS[engine])})" in problem
    assert "fix: set database.version to one of" in problem


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_instance_class_families_follow_the_engine_kind(engine: str) -> None:
    aurora = ENGINES[engine].aurora
    offered = AURORA_INSTANCE_FAMILIES if aurora else RDS_INSTANCE_FAMILIES
    for family in sorted(set(RDS_INSTANCE_FAMILIES) | set(AURORA_INSTANCE_FAMILIES)):
        found = problems(engine=engine, instance_class=f"db.{family}.large")
        if family in offered:
            assert found == [], (family, found)
        else:
            [problem] = found
            assert problem.startswith(
                f"database.instance_class: db.{family}.large is not an instance class "
                f"{engine} runs on"
            )


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_burstable_sizes_aurora_lacks_are_refused_and_rds_takes(engine: str) -> None:
    for size in ("micro", "small", "medium", "large", "xlarge"):
        found = problems(engine=engine, instance_class=f"db.t4g.{size}")
        refused = ENGINES[engine].aurora and size not in AURORA_BURSTABLE_SIZES
        assert bool(found) == refused, (size, found)
        if refused:
            assert "Aurora runs burstable db.t4g classes only in size medium or large" in found[0]


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_the_stack_sets_only_values_aws_accepts(engine: str) -> None:
    names = [p.name for p in DB_PARAMETERS[engine]]
    assert len(names) == len(set(names))
    for parameter in DB_PARAMETERS[engine]:
        assert parameter.accepts(parameter.value), parameter


def test_tls_is_1_on_rds_mysql_and_on_on_aurora_mysql() -> None:
    """The issue's question: RDS for MySQL's require_secure_transport is a 0/1 boolean, Aurora
    MySQL's takes ON/OFF; neither table accepts the other's spelling."""
    [rds] = [p for p in DB_PARAMETERS["mysql"] if p.name == "require_secure_transport"]
    [aurora] = [p for p in DB_PARAMETERS["aurora-mysql"] if p.name == "require_secure_transport"]
    assert (rds.value, aurora.value) == ("1", "ON")
    assert not rds.accepts("ON") and not aurora.accepts("1")


@pytest.mark.parametrize("engine", ["mysql", "aurora-mysql"])
def test_every_exported_mysql_log_is_written_to_a_file(engine: str) -> None:
    values = {p.name: p.value for p in DB_PARAMETERS[engine]}
    for log in ENGINES[engine].log_exports:
        if log in LOG_PARAMETERS:
            assert values.get(LOG_PARAMETERS[log]) == "1", log
    assert values["log_output"] == "FILE"
    if "audit" in ENGINES[engine].log_exports:
        assert values["server_audit_logging"] == "1"


@pytest.mark.parametrize(
    "name", ["minimal.yaml", "mysql.yaml", "aurora-postgresql.yaml", "aurora-mysql-3az.yaml"]
)
def test_rendered_parameter_group_sets_exactly_the_tabled_parameters(name: str) -> None:
    loaded = parse_text((CONFIGS / name).read_text(), CONFIGS, name)
    engine = "postgres" if loaded.config.database is None else loaded.config.database.engine
    if loaded.config.database is None:
        loaded = load()
    database = render(loaded).files["database/main.tf"]
    group = database[: database.index("lifecycle {")]

    rendered = re.findall(r'parameter \{\s*name\s*=\s*"([^"]+)"\s*value\s*=\s*"([^"]+)"', group)

    assert rendered == [(p.name, p.value) for p in DB_PARAMETERS[engine]]
