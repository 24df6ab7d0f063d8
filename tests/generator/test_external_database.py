"""Databases the stack does not own: the config shape, what the stack renders for them, and
`verify` proving that Glue's egress reaches exactly the declared destinations.

The config and rendering tests read the parsed model and the rendered text. The verify tests
plan, for real against the local emulator, one stack holding both its own database and
external ones; each mutation then widens one egress rule (or its declaration) in the plan JSON
the way a hand edit would, and asserts the egress check fails and names the culprit.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from generator.cli.main import cli
from generator.config.errors import ConfigError
from generator.config.external import external_egress
from generator.config.loader import LoadedConfig, load_config, parse_text
from generator.rendering.render import render
from generator.rendering.writer import write_tree
from generator.terraform.emulator import Emulator
from generator.terraform.plan import Plan
from generator.terraform.runner import Terraform, TerraformError
from generator.terraform.topology import external_database_cidrs
from generator.terraform.verify import Verifier
from tests.conftest import CONFIGS
from tests.conftest import Terraform as TerraformFixture
from tests.generator.plan_json import resource, resources

CONFIG = CONFIGS / "external-database.yaml"
SECRET = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:warehouse/glue-AbC123"
CHECK = "glue-sg-egress-declared"


def config_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(CONFIG.read_text())
    return data


def load(data: dict[str, Any]) -> LoadedConfig:
    """A config next to the test configs (their job scripts resolve)."""
    return parse_text(yaml.safe_dump(data), CONFIGS, "glueprint.yaml")


def external(**fields: Any) -> dict[str, Any]:
    """A one-connection config whose external database has `fields` over a valid base."""
    base = {
        "engine": "postgres",
        "host": "db.example.internal",
        "database": "analytics",
        "secret_arn": SECRET,
        "cidr": "10.20.0.0/24",
    }
    base.update(fields)
    return {
        "project": "ext-db",
        "region": "eu-west-1",
        "connections": [
            {"name": "db", "type": "JDBC", "external": {k: v for k, v in base.items() if v}}
        ],
    }


# --- the config -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("engine", "url"),
    [
        ("postgres", "jdbc:postgresql://db.example.internal:5432/analytics"),
        ("aurora-postgresql", "jdbc:postgresql://db.example.internal:5432/analytics"),
        ("mysql", "jdbc:mysql://db.example.internal:3306/analytics"),
        ("aurora-mysql", "jdbc:mysql://db.example.internal:3306/analytics"),
        ("mariadb", "jdbc:mysql://db.example.internal:3306/analytics"),
        ("redshift", "jdbc:redshift://db.example.internal:5439/analytics"),
        ("sqlserver", "jdbc:sqlserver://db.example.internal:1433;databaseName=analytics"),
        ("oracle", "jdbc:oracle:thin:@//db.example.internal:1521/analytics"),
    ],
)
def test_jdbc_url_per_engine_with_its_default_port(engine: str, url: str) -> None:
    (conn,) = load(external(engine=engine)).config.connections
    assert conn.external is not None and conn.external.jdbc_url == url


def test_an_explicit_port_is_the_urls_and_the_egress_rules() -> None:
    (conn,) = load(external(port=6543)).config.connections
    assert conn.external is not None
    assert conn.external.jdbc_url == "jdbc:postgresql://db.example.internal:6543/analytics"
    assert list(external_egress([conn.external])) == ["10.20.0.0/24:6543"]


def test_one_egress_rule_per_destination_and_port() -> None:
    """Two connections to one server share a rule (AWS refuses duplicates); another port or
    destination gets its own."""
    data = config_data()
    databases = [c.external for c in load(data).config.connections if c.external]
    rules = external_egress(databases)
    assert sorted(rules) == ["10.20.0.0/24:5432", "sg-0123456789abcdef0:3306"]
    shared = rules["10.20.0.0/24:5432"]
    assert (shared.port, shared.cidr, shared.security_group_id) == (5432, "10.20.0.0/24", None)
    assert shared.description == "JDBC to warehouse.cluster-abc123.eu-west-1.rds.amazonaws.com"
    by_group = rules["sg-0123456789abcdef0:3306"]
    assert (by_group.cidr, by_group.security_group_id) == (None, "sg-0123456789abcdef0")


@pytest.mark.parametrize(
    ("fields", "path", "words"),
    [
        ({"engine": "db2"}, "connections[0].external.engine", "Input should be"),
        ({"host": "jdbc:postgresql://db"}, "connections[0].external.host", "match pattern"),
        ({"database": "app;ssl=false"}, "connections[0].external.database", "match pattern"),
        ({"port": 80}, "connections[0].external.port", "greater than or equal to 1024"),
        ({"security_group_id": "sg-12", "cidr": None}, "connections[0].external", "pattern"),
        ({"cidr": "172.16.0.0/12"}, "connections[0].external.cidr", "wider than /16"),
        ({"cidr": "8.8.8.0/24"}, "connections[0].external.cidr", "not a private range"),
        (
            {"kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/abcd-1234"},
            "connections[0].external.kms_key_arn",
            "a key of its own region",
        ),
    ],
)
def test_bad_external_database_names_the_field(
    fields: dict[str, Any], path: str, words: str
) -> None:
    with pytest.raises(ConfigError) as info:
        load(external(**fields))
    assert any(p.path.startswith(path) and words in p.message for p in info.value.problems), [
        str(p) for p in info.value.problems
    ]


def test_a_password_in_the_config_is_refused_without_echoing_it(tmp_path: Path) -> None:
    bad = CONFIGS / "bad" / "60-external-database-password.yaml"
    result = CliRunner().invoke(cli, ["generate", "--config", str(bad), "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "Secrets Manager" in result.stderr and "hunter2" not in result.output + result.stderr


# --- what the stack renders -------------------------------------------------------------------


def test_only_what_the_external_databases_need_is_rendered() -> None:
    rendered = render(load_config(CONFIG))
    files = {k: v for k, v in rendered.files.items() if isinstance(v, str)}
    assert "database" not in rendered.modules  # no `database:`, no RDS
    root, glue, security = files["main.tf"], files["glue/main.tf"], files["security/main.tf"]
    assert root.count('"10.20.0.0/24:5432" = {') == 1  # two connections, one rule
    assert '"sg-0123456789abcdef0:3306" = {' in root
    assert 'resource "aws_vpc_security_group_egress_rule" "glue_to_external_databases"' in security
    assert 'sid       = "ReadExternalDatabaseSecrets"' in glue
    assert (
        "resources = distinct(compact([for db in values(var.external_databases) : db.kms_key_arn]))"
        in glue
    )
    assert 'variable = "kms:ViaService"' in glue
    assert 'values   = ["secretsmanager.${var.region}.amazonaws.com"]' in glue
    assert "var.database" not in glue
    assert "secretsmanager" in [e.service for e in load_config(CONFIG).layout.endpoints]
    assert not any("PASSWORD" in text for text in files.values())


def test_no_kms_grant_without_a_customer_managed_key() -> None:
    glue = render(load(external())).files["glue/main.tf"]
    assert isinstance(glue, str)
    assert "ReadExternalDatabaseSecrets" in glue
    assert "kms:ViaService" not in glue and "DecryptExternalDatabaseSecrets" not in glue


# --- the planned stack and verify -------------------------------------------------------------


def mixed() -> dict[str, Any]:
    """The test config plus the stack's own PostgreSQL and a connection to it."""
    data = config_data()
    data["database"] = {"engine": "postgres"}
    data["connections"].append({"name": "platform-db", "type": "JDBC"})
    data["jobs"][0]["connections"].append("platform-db")
    return data


