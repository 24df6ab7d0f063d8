"""Config validation, bad input: every rule rejects with the field's path and a fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.config import job_rules
from generator.config.catalog import WorkerType
from generator.config.errors import ConfigError
from generator.config.loader import default_config_dir, load_config, parse_text
from tests.conftest import CONFIGS
from tests.generator.config_variants import BASE, assert_rejected, parse, problems, variant

# --- bad input: one case per rule -------------------------------------------------------------

BAD: list[tuple[str, dict[str, Any], str, str]] = [
    ("unknown top-level key", variant(("netwrok", {})), "netwrok", "unknown key"),
    ("wrong type", variant(("jobs.0.workers", "two")), "jobs[0].workers", "integer"),
    ("one AZ by count", variant(("network.az_count", 1)), "network.az_count", "greater than"),
    (
        "one AZ by list",
        variant(("network.az_count", None), ("network.azs", ["eu-west-1a"])),
        "network.azs",
        "needs two",
    ),
    (
        "AZ outside region",
        variant(("network.azs", ["eu-west-1a", "us-east-1b"])),
        "network.azs[1]",
        "not in region",
    ),
    (
        "duplicate AZ",
        variant(("network.azs", ["eu-west-1a", "eu-west-1a"])),
        "network.azs",
        "listed 2 times",
    ),
    (
        "subnet outside VPC",
        variant(("network.glue_subnets", ["10.0.0.0/20", "10.9.0.0/20"])),
        "network.glue_subnets[1]",
        "outside the VPC",
    ),
    (
        "overlapping subnets",
        variant(("network.glue_subnets", ["10.0.0.0/20", "10.0.8.0/22"])),
        "network.glue_subnets[1]",
        "overlaps",
    ),
    (
        "subnet count",
        variant(("network.glue_subnets", ["10.0.0.0/20"])),
        "network.glue_subnets",
        "1 subnets for 2 AZs",
    ),
    (
        "VPC too small",
        variant(("network.vpc_cidr", "10.0.0.0/20")),
        "network.glue_subnet_prefix",
        "do not fit",
    ),
    (
        "public VPC range",
        variant(("network.vpc_cidr", "8.8.0.0/16")),
        "network.vpc_cidr",
        "not a private",
    ),
    (
        "unknown engine",
        variant(("database.engine", "oracle")),
        "database.engine",
        "Input should be",
    ),
    (
        "aurora-mysql version",
        variant(("database.engine", "aurora-mysql"), ("database.version", "8.0.36")),
        "database.version",
        "not an Aurora MySQL version",
    ),
    (
        "storage ceiling",
        variant(("database.allocated_storage_gb", 100), ("database.max_allocated_storage_gb", 50)),
        "database.max_allocated_storage_gb",
        "below allocated_storage_gb",
    ),
    (
        "default admin name",
        variant(("database.master_username", "admin")),
        "database.master_username",
        "reserved",
    ),
    ("port out of range", variant(("database.port", 80)), "database.port", "greater than"),
    ("JDBC without database", variant(("database", None)), "connections[1].type", "no database"),
    (
        "missing connection",
        variant(("jobs.0.connections", ["nope"])),
        "jobs[0].connections[0]",
        "not defined",
    ),
    (
        "no connection at all",
        variant(("connections", []), ("jobs.0.connections", None)),
        "jobs[0].connections",
        "outside the VPC",
    ),
    (
        "duplicate connection",
        variant(("connections.1.name", "my-s3-vpc-connection")),
        "connections[1].name",
        "defined 2 times",
    ),
    (
        "per-AZ name clash",
        variant(("connections.1.name", "my-s3-vpc-connection-az2")),
        "connections[1].name",
        "clashes",
    ),
    (
        "duplicate job",
        variant(("jobs", [BASE["jobs"][0], BASE["jobs"][0]])),
        "jobs[1].name",
        "defined 2 times",
    ),
    ("bad job name", variant(("jobs.0.name", "my job!")), "jobs[0].name", "pattern"),
    (
        "missing script",
        variant(("jobs.0.script", "jobs/none.py")),
        "jobs[0].script",
        "does not exist",
    ),
    ("script not python", variant(("jobs.0.script", "jobs/x.sh")), "jobs[0].script", "not a .py"),
    (
        "EOL Glue version",
        variant(("jobs.0.glue_version", "2.0")),
        "jobs[0].glue_version",
        "Input should be",
    ),
    (
        "unknown worker",
        variant(("jobs.0.worker_type", "G.3X")),
        "jobs[0].worker_type",
        "unknown worker type",
    ),
    (
        "provider rejects R.2X",
        variant(("jobs.0.worker_type", "R.2X")),
        "jobs[0].worker_type",
        "unknown worker type",
    ),
    (
        "worker x command",
        variant(("jobs.0.worker_type", "G.025X")),
        "jobs[0].worker_type",
        "does not run glueetl",
    ),
    ("one worker", variant(("jobs.0.workers", 1)), "jobs[0].workers", "at least 2"),
    (
        "FLEX on G.4X",
        variant(("jobs.0.execution_class", "FLEX"), ("jobs.0.worker_type", "G.4X")),
        "jobs[0].execution_class",
        "FLEX runs only",
    ),
    (
        "FLEX on streaming",
        variant(("jobs.0.command", "gluestreaming"), ("jobs.0.execution_class", "FLEX")),
        "jobs[0].execution_class",
        "only for glueetl",
    ),
    (
        "streaming bookmarks",
        variant(("jobs.0.command", "gluestreaming"), ("jobs.0.bookmarks", True)),
        "jobs[0].bookmarks",
        "checkpoints",
    ),
    (
        "pythonshell worker",
        variant(("jobs.0.command", "pythonshell"), ("jobs.0.worker_type", "G.1X")),
        "jobs[0].worker_type",
        "Python shell jobs take no workers",
    ),
    (
        "pythonshell version",
        variant(("jobs.0.command", "pythonshell"), ("jobs.0.glue_version", "5.0")),
        "jobs[0].glue_version",
        "only on Glue 3.0",
    ),
    (
        "max_capacity on spark",
        variant(("jobs.0.max_capacity", 1.0)),
        "jobs[0].max_capacity",
        "Python shell",
    ),
    (
        "secret argument name",
        variant(("jobs.0.arguments", {"--db_password": "hunter2"})),
        "jobs[0].arguments.--db_password",
        "suggests a secret",
    ),
    (
        "access key value",
        variant(("jobs.0.arguments", {"--source": "AKIAABCDEFGHIJKLMNOP"})),
        "jobs[0].arguments.--source",
        "AWS access key",
    ),
    (
        "password in URL",
        variant(("jobs.0.arguments", {"--url": "jdbc:x://h/db?password=s3cret"})),
        "jobs[0].arguments.--url",
        "password parameter",
    ),
    (
        "reserved argument",
        variant(("jobs.0.arguments", {"--TempDir": "s3://x/"})),
        "jobs[0].arguments.--TempDir",
        "set by glueprint",
    ),
    (
        "bad bucket name",
        variant(("storage", {"data_bucket": "My_Bucket"})),
        "storage.data_bucket",
        "pattern",
    ),
    (
        "reserved bucket suffix",
        variant(("storage", {"data_bucket": "lake-s3alias"})),
        "storage.data_bucket",
        "reserves",
    ),
    (
        "same bucket twice",
        variant(("storage", {"data_bucket": "lake-one", "temp_bucket": "lake-one"})),
        "storage",
        "2 purposes",
    ),
    ("aws: tag", variant(("tags", {"aws:owner": "x"})), "tags.aws:owner", "reserved"),
    ("Project tag", variant(("tags", {"Project": "x"})), "tags.Project", "set by glueprint"),
    ("bad project name", variant(("project", "My Project")), "project", "pattern"),
    ("bad region", variant(("region", "europe")), "region", "pattern"),
    (
        "bad retention",
        variant(("log_retention_days", 100)),
        "log_retention_days",
        "Input should be",
    ),
    ("missing region", variant(("region", None)), "region", "required"),
]


@pytest.mark.parametrize(("case", "data", "path", "words"), BAD, ids=[b[0] for b in BAD])
def test_bad_config_is_rejected_with_path_and_fix(
    case: str, data: dict[str, Any], path: str, words: str
) -> None:
    assert_rejected(data, path, words)


def test_worker_type_needs_its_minimum_glue_version(monkeypatch: pytest.MonkeyPatch) -> None:
    # Every worker type the provider accepts today runs on Glue >= 3.0; the rule guards the next.
    monkeypatch.setitem(job_rules.WORKER_TYPES, "G.16X", WorkerType("G.16X", ("glueetl",), "6.0"))
    assert_rejected(
        variant(("jobs.0.worker_type", "G.16X"), ("jobs.0.glue_version", "5.1")),
        "jobs[0].worker_type",
        "needs Glue 6.0",
    )
    assert parse(variant(("jobs.0.worker_type", "G.16X"), ("jobs.0.glue_version", "6.0")))


def test_unknown_key_suggests_the_closest_field() -> None:
    found = problems(variant(("jobs.0.worker_typ", "G.1X")))
    assert found[0][0] == "jobs[0].worker_typ"
    assert "did you mean 'worker_type'" in found[0][2]


def test_yaml_syntax_error_names_line_and_column() -> None:
    with pytest.raises(ConfigError) as info:
        parse_text("project: x\nregion: [eu-west-1\n", default_config_dir(), "glueprint.yaml")
    problem = info.value.problems[0]
    assert problem.path.startswith("glueprint.yaml:")
    assert "invalid YAML" in problem.message


def test_duplicate_yaml_key_is_an_error() -> None:
    with pytest.raises(ConfigError) as info:
        parse_text("project: x\nproject: y\nregion: eu-west-1\n", default_config_dir(), "c.yaml")
    assert "duplicate key 'project'" in info.value.problems[0].message


def test_non_mapping_document_is_an_error() -> None:
    with pytest.raises(ConfigError) as info:
        parse_text("- a\n- b\n", default_config_dir(), "c.yaml")
    assert "mapping" in info.value.problems[0].message


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(tmp_path / "absent.yaml")
    assert "not found" in info.value.problems[0].message


def test_all_problems_are_reported_at_once() -> None:
    found = problems(variant(("jobs.0.workers", 1), ("jobs.0.connections", ["nope"])))
    assert {p for p, _, _ in found} >= {"jobs[0].workers", "jobs[0].connections[0]"}


def test_concurrent_runs_of_an_incremental_job_need_the_opt_in() -> None:
    job = {"name": "load", "script": "jobs/incremental.py", "max_concurrent_runs": 3}
    data = variant(("jobs", [job]))
    with pytest.raises(ConfigError) as info:
        parse(data, CONFIGS)
    found = [(p.path, p.message) for p in info.value.problems]
    assert found == [
        (
            "jobs[0].max_concurrent_runs",
            "3 concurrent runs, but jobs/incremental.py reads incrementally (line 7): "
            "overlapping runs would race for one watermark (the second stops on the job's lease)",
        )
    ]
    assert parse(variant(("jobs", [{**job, "concurrent_incremental_runs": True}])), CONFIGS)
    assert parse(variant(("jobs", [{**job, "max_concurrent_runs": 1}])), CONFIGS)
