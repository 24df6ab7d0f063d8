"""The Glue database user's bootstrap, run for real: PostgreSQL and MariaDB (the MySQL stand-in).

Each test gets a fresh database with a `sales` schema the jobs read, an `hr` schema they must
not, and a master user that, like RDS's, is not a superuser (PostgreSQL: CREATEROLE and owner
of the database and its schemas). The bootstrap connects as that master; the checks connect as
the Glue user with the password from its "secret".
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pg8000.dbapi
import pytest
from click.testing import CliRunner
from moto.server import ThreadedMotoServer

from generator.cli.main import cli
from generator.config.loader import load_config
from generator.database.bootstrap import (
    BootstrapError,
    Credentials,
    bootstrap,
    connect,
    credentials_from_secret,
)
from generator.database.bootstrap_sql import Family, GlueUserGrants, quote_identifier
from generator.rendering.render import render
from generator.rendering.writer import write_tree
from generator.shipping import aws
from tests.conftest import CONFIGS, Terraform
from tests.etl import throwaway_mariadb, throwaway_postgres, tls_certs
from tests.generator.test_iam_parliament import planned_changes

PASSWORD = "Glue-user's \\ password 1"
"""A quote and a backslash: the literal quoting is exercised on every run."""


@dataclass
class Database:
    """One fresh database and the means to act on it as its master, or as anyone."""

    family: Family
    host: str
    port: int
    name: str
    master: Credentials
    glue_user: str

    def login(self, credentials: Credentials) -> Any:
        return connect(
            self.family,
            host=self.host,
            port=self.port,
            database=self.name,
            credentials=credentials,
            ssl_context=None,
        )

    def bootstrap(self, password: str = PASSWORD, **grants: Any) -> tuple[bool, tuple[str, ...]]:
        grants.setdefault("read_schemas", ("sales",))
        connection = self.login(self.master)
        try:
            outcome = bootstrap(
                connection,
                self.family,
                GlueUserGrants(self.name, self.glue_user, **grants),
                password,
            )
        finally:
            connection.close()
        return outcome.created, outcome.statements

    def as_glue(self, sql: str, password: str = PASSWORD) -> list[tuple[Any, ...]]:
        """Run `sql` as the Glue user; returns its rows, raises the server's error."""
        return self._run(Credentials(self.glue_user, password), sql)

    def as_master(self, sql: str) -> list[tuple[Any, ...]]:
        return self._run(self.master, sql)

    def _run(self, credentials: Credentials, sql: str) -> list[tuple[Any, ...]]:
        connection = self.login(credentials)
        try:
            cursor = connection.cursor()
            cursor.execute(sql)
            rows = [tuple(r) for r in cursor.fetchall()] if cursor.description else []
            connection.commit()
            return rows
        finally:
            connection.close()

    def table(self, schema: str, table: str) -> str:
        return f"{quote_identifier(self.family, schema)}.{quote_identifier(self.family, table)}"


def _denied(database: Database, sql: str) -> str:
    with pytest.raises(Exception) as caught:
        database.as_glue(sql)
    message = str(caught.value).lower()
    assert "denied" in message or "42501" in message, message
    return message


# ------------------------------------------------------------------ servers and databases


@pytest.fixture(scope="module")
def authority() -> tls_certs.Authority:
    return tls_certs.authority("glueprint bootstrap test CA")


@pytest.fixture(scope="module")
def postgres(authority: tls_certs.Authority) -> Iterator[throwaway_postgres.ThrowawayPostgres]:
    """A server of this module's own (the DDL-logging test reads its log file), offering TLS
    with a certificate for 127.0.0.1 from `authority`, as RDS does with its CA."""
    certificate = authority.issue(["127.0.0.1"])
    server = throwaway_postgres.start(tls=(certificate.cert_pem, certificate.key_pem))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def mariadb() -> Iterator[throwaway_mariadb.ThrowawayMariaDb]:
    server = throwaway_mariadb.start()
    yield server
    server.stop()


def _admin_postgres(server: throwaway_postgres.ThrowawayPostgres) -> Any:
    connection = pg8000.dbapi.connect(
        user=throwaway_postgres.USER,
        password=server.password,
        host="127.0.0.1",
        port=server.port,
        database="postgres",
    )
    connection.autocommit = True
    return connection


