"""Connection resolvers: Glue API + Secrets Manager (against moto) and the local profile."""

from __future__ import annotations

import json
from typing import Any

import pytest
from conftest import AWS_REGION

from etl.connections import AwsConnectionResolver, JdbcConnection
from etl.errors import ConnectionResolutionError
from etl.profile import LocalConnection, LocalProfile, ProfileConnectionResolver

URL = "jdbc:postgresql://db.internal:5432/sales"


def _connection(session: Any, name: str, **props: str) -> None:
    session.client("glue").create_connection(
        ConnectionInput={"Name": name, "ConnectionType": "JDBC", "ConnectionProperties": props}
    )


def test_secret_id_credentials_and_enforced_tls(aws: Any) -> None:
    arn = aws.client("secretsmanager").create_secret(
        Name="rds-app", SecretString=json.dumps({"username": "app", "password": "s3cr3t"})
    )["ARN"]
    _connection(aws, "rds", JDBC_CONNECTION_URL=URL, SECRET_ID=arn, JDBC_ENFORCE_SSL="true")

    resolved = AwsConnectionResolver(aws).resolve("rds")

    assert (resolved.url, resolved.user, resolved.password, resolved.ssl) == (
        URL,
        "app",
        "s3cr3t",
        True,
    )
    options = resolved.spark_options()
    assert options["sslmode"] == "verify-full"  # chain and host name (etl.tls)
    assert options["driver"] == "org.postgresql.Driver"
    assert "s3cr3t" not in repr(resolved)


def test_inline_username_password_without_tls(aws: Any) -> None:
    _connection(aws, "rds", JDBC_CONNECTION_URL=URL, USERNAME="u", PASSWORD="p")
    resolved = AwsConnectionResolver(aws).resolve("rds")
    assert (resolved.user, resolved.password, resolved.ssl) == ("u", "p", False)
    assert "sslmode" not in resolved.spark_options()


def test_missing_connection_names_it_and_the_region(aws: Any) -> None:
    with pytest.raises(ConnectionResolutionError, match=f"'nope'.*region {AWS_REGION}"):
        AwsConnectionResolver(aws).resolve("nope")


def test_unreadable_secret_is_reported_without_credentials(aws: Any) -> None:
    _connection(aws, "rds", JDBC_CONNECTION_URL=URL, SECRET_ID="does-not-exist")
    with pytest.raises(ConnectionResolutionError, match="secretsmanager:GetSecretValue"):
        AwsConnectionResolver(aws).resolve("rds")


def test_network_connection_is_not_a_jdbc_source(aws: Any) -> None:
    aws.client("glue").create_connection(
        ConnectionInput={"Name": "net", "ConnectionType": "NETWORK", "ConnectionProperties": {}}
    )
    with pytest.raises(ConnectionResolutionError, match="no JDBC_CONNECTION_URL"):
        AwsConnectionResolver(aws).resolve("net")


@pytest.mark.parametrize(
    ("url", "key", "value"),
    [
        ("jdbc:mysql://h:3306/d", "sslMode", "VERIFY_IDENTITY"),
        ("jdbc:sqlserver://h:1433;databaseName=d", "encrypt", "true"),
        ("jdbc:redshift://h:5439/d", "ssl", "true"),
    ],
)
def test_tls_is_required_in_each_vendors_dialect(url: str, key: str, value: str) -> None:
    assert JdbcConnection("c", url, "u", "p", ssl=True).spark_options()[key] == value


def test_tls_setting_already_in_the_url_is_left_alone() -> None:
    url = URL + "?sslmode=verify-full"
    assert "sslmode" not in JdbcConnection("c", url, "u", "p", ssl=True).spark_options()


def test_profile_resolver_reads_credentials_from_the_environment() -> None:
    profile = LocalProfile(
        connections={"rds": LocalConnection(URL, "DB_USER", "DB_PASS", ssl=True)}
    )
    resolver = ProfileConnectionResolver(profile, {"DB_USER": "me", "DB_PASS": "pw"})
    resolved = resolver.resolve("rds")
    assert (resolved.user, resolved.password, resolved.ssl) == ("me", "pw", True)


def test_profile_resolver_names_missing_variables_not_values() -> None:
    profile = LocalProfile(connections={"rds": LocalConnection(URL, "DB_USER", "DB_PASS")})
    with pytest.raises(
        ConnectionResolutionError, match=r"set the environment variable.*DB_PASS"
    ) as info:
        ProfileConnectionResolver(profile, {"DB_USER": "me"}).resolve("rds")
    assert "DB_USER" not in str(info.value)


def test_profile_resolver_suggests_a_known_connection() -> None:
    profile = LocalProfile(connections={"my-rds": LocalConnection(URL, "U", "P")})
    with pytest.raises(ConnectionResolutionError, match="did you mean 'my-rds'"):
        ProfileConnectionResolver(profile, {}).resolve("my-rds2")
