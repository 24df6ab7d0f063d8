"""Each form of Glue connection credentials, read with boto3 (etl.credentials).

Glue, Secrets Manager and KMS are moto wherever moto returns what AWS does.  Moto neither stores
nor returns a connection's ``AuthenticationConfiguration``, nor encrypts passwords for
``ENCRYPTED_PASSWORD``; for those two forms the Glue client answers through botocore's Stubber,
which checks each request and answer against Glue's service model, while Secrets Manager and
KMS stay moto.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber
from botocore.validate import validate_parameters
from conftest import AWS_REGION

from etl.connections import AwsConnectionResolver
from etl.credentials import AwsCredentials, Credentials, GlueContextCredentials
from etl.errors import ConnectionResolutionError

URL = "jdbc:postgresql://db.internal:5432/sales"
PASSWORD = "pw-7f3a9c-secret"


def _record_calls(session: Any) -> list[tuple[str, dict[str, Any]]]:
    """(operation, parameters) of every AWS call made through ``session`` from now on."""
    calls: list[tuple[str, dict[str, Any]]] = []

    def record(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append((f"{model.service_model.service_name}.{model.name}", dict(params)))

    session.events.register("provide-client-params.*.*", record)
    return calls


def _secret(session: Any, value: dict[str, Any]) -> str:
    arn: str = session.client("secretsmanager").create_secret(
        Name="db-credentials", SecretString=json.dumps(value)
    )["ARN"]
    return arn


def _jdbc_connection(session: Any, **props: str) -> None:
    session.client("glue").create_connection(
        ConnectionInput={
            "Name": "db",
            "ConnectionType": "JDBC",
            "ConnectionProperties": {"JDBC_CONNECTION_URL": URL, **props},
        }
    )


def _stub_glue(session: Any, monkeypatch: pytest.MonkeyPatch, *answers: dict[str, Any]) -> None:
    """Serve ``GetConnection`` answers (``{"Connection": ...}``) in order, the first for
    ``HidePassword=True`` and the next for ``HidePassword=False``; other services stay moto."""
    glue = session.client("glue")
    stubber = Stubber(glue)
    for hide, answer in zip((True, False), answers, strict=False):
        stubber.add_response("get_connection", answer, {"Name": "db", "HidePassword": hide})
    stubber.activate()
    real_client = session.client
    monkeypatch.setattr(
        session, "client", lambda name, **kw: glue if name == "glue" else real_client(name, **kw)
    )


def _authentication_connection(secret_arn: str, kind: str = "BASIC") -> dict[str, Any]:
    """A connection with its secret in AuthenticationConfiguration, as CreateConnection takes it
    (checked against Glue's model) and as GetConnection returns it."""
    create = {
        "ConnectionInput": {
            "Name": "db",
            "ConnectionType": "JDBC",
            "ConnectionProperties": {"JDBC_CONNECTION_URL": URL},
            "AuthenticationConfiguration": {"AuthenticationType": kind, "SecretArn": secret_arn},
        }
    }
    model = boto3.session.Session(region_name=AWS_REGION).client("glue").meta.service_model
    validate_parameters(create, model.operation_model("CreateConnection").input_shape)
    connection = create["ConnectionInput"]
    return {
        "Connection": {
            **connection,
            "AuthenticationConfiguration": {"AuthenticationType": kind, "SecretArn": secret_arn},
        }
    }


def test_secret_id_with_the_rds_managed_shape_needs_no_password_from_glue(aws: Any) -> None:
    rds_managed = {
        "username": "app",
        "password": PASSWORD,
        "engine": "postgres",
        "host": "db.internal",
        "port": 5432,
        "dbInstanceIdentifier": "sales",
    }
    _jdbc_connection(aws, SECRET_ID=_secret(aws, rds_managed))
    calls = _record_calls(aws)

    resolved = AwsConnectionResolver(aws).resolve("db")

    assert (resolved.url, resolved.user, resolved.password) == (URL, "app", PASSWORD)
    assert calls == [
        ("glue.GetConnection", {"Name": "db", "HidePassword": True}),
        ("secretsmanager.GetSecretValue", {"SecretId": calls[1][1]["SecretId"]}),
    ]


def test_plain_username_password_asks_glue_for_the_password_once(aws: Any) -> None:
    _jdbc_connection(aws, USERNAME="app", PASSWORD=PASSWORD)
    calls = _record_calls(aws)

    resolved = AwsConnectionResolver(aws).resolve("db")

    assert (resolved.user, resolved.password) == ("app", PASSWORD)
    assert [params["HidePassword"] for _, params in calls] == [True, False]


def test_encrypted_password_is_decrypted_with_kms(
    aws: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    kms = aws.client("kms")
    key = kms.create_key(Description="connection passwords")["KeyMetadata"]["Arn"]
    blob = kms.encrypt(KeyId=key, Plaintext=PASSWORD.encode())["CiphertextBlob"]
    props = {"JDBC_CONNECTION_URL": URL, "USERNAME": "app"}
    hidden = {"Connection": {"Name": "db", "ConnectionType": "JDBC", "ConnectionProperties": props}}
    encrypted = {
        "Connection": {
            **hidden["Connection"],
            "ConnectionProperties": {
                **props,
                "ENCRYPTED_PASSWORD": base64.b64encode(blob).decode(),
            },
        }
    }
    _stub_glue(aws, monkeypatch, hidden, encrypted)
    caplog.set_level(logging.DEBUG)

    resolved = AwsConnectionResolver(aws).resolve("db")

    assert (resolved.user, resolved.password) == ("app", PASSWORD)
    assert PASSWORD not in caplog.text and PASSWORD not in repr(resolved)


@pytest.mark.parametrize(
    ("garbage", "code"),
    [
        ("not base64!", "not base64"),
        # not a ciphertext of any key: KMS cannot tell which key it needs
        (base64.b64encode(b"x" * 64).decode(), "(AccessDenied|InvalidCiphertext)Exception"),
    ],
    ids=["not-base64", "not-a-ciphertext"],
)
def test_undecryptable_password_names_the_connection_and_kms(
    aws: Any, monkeypatch: pytest.MonkeyPatch, garbage: str, code: str
) -> None:
    props = {"JDBC_CONNECTION_URL": URL, "USERNAME": "app"}
    connection = {"Name": "db", "ConnectionType": "JDBC", "ConnectionProperties": props}
    encrypted = {"ConnectionProperties": {**props, "ENCRYPTED_PASSWORD": garbage}}
    _stub_glue(
        aws, monkeypatch, {"Connection": connection}, {"Connection": {**connection, **encrypted}}
    )

    with pytest.raises(ConnectionResolutionError, match=f"'db'.*{code}") as failed:
        AwsConnectionResolver(aws).resolve("db")
    assert "ENCRYPTED_PASSWORD" in str(failed.value)
    if "Exception" in code:
        assert "kms:Decrypt" in str(failed.value) and "kms endpoint" in str(failed.value)


def test_unreachable_kms_endpoint_is_named(aws: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    props = {"JDBC_CONNECTION_URL": URL, "USERNAME": "app"}
    connection = {"Name": "db", "ConnectionType": "JDBC", "ConnectionProperties": props}
    encrypted = {"ConnectionProperties": {**props, "ENCRYPTED_PASSWORD": "AAAA"}}
    _stub_glue(
        aws, monkeypatch, {"Connection": connection}, {"Connection": {**connection, **encrypted}}
    )
    stubbed = aws.client
    nowhere = Config(retries={"max_attempts": 1}, connect_timeout=2)  # a VPC without the endpoint
    monkeypatch.setattr(
        aws,
        "client",
        lambda name, **kw: (
            boto3.session.Session(region_name=AWS_REGION).client(
                "kms", endpoint_url="http://127.0.0.1:9", config=nowhere
            )
            if name == "kms"
            else stubbed(name, **kw)
        ),
    )
    with pytest.raises(
        ConnectionResolutionError, match=r"'db' could not be decrypted \(EndpointConnectionError\)"
    ) as failed:
        AwsConnectionResolver(aws).resolve("db")
    assert "kms endpoint" in str(failed.value) and "interface endpoint" in str(failed.value)


def test_secret_id_wins_over_a_password_in_the_connection(aws: Any) -> None:
    secret = _secret(aws, {"username": "from-secret", "password": PASSWORD})
    _jdbc_connection(aws, SECRET_ID=secret, USERNAME="inline", PASSWORD="inline-password")
    calls = _record_calls(aws)

    assert AwsConnectionResolver(aws).resolve("db").user == "from-secret"
    assert [params.get("HidePassword") for _, params in calls] == [True, None]


@pytest.mark.parametrize("keys", [("username", "password"), ("USERNAME", "PASSWORD")])
def test_authentication_configuration_secret(
    aws: Any, monkeypatch: pytest.MonkeyPatch, keys: tuple[str, str]
) -> None:
    arn = _secret(aws, {keys[0]: "app", keys[1]: PASSWORD})
    _stub_glue(aws, monkeypatch, _authentication_connection(arn))

    resolved = AwsConnectionResolver(aws).resolve("db")

    assert (resolved.user, resolved.password) == ("app", PASSWORD)


def test_authentication_other_than_basic_is_refused(
    aws: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    arn = _secret(aws, {"access_token": "t"})
    _stub_glue(aws, monkeypatch, _authentication_connection(arn, kind="OAUTH2"))
    with pytest.raises(ConnectionResolutionError, match=r"'db' uses OAUTH2.*needs BASIC"):
        AwsConnectionResolver(aws).resolve("db")


def test_unreadable_secret_names_form_code_and_permission(aws: Any) -> None:
    _jdbc_connection(aws, SECRET_ID="arn:aws:secretsmanager:eu-west-1:123456789012:secret:gone")
    with pytest.raises(
        ConnectionResolutionError,
        match=r"'db' \(SECRET_ID\).*ResourceNotFoundException.*secretsmanager:GetSecretValue",
    ):
        AwsConnectionResolver(aws).resolve("db")


def test_secret_without_credentials_lists_its_keys_not_its_values(aws: Any) -> None:
    _jdbc_connection(aws, SECRET_ID=_secret(aws, {"user": "app", "pass": PASSWORD}))
    with pytest.raises(ConnectionResolutionError, match=r"keys \['pass', 'user'\]") as failed:
        AwsConnectionResolver(aws).resolve("db")
    assert PASSWORD not in str(failed.value)


def test_connection_without_any_credentials_says_which_forms_exist(aws: Any) -> None:
    _jdbc_connection(aws)
    with pytest.raises(ConnectionResolutionError, match=r"'db' has no credentials.*SECRET_ID"):
        AwsConnectionResolver(aws).resolve("db")


def test_credentials_never_show_the_password() -> None:
    assert PASSWORD not in repr(Credentials("app", PASSWORD))


class FakeGlueContext:
    """Stands in for awsglue's GlueContext: answers extract_jdbc_conf as Glue documents it
    (user, password, vendor, and a URL without the database)."""

    def __init__(self, conf: dict[str, str] | Exception) -> None:
        self.conf = conf
        self.asked: list[str] = []

    def extract_jdbc_conf(self, connection_name: str, catalog_id: str | None = None) -> Any:
        self.asked.append(connection_name)
        if isinstance(self.conf, Exception):
            raise self.conf
        return self.conf


def test_on_glue_credentials_come_from_glue_and_the_url_from_get_connection(aws: Any) -> None:
    _jdbc_connection(aws, SECRET_ID="arn:aws:secretsmanager:eu-west-1:123456789012:secret:x")
    context = FakeGlueContext(
        {"user": "app", "password": PASSWORD, "vendor": "postgresql", "url": URL.rsplit("/", 1)[0]}
    )
    calls = _record_calls(aws)
    credentials = GlueContextCredentials(context, fallback=AwsCredentials(aws))

    resolved = AwsConnectionResolver(aws, credentials=credentials).resolve("db")

    assert (resolved.url, resolved.user, resolved.password) == (URL, "app", PASSWORD)
    assert context.asked == ["db"]
    assert calls == [("glue.GetConnection", {"Name": "db", "HidePassword": True})]


def test_on_glue_a_form_glue_cannot_resolve_is_read_with_boto3(aws: Any) -> None:
    _jdbc_connection(aws, SECRET_ID=_secret(aws, {"username": "app", "password": PASSWORD}))
    context = FakeGlueContext({"vendor": "postgresql", "url": URL.rsplit("/", 1)[0]})
    credentials = GlueContextCredentials(context, fallback=AwsCredentials(aws))

    resolved = AwsConnectionResolver(aws, credentials=credentials).resolve("db")

    assert (resolved.user, resolved.password) == ("app", PASSWORD)


def test_on_glue_a_failed_resolution_names_the_connection(aws: Any) -> None:
    _jdbc_connection(aws, USERNAME="app", PASSWORD=PASSWORD)
    context = FakeGlueContext(RuntimeError("AccessDeniedException"))
    credentials = GlueContextCredentials(context, fallback=AwsCredentials(aws))
    with pytest.raises(ConnectionResolutionError, match=r"connection 'db'.*RuntimeError"):
        AwsConnectionResolver(aws, credentials=credentials).resolve("db")