def plan_of(loaded: LoadedConfig, stack: Path) -> dict[str, Any]:
    """`terraform show -json` of the stack rendered into `stack`, planned against the
    emulator."""
    write_tree(stack, render(loaded).files)
    with Emulator() as emulator, tempfile.TemporaryDirectory() as tmp:
        runner = Terraform(emulator.scratch_copy(stack, Path(tmp) / "scratch"))
        runner.init()
        runner.plan("tfplan")
        return runner.show_plan("tfplan")


@pytest.fixture(scope="module")
def mixed_stack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("mixed") / "stack"


@pytest.fixture(scope="module")
def planned(terraform: TerraformFixture, mixed_stack: Path) -> dict[str, Any]:
    return plan_of(load(mixed()), mixed_stack)


def results(data: dict[str, Any], stack: Path) -> dict[str, list[str]]:
    """Failures by check; `stack` holds the source of the values unknown until apply."""
    return {r.check.id: r.failures for r in Verifier(Plan(data), stack).run()}


RULE = "module.security.aws_vpc_security_group_egress_rule."
BY_CIDR = RULE + 'glue_to_external_databases["10.20.0.0/24:5432"]'
BY_GROUP = RULE + 'glue_to_external_databases["sg-0123456789abcdef0:3306"]'


def declaration(data: dict[str, Any]) -> dict[str, Any]:
    """The root module's `external_databases` input to module.security."""
    calls = data["configuration"]["root_module"]["module_calls"]
    found: dict[str, Any] = calls["security"]["expressions"]["external_databases"]
    return found