@pytest.fixture
def pg_database(postgres: throwaway_postgres.ThrowawayPostgres) -> Iterator[Database]:
    tag = uuid.uuid4().hex[:10]
    name, master = f"app_{tag}", Credentials(f"master_{tag}", f"master-{tag}")
    admin = _admin_postgres(postgres)
    cursor = admin.cursor()
    cursor.execute(f"CREATE ROLE {master.username} LOGIN CREATEROLE PASSWORD '{master.password}'")
    cursor.execute(f"CREATE DATABASE {name} OWNER {master.username}")
    database = Database("postgresql", "127.0.0.1", postgres.port, name, master, f"glue_{tag}")
    # As on PostgreSQL 14 and older (RDS still runs them): PUBLIC may create in public.
    database.as_master("GRANT CREATE ON SCHEMA public TO PUBLIC")
    for statement in (
        "CREATE SCHEMA sales",
        "CREATE SCHEMA hr",
        "CREATE TABLE sales.orders (id serial PRIMARY KEY, amount int)",
        "INSERT INTO sales.orders (amount) VALUES (10), (20)",
        "CREATE TABLE hr.salaries (name text, salary int)",
        "INSERT INTO hr.salaries VALUES ('ann', 100)",
    ):
        database.as_master(statement)
    yield database
    cursor.execute(f"DROP DATABASE {name} WITH (FORCE)")
    cursor.execute(f"DROP ROLE IF EXISTS {database.glue_user}")
    cursor.execute(f"DROP ROLE {master.username}")
    admin.close()


@pytest.fixture
def my_database(mariadb: throwaway_mariadb.ThrowawayMariaDb) -> Iterator[Database]:
    tag = uuid.uuid4().hex[:10]
    master = Credentials(throwaway_mariadb.USER, mariadb.password)
    database = Database("mysql", "127.0.0.1", mariadb.port, f"app_{tag}", master, f"glue_{tag}")
    mariadb.sql(
        f"CREATE DATABASE app_{tag}; CREATE DATABASE sales_{tag}; CREATE DATABASE hr_{tag};"
        f"CREATE TABLE sales_{tag}.orders (id int AUTO_INCREMENT PRIMARY KEY, amount int);"
        f"INSERT INTO sales_{tag}.orders (amount) VALUES (10), (20);"
        f"CREATE TABLE hr_{tag}.salaries (name text, salary int);"
        f"INSERT INTO hr_{tag}.salaries VALUES ('ann', 100);"
    )
    yield database
    mariadb.sql(
        f"DROP USER IF EXISTS '{database.glue_user}'@'%';"
        f"DROP DATABASE app_{tag}; DROP DATABASE sales_{tag}; DROP DATABASE hr_{tag};"
    )


@pytest.fixture(params=["postgresql", "mysql"])
def database(request: pytest.FixtureRequest) -> Database:
    return request.getfixturevalue(
        "pg_database" if request.param == "postgresql" else "my_database"
    )


def schemas(database: Database) -> tuple[str, str]:
    """The names of the readable and the forbidden schema in this database."""
    if database.family == "postgresql":
        return "sales", "hr"
    tag = database.name.removeprefix("app_")
    return f"sales_{tag}", f"hr_{tag}"


def grants_of(database: Database) -> list[tuple[Any, ...]]:
    """Everything the Glue user holds, as the server reports it."""
    if database.family == "mysql":
        return database.as_master(f"SHOW GRANTS FOR '{database.glue_user}'@'%'")
    return database.as_master(
        "SELECT table_schema, table_name, privilege_type FROM information_schema.role_table_grants "
        f"WHERE grantee = '{database.glue_user}' ORDER BY 1, 2, 3"
    ) + database.as_master(
        "SELECT n.nspname, has_schema_privilege(r.oid, n.oid, 'USAGE'), "
        "has_schema_privilege(r.oid, n.oid, 'CREATE'), r.rolcreaterole, r.rolcreatedb "
        f"FROM pg_roles r, pg_namespace n WHERE r.rolname = '{database.glue_user}' "
        "AND n.nspname !~ '^pg_' ORDER BY 1"
    )


# ------------------------------------------------------------------ behaviour


