"""Config validation, good input: defaults, derived layout and endpoints (bad input: in
test_config_rules.py)."""

from __future__ import annotations

import pytest

from generator.config.loader import (
    load_config,
    load_default,
)
from tests.conftest import CONFIGS
from tests.generator.config_variants import parse, variant

# --- good input ------------------------------------------------------------------------------


def test_default_config_is_the_seed_architecture() -> None:
    loaded = load_default()
    config, layout = loaded.config, loaded.layout
    assert [c.name for c in config.connections] == ["my-s3-vpc-connection", "my-rds-vpc-connection"]
    assert [c.type for c in config.connections] == ["NETWORK", "JDBC"]
    assert config.database is not None and config.database.engine == "postgres"
    assert config.database.port == 5432
    assert [j.name for j in config.jobs] == ["my-glue-job"]
    assert layout.azs == ("eu-west-1a", "eu-west-1b")
    assert layout.job_connections["my-glue-job"][0] == "my-s3-vpc-connection"
    assert "my-rds-vpc-connection" in layout.job_connections["my-glue-job"]


def test_minimal_file_gets_secure_defaults() -> None:
    loaded = parse({"project": "tiny", "region": "us-west-2"})
    net = loaded.config.network
    assert len(loaded.layout.azs) == 2
    assert loaded.config.database is None
    assert net.vpc_cidr.is_private
    assert all(s.cidr.subnet_of(net.vpc_cidr) for s in loaded.layout.glue_subnets)


@pytest.mark.parametrize("name", sorted(p.name for p in CONFIGS.glob("*.yaml")))
def test_shipped_test_configs_are_valid(name: str) -> None:
    loaded = load_config(CONFIGS / name)
    assert loaded.config.project


def test_engine_defaults_port_and_version() -> None:
    mysql = parse(variant(("database", {"engine": "mysql"}))).config.database
    assert mysql is not None and mysql.port == 3306 and mysql.version.startswith("8.0")
    aurora = parse(variant(("database", {"engine": "aurora-postgresql", "port": 6000}))).config
    assert aurora.database is not None and aurora.database.port == 6000


def test_pythonshell_defaults_to_glue_3_and_no_workers() -> None:
    job = {"name": "shell", "script": "jobs/my_glue_job.py", "command": "pythonshell"}
    loaded = parse(variant(("jobs", [job])))
    shell = loaded.config.jobs[0]
    assert (shell.glue_version, shell.worker_type, shell.workers, shell.max_capacity) == (
        "3.0",
        None,
        None,
        0.0625,
    )
    assert shell.bookmarks is False


def test_job_without_connections_gets_every_connection() -> None:
    loaded = parse(variant(("jobs.0.connections", None)))
    assert loaded.config.job_connections(loaded.config.jobs[0]) == [
        "my-s3-vpc-connection",
        "my-rds-vpc-connection",
    ]


def test_reference_style_secret_argument_is_allowed() -> None:
    loaded = parse(variant(("jobs.0.arguments", {"--db_secret_id": "prod/reporting"})))
    assert loaded.config.jobs[0].arguments == {"--db_secret_id": "prod/reporting"}


def test_explicit_subnets_are_used_verbatim() -> None:
    loaded = parse(
        variant(
            ("network.glue_subnets", ["10.0.64.0/20", "10.0.80.0/20"]),
            ("network.database_subnets", ["10.0.1.0/24", "10.0.2.0/24"]),
        )
    )
    assert [str(s.cidr) for s in loaded.layout.glue_subnets] == ["10.0.64.0/20", "10.0.80.0/20"]
    assert [str(s.cidr) for s in loaded.layout.database_subnets] == ["10.0.1.0/24", "10.0.2.0/24"]


def test_endpoints_follow_job_features() -> None:
    quiet = variant(
        ("jobs.0.continuous_logging", False),
        ("jobs.0.metrics", False),
        ("jobs.0.connections", ["my-s3-vpc-connection"]),
    )
    assert parse(quiet).layout.endpoints == ()
    services = [e.service for e in parse(variant()).layout.endpoints]
    assert services == ["glue", "logs", "monitoring", "secretsmanager"]


def test_bookmarks_are_off_by_default_and_bring_their_endpoints_when_on() -> None:
    """etl jobs read incrementally with watermarks: bookmarks would only add Glue and KMS
    endpoints (a cost per AZ). Turned on, they bring both back."""
    quiet = (("jobs.0.continuous_logging", False), ("jobs.0.metrics", False))
    s3_only = ("jobs.0.connections", ["my-s3-vpc-connection"])
    off = parse(variant(*quiet, s3_only))
    assert off.config.jobs[0].bookmarks is False and off.layout.endpoints == ()
    on = parse(variant(*quiet, s3_only, ("jobs.0.bookmarks", True))).layout.endpoints
    assert [(e.service, e.reasons) for e in on] == [
        ("glue", ("my-glue-job: job bookmarks",)),
        ("kms", ("my-glue-job: bookmarks are CSE-KMS encrypted",)),
    ]


def test_connection_names_follow_glues_own_rule() -> None:
    """Spaces and other printable characters Glue accepts are accepted, up to 255 characters."""
    names = ["my rds connection", "Zürich: orders, v2 (prod)", "c" * 251]
    connections = [{"name": name, "type": "NETWORK", "per_az": False} for name in names]
    loaded = parse(variant(("connections", connections), ("jobs.0.connections", names[:1])))
    assert [c.name for c in loaded.layout.connections] == names
    assert loaded.layout.job_connections["my-glue-job"] == ("my rds connection",)


def test_explicit_endpoint_list_warns_about_a_needed_one() -> None:
    loaded = parse(variant(("network.interface_endpoints", ["glue", "logs"])))
    assert [e.service for e in loaded.layout.endpoints] == ["glue", "logs"]
    assert any("secretsmanager" in w for w in loaded.layout.warnings)