@pytest.mark.terraform
@pytest.mark.emulator
@pytest.mark.xdist_group("external-database")
def test_the_mixed_stack_is_fmt_clean_and_verifies(
    planned: dict[str, Any], terraform: TerraformFixture, mixed_stack: Path
) -> None:
    fmt = terraform.run(mixed_stack, "fmt", "-check", "-recursive", "-diff", check=False)
    assert fmt.returncode == 0, fmt.stdout
    failed = {check: f for check, f in results(planned, mixed_stack).items() if f}
    assert failed == {}
    egress = {r["address"] for r in resources(planned) if r["type"].endswith("egress_rule")}
    assert {BY_CIDR, BY_GROUP, RULE + "glue_to_database"} <= egress


@pytest.mark.terraform
@pytest.mark.emulator
@pytest.mark.xdist_group("external-database")
def test_topology_expects_routes_to_the_ranges_of_external_databases(
    planned: dict[str, Any],
) -> None:
    """Only a database reached by range needs a route; the stack's own database is inside."""
    assert external_database_cidrs(Plan(planned)) == {"10.20.0.0/24"}


@pytest.mark.terraform
@pytest.mark.emulator
@pytest.mark.xdist_group("external-database")
def test_external_connections_name_their_secret_and_enforce_tls(planned: dict[str, Any]) -> None:
    conn = resource(planned, 'module.glue.aws_glue_connection.this["warehouse-az2"]')
    assert conn["values"]["connection_properties"] == {
        "JDBC_CONNECTION_URL": "jdbc:postgresql://"
        "warehouse.cluster-abc123.eu-west-1.rds.amazonaws.com:5432/analytics",
        "SECRET_ID": SECRET,
        "JDBC_ENFORCE_SSL": "true",
    }
    own = resource(planned, 'module.glue.aws_glue_connection.this["platform-db"]')
    assert "connection_properties" not in own["values"]  # the RDS address is known at apply