def test_glue_user_reads_its_schemas_and_nothing_else(database: Database) -> None:
    sales, hr = schemas(database)
    created, _ = database.bootstrap(read_schemas=(sales,))
    assert created

    assert database.as_glue(f"SELECT amount FROM {database.table(sales, 'orders')} ORDER BY 1") == [
        (10,),
        (20,),
    ]
    _denied(database, f"SELECT * FROM {database.table(hr, 'salaries')}")
    _denied(database, f"INSERT INTO {database.table(sales, 'orders')} (amount) VALUES (1)")
    _denied(database, f"CREATE TABLE {database.table(sales, 'mine')} (x int)")
    _denied(database, f"DROP TABLE {database.table(sales, 'orders')}")
    if database.family == "postgresql":
        _denied(database, "CREATE TABLE public.mine (x int)")
        _denied(database, "CREATE ROLE intruder")
    else:
        _denied(database, "CREATE USER 'intruder'@'%'")
        _denied(database, f"CREATE DATABASE intruder_{database.name}")


def test_tables_the_master_adds_later_are_readable(database: Database) -> None:
    sales, _ = schemas(database)
    database.bootstrap(read_schemas=(sales,))
    database.as_master(f"CREATE TABLE {database.table(sales, 'refunds')} (amount int)")
    database.as_master(f"INSERT INTO {database.table(sales, 'refunds')} VALUES (5)")

    assert database.as_glue(f"SELECT amount FROM {database.table(sales, 'refunds')}") == [(5,)]


def test_bootstrap_twice_gives_the_same_user_and_grants(database: Database) -> None:
    sales, _ = schemas(database)
    database.bootstrap(read_schemas=(sales,))
    first = grants_of(database)

    created, _ = database.bootstrap(read_schemas=(sales,))

    assert not created
    assert grants_of(database) == first
    assert database.as_glue(f"SELECT count(*) FROM {database.table(sales, 'orders')}") == [(2,)]


def test_a_new_password_in_the_secret_is_applied(database: Database) -> None:
    sales, _ = schemas(database)
    database.bootstrap(read_schemas=(sales,))

    database.bootstrap("rotated-Password-2", read_schemas=(sales,))

    query = f"SELECT count(*) FROM {database.table(sales, 'orders')}"
    assert database.as_glue(query, password="rotated-Password-2") == [(2,)]
    with pytest.raises(Exception, match=r"(?i)password|authentication|denied"):
        database.as_glue(query, password=PASSWORD)


def test_a_schema_dropped_from_the_config_loses_its_grants(database: Database) -> None:
    sales, hr = schemas(database)
    database.bootstrap(read_schemas=(sales, hr))
    assert database.as_glue(f"SELECT name FROM {database.table(hr, 'salaries')}") == [("ann",)]

    database.bootstrap(read_schemas=(sales,))

    _denied(database, f"SELECT name FROM {database.table(hr, 'salaries')}")


def test_write_schemas_allow_row_writes_but_never_ddl(database: Database) -> None:
    sales, hr = schemas(database)
    database.bootstrap(read_schemas=(sales,), write_schemas=(hr,))
    salaries = database.table(hr, "salaries")

    database.as_glue(f"INSERT INTO {salaries} VALUES ('bob', 50)")
    database.as_glue(f"UPDATE {salaries} SET salary = 60 WHERE name = 'bob'")
    database.as_glue(f"DELETE FROM {salaries} WHERE name = 'ann'")
    assert database.as_glue(f"SELECT name, salary FROM {salaries}") == [("bob", 60)]
    _denied(database, f"INSERT INTO {database.table(sales, 'orders')} (amount) VALUES (1)")
    _denied(database, f"CREATE TABLE {database.table(hr, 'mine')} (x int)")
    if database.family == "postgresql":  # the serial column's sequence is usable for inserts
        database.as_master("CREATE TABLE hr.staff (id serial PRIMARY KEY, name text)")
        database.as_glue("INSERT INTO hr.staff (name) VALUES ('cy')")


def test_a_missing_schema_is_named_and_nothing_is_created(database: Database) -> None:
    with pytest.raises(BootstrapError, match="schema\\(s\\) nowhere do not exist") as caught:
        database.bootstrap(read_schemas=("nowhere",))

    assert "fix:" in str(caught.value)
    with pytest.raises(Exception, match=r"(?i)password|authentication|denied|exist"):
        database.as_glue("SELECT 1")


def test_a_password_postgres_cannot_verify_is_refused_with_the_fix(pg_database: Database) -> None:
    """SCRAM needs the password as PostgreSQL normalises it; only printable ASCII is certain."""
    with pytest.raises(BootstrapError, match="printable ASCII") as caught:
        pg_database.bootstrap("pässwörd-\u00e9")
    assert "password_version" in str(caught.value) and "pässwörd" not in str(caught.value)


def test_postgres_ddl_log_never_holds_the_password(
    pg_database: Database, postgres: throwaway_postgres.ThrowawayPostgres
) -> None:
    """RDS logs DDL (`log_statement = ddl`); the role's password goes as a SCRAM verifier."""
    admin = _admin_postgres(postgres)
    admin.cursor().execute(f"ALTER DATABASE {pg_database.name} SET log_statement = 'ddl'")
    admin.close()

    _, shown = pg_database.bootstrap(read_schemas=("sales",))
    pg_database.bootstrap("rotated-Password-2", read_schemas=("sales",))

    log = (postgres.directory / "log").read_text(errors="replace")
    assert f'CREATE ROLE "{pg_database.glue_user}"' in log  # the log does record DDL
    assert PASSWORD not in log and "rotated-Password-2" not in log
    assert not any(PASSWORD in s for s in shown)


def test_statements_shown_and_errors_never_hold_the_password(my_database: Database) -> None:
    sales, _ = schemas(my_database)
    _, shown = my_database.bootstrap(read_schemas=(sales,))
    assert any("IDENTIFIED BY '<password>'" in s for s in shown)
    assert not any(PASSWORD in s for s in shown)

    class EchoingCursor:
        """A server error that quotes the failed statement, as MySQL's syntax errors do."""

        def execute(self, sql: str, params: Any = None) -> None:
            if "IDENTIFIED BY" in sql:
                raise RuntimeError(f"You have an error in your SQL syntax near '{sql}'")

        def fetchall(self) -> list[tuple[Any, ...]]:
            return [(sales,)]

    class Connection:
        def cursor(self) -> EchoingCursor:
            return EchoingCursor()

        def rollback(self) -> None:
            pass

    with pytest.raises(BootstrapError, match="syntax near") as caught:
        bootstrap(Connection(), "mysql", GlueUserGrants("app", "glue", (sales,)), PASSWORD)
    assert "IDENTIFIED BY '<password>'" in str(caught.value)
    assert PASSWORD not in str(caught.value)


# ------------------------------------------------------------------ the command


@pytest.fixture
def secrets_manager(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Every boto3 client glueprint makes talks to a local moto server; yields Secrets Manager."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()

    def client(service: str, region: str) -> Any:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=f"http://{host}:{port}",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # the emulator's fake credential
        )

    monkeypatch.setattr(aws, "client", client)
    yield client("secretsmanager", "eu-west-1")
    server.stop()


def test_the_command_bootstraps_from_the_stack_outputs_over_verified_tls(
    pg_database: Database,
    authority: tls_certs.Authority,
    secrets_manager: Any,
    tmp_path: Path,
) -> None:
    def secret(name: str, credentials: Credentials) -> str:
        value = {"username": credentials.username, "password": credentials.password}
        return str(secrets_manager.create_secret(Name=name, SecretString=json.dumps(value))["ARN"])

    outputs = {
        "db_address": "127.0.0.1",
        "db_port": pg_database.port,
        "db_secret_arn": secret("master", pg_database.master),
        "db_glue_user_secret_arn": secret("glue", Credentials(pg_database.glue_user, PASSWORD)),
    }
    saved = {name: {"value": value} for name, value in outputs.items()}
    (tmp_path / "outputs.json").write_text(json.dumps(saved))
    (tmp_path / "glueprint.yaml").write_text(
        "project: boot\nregion: eu-west-1\ndatabase:\n"
        f"  name: {pg_database.name}\n  glue_user:\n    name: {pg_database.glue_user}\n"
        "    read_schemas: [sales]\n"
    )
    (tmp_path / "ca.pem").write_text(authority.cert_pem)
    command = ["db", "bootstrap", "-c", str(tmp_path / "glueprint.yaml")]
    command += ["--outputs", str(tmp_path / "outputs.json")]

    unverified = CliRunner().invoke(cli, command)  # the test CA is in no system trust store
    assert unverified.exit_code == 1, unverified.output
    assert "--ca-bundle" in unverified.stderr and "certificate" in unverified.stderr.lower()

    result = CliRunner().invoke(cli, [*command, "--ca-bundle", str(tmp_path / "ca.pem")])

    assert result.exit_code == 0, result.output + result.stderr
    assert f"Created database user {pg_database.glue_user}" in result.stdout
    assert PASSWORD not in result.output + result.stderr
    assert pg_database.as_glue("SELECT count(*) FROM sales.orders") == [(2,)]
    _denied(pg_database, "SELECT * FROM hr.salaries")

    # Without --ca-bundle, the CA the stack gives the jobs (database.ca_certificate) is used.
    config = (
        (tmp_path / "glueprint.yaml")
        .read_text()
        .replace("  glue_user:\n", "  ca_certificate: ca.pem\n  glue_user:\n")
    )
    (tmp_path / "glueprint.yaml").write_text(config)
    again = CliRunner().invoke(cli, command)
    assert again.exit_code == 0, again.output + again.stderr
    assert f"Updated database user {pg_database.glue_user}" in again.stdout