def widen(address: str, **values: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        resource(data, address)["values"].update(values)

    return edit


def add_rule(**values: Any) -> Callable[[dict[str, Any]], None]:
    """A copy of the CIDR rule under a new key, with `values` changed."""

    def edit(data: dict[str, Any]) -> None:
        added = copy.deepcopy(resource(data, BY_CIDR))
        added["address"] = BY_CIDR.replace("10.20.0.0/24:5432", "extra")
        added["index"] = "extra"
        added["values"].update(values)
        (module,) = [
            m
            for m in data["planned_values"]["root_module"]["child_modules"]
            if m["address"] == "module.security"
        ]
        module["resources"].append(added)

    return edit


def declare(key: str, **entry: Any) -> Callable[[dict[str, Any]], None]:
    """Change the declaration of `key` (the rule under the same key follows it)."""

    def edit(data: dict[str, Any]) -> None:
        declared = declaration(data)["constant_value"][key]
        declared.update(entry)
        rule = resource(data, BY_CIDR if key.startswith("10.") else BY_GROUP)["values"]
        rule.update({"cidr_ipv4": declared["cidr"], "from_port": declared["port"]})
        rule.update({"to_port": declared["port"]})

    return edit


def not_literal(data: dict[str, Any]) -> None:
    declaration(data).clear()
    declaration(data)["references"] = ["local.external_databases"]


MUTATIONS: dict[str, tuple[Callable[[dict[str, Any]], None], str]] = {
    "external CIDR widened": (widen(BY_CIDR, cidr_ipv4="10.0.0.0/8"), BY_CIDR),
    "external CIDR to the world": (widen(BY_CIDR, cidr_ipv4="0.0.0.0/0"), BY_CIDR),
    "external port range": (widen(BY_CIDR, from_port=0, to_port=65535), BY_CIDR),
    "external to all protocols": (widen(BY_CIDR, ip_protocol="-1"), BY_CIDR),
    "external on another port": (widen(BY_CIDR, from_port=22, to_port=22), BY_CIDR),
    "external security group swapped": (
        widen(BY_GROUP, referenced_security_group_id="sg-0fedcba9876543210"),
        BY_GROUP,
    ),
    "undeclared CIDR added": (add_rule(cidr_ipv4="10.99.0.0/24"), "extra"),
    "own database port range": (
        widen(RULE + "glue_to_database", from_port=0, to_port=65535),
        RULE + "glue_to_database",
    ),
    "endpoints port range": (
        widen(RULE + "glue_to_endpoints", from_port=0, to_port=65535),
        RULE + "glue_to_endpoints",
    ),
    "S3 on another port": (widen(RULE + "glue_to_s3", from_port=80, to_port=80), "glue_to_s3"),
    "declared to the world": (declare("10.20.0.0/24:5432", cidr="0.0.0.0/0"), "0.0.0.0/0"),
    "declared wider than /16": (declare("10.20.0.0/24:5432", cidr="10.0.0.0/12"), "/16"),
    "declared port no connection uses": (
        declare("10.20.0.0/24:5432", port=22),
        "port 22 is the port of no JDBC connection",
    ),
    "declaration not literal": (not_literal, "cannot be proven"),
}


@pytest.mark.terraform
@pytest.mark.emulator
@pytest.mark.xdist_group("external-database")
@pytest.mark.parametrize("mutation", sorted(MUTATIONS))
def test_verify_refuses_egress_beyond_the_declared_databases(
    mutation: str, planned: dict[str, Any], mixed_stack: Path
) -> None:
    mutate, culprit = MUTATIONS[mutation]
    changed = copy.deepcopy(planned)
    mutate(changed)
    failures = results(changed, mixed_stack)[CHECK]
    assert any(culprit in failure for failure in failures), failures


@pytest.mark.terraform
@pytest.mark.emulator
def test_a_secret_of_another_account_fails_the_plan(
    terraform: TerraformFixture, tmp_path: Path
) -> None:
    """The Secrets Manager endpoint admits only this account's secrets: the plan says so."""
    data = config_data()
    foreign = SECRET.replace("123456789012", "210987654321")
    data["connections"][0]["external"]["secret_arn"] = foreign
    with pytest.raises(TerraformError, match="must name a secret of this stack's account"):
        plan_of(load(data), tmp_path / "stack")