# ------------------------------------------------------------------ secrets


@pytest.mark.parametrize(
    ("secret", "expected"),
    [
        ("not json", "does not hold a JSON object"),
        ('["a"]', "does not hold a JSON object"),
        ('{"username": "glue"}', "has no string 'password'"),
        ('{"password": 1}', "has no string 'username' or 'password'"),
    ],
)
def test_a_malformed_secret_is_named_with_the_fix(secret: str, expected: str) -> None:
    with pytest.raises(BootstrapError, match=expected) as caught:
        credentials_from_secret(secret, "arn:aws:secretsmanager:eu-west-1:1:secret:glue-AbC123")
    assert "secret:glue-AbC123" in str(caught.value) and "fix:" in str(caught.value)


def test_credentials_never_show_the_password() -> None:
    credentials = credentials_from_secret('{"username": "glue", "password": "s3cr3t"}', "x")
    assert credentials == Credentials("glue", "s3cr3t")
    assert "s3cr3t" not in repr(credentials)


# ------------------------------------------------------------------ the rendered stack


@pytest.fixture(scope="module")
def planned_stack(
    terraform: Terraform, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, list[dict[str, Any]]]:
    """The aurora-postgresql test stack and its offline plan (the IAM test's harness)."""
    loaded = load_config(CONFIGS / "aurora-postgresql.yaml")
    stack = tmp_path_factory.mktemp("stack")
    write_tree(stack, render(loaded).files)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        changes = planned_changes(stack, loaded.config.region, terraform, f"http://{host}:{port}")
    finally:
        server.stop()
    return stack, changes


def _change(changes: list[dict[str, Any]], address: str) -> dict[str, Any]:
    (found,) = [c for c in changes if c["address"] == address]
    return found


@pytest.mark.terraform
def test_connections_log_in_with_the_glue_users_secret_not_the_masters(
    planned_stack: tuple[Path, list[dict[str, Any]]],
) -> None:
    stack, changes = planned_stack
    root = (stack / "main.tf").read_text()
    assert "secret_arn = module.database.glue_user_secret_arn" in root
    assert "master_secret_arn" not in root

    role_policy = _change(changes, "module.glue.aws_iam_role_policy.this")["change"]["after"]
    statements = {s["Sid"]: s for s in json.loads(role_policy["policy"])["Statement"]}
    glue_secret = _change(changes, "module.database.aws_secretsmanager_secret.glue_user")
    assert statements["ReadDatabaseSecret"]["Resource"] == glue_secret["change"]["after"]["arn"]
    assert "rds!" not in role_policy["policy"], "the job role must not read the master secret"
    assert glue_secret["change"]["after"]["kms_key_id"].startswith("arn:aws:kms:")


@pytest.mark.terraform
def test_the_glue_users_password_is_write_only(
    planned_stack: tuple[Path, list[dict[str, Any]]],
) -> None:
    """The version carries the password only in `secret_string_wo`, which Terraform keeps out
    of the plan and the state; `secret_string` (stored) is never set."""
    stack, changes = planned_stack
    version = _change(changes, "module.database.aws_secretsmanager_secret_version.glue_user")
    after = version["change"]["after"]
    assert after.get("secret_string_wo") is None and after.get("secret_string") in (None, "")
    assert after["secret_string_wo_version"] == 1
    database = (stack / "database" / "main.tf").read_text()
    assert 'ephemeral "aws_secretsmanager_random_password" "glue_user"' in database
    assert "secret_string " not in database and "secret_string=" not in database
