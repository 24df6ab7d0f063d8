"""Verified TLS options without a server (etl/tls.py, etl/tls_ca.py): each driver's properties,
refusal of weakening settings, Glue's algorithm check of the CA and its skip switch, and the TLS
properties of a Glue connection (moto) and of a local profile.  The real-server tests are in
test_etl_jdbc_tls.py."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
import tls_certs
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from etl.connections import AwsConnectionResolver, JdbcConnection
from etl.dialects import dialect
from etl.errors import ConnectionResolutionError, EtlError
from etl.profile import LocalProfile
from etl.tls import Trust, trust, verified_options

PEM = tls_certs.authority("unit CA").cert_pem


def _options(url: str, trusted: Trust | None = None, **overrides: str) -> dict[str, str]:
    connection = JdbcConnection("c", url, "u", "p", ssl=True, trust=trusted or Trust())
    return connection.spark_options(overrides)


def test_mysql_verifies_identity_and_refuses_weaker_modes() -> None:
    assert _options("jdbc:mysql://h:3306/d")["sslMode"] == "VERIFY_IDENTITY"
    assert "sslMode" not in _options("jdbc:mysql://h:3306/d?sslMode=VERIFY_IDENTITY")
    for weak in ("sslMode=REQUIRED", "sslMode=VERIFY_CA", "useSSL=false"):
        with pytest.raises(ConnectionResolutionError, match=f"its URL sets {weak}"):
            _options(f"jdbc:mysql://h:3306/d?{weak}")
    with pytest.raises(ConnectionResolutionError, match="source's options sets verifyServer"):
        _options("jdbc:mysql://h:3306/d", verifyServerCertificate="false")
    for setting in ("trustCertificateKeyStoreUrl", "trustCertificateKeyStoreType"):
        with pytest.raises(ConnectionResolutionError, match=f"source's options sets {setting}"):
            _options("jdbc:mysql://h:3306/d", **{setting: "file:/tmp/mine.jks"})


def test_mysql_gets_a_custom_ca_as_a_trust_store_file_of_the_whole_bundle() -> None:
    bundle = PEM + tls_certs.authority("another CA").cert_pem
    placed: list[str] = []

    def ca_file(pem: str) -> str:
        placed.append(pem)
        return "file:store.jks"

    options = verified_options(
        "c", "mysql", "jdbc:mysql://h/d", trust("c", bundle), {}, ca_file=ca_file
    )
    assert options["trustCertificateKeyStoreUrl"] == "file:store.jks"
    assert options["trustCertificateKeyStoreType"] == "JKS"
    assert placed == [bundle]  # every certificate, not the first only
    # Without the session that reads, there is nowhere to put the file.
    with pytest.raises(ConnectionResolutionError, match="needs the Spark session"):
        _options("jdbc:mysql://h:3306/d", trust("c", PEM))


def test_mariadb_gets_the_ca_inline_and_host_name_verification() -> None:
    options = _options("jdbc:mariadb://h:3306/d", trust("c", PEM))
    assert options["useSsl"] == "true" and options["sslMode"] == "verify-full"  # 2.x and 3.x
    assert options["trustServerCertificate"] == "false"
    assert options["serverSslCert"] == PEM
    for weak in ("trustServerCertificate=true", "disableSslHostnameVerification=true"):
        with pytest.raises(ConnectionResolutionError, match=f"its URL sets {weak}"):
            _options(f"jdbc:mariadb://h:3306/d?{weak}")
    with pytest.raises(ConnectionResolutionError, match="source's options sets serverSslCert"):
        _options("jdbc:mariadb://h:3306/d", serverSslCert="/tmp/other.pem")


def test_cert_string_is_the_expected_name_where_glue_uses_it() -> None:
    named = trust("c", None, cert_string="db.example.com")
    assert _options("jdbc:sqlserver://h:1433;databaseName=d", named) == {
        "url": "jdbc:sqlserver://h:1433;databaseName=d",
        "user": "u",
        "password": "p",
        "driver": "com.microsoft.sqlserver.jdbc.SQLServerDriver",
        "encrypt": "true",
        "trustServerCertificate": "false",
        "hostNameInCertificate": "db.example.com",
    }
    with pytest.raises(ConnectionResolutionError, match="its URL sets trustServerCertificate"):
        _options("jdbc:sqlserver://h:1433;databaseName=d;trustServerCertificate=true")
    with pytest.raises(ConnectionResolutionError, match="only for Oracle and SQL Server"):
        _options("jdbc:postgresql://h:5432/d", named)


def test_postgres_refuses_a_bundle_its_factory_would_cut_to_one_ca() -> None:
    bundle = PEM + tls_certs.authority("second CA").cert_pem
    with pytest.raises(ConnectionResolutionError, match="trusts only the first certificate"):
        _options("jdbc:postgresql://h:5432/d", trust("c", bundle))
    options = _options("jdbc:postgresql://h:5432/d", trust("c", PEM))
    assert options["sslfactory"] == "org.postgresql.ssl.SingleCertValidatingFactory"
    assert options["sslfactoryarg"] == PEM


def _self_signed(key: Any, algorithm: hashes.HashAlgorithm | None) -> str:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "odd CA")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, algorithm)
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_glues_algorithm_check_of_the_ca_and_its_skip_switch() -> None:
    small = _self_signed(
        rsa.generate_private_key(public_exponent=65537, key_size=1024), hashes.SHA256()
    )
    with pytest.raises(ConnectionResolutionError, match="RSA key of at least 2048 bits"):
        trust("c", small, origin="s3://b/ca.pem")
    elliptic = _self_signed(ec.generate_private_key(ec.SECP384R1()), hashes.SHA384())
    with pytest.raises(ConnectionResolutionError, match=r"s3://b/ca.pem is not signed with SHA"):
        trust("c", elliptic, origin="s3://b/ca.pem")
    assert trust("c", elliptic, skip_validation=True).ca_pem == elliptic
    with pytest.raises(ConnectionResolutionError, match="is not PEM"):
        trust("c", "not a certificate", origin="ca.pem", skip_validation=True)


def _glue_connection(session: Any, **props: str) -> JdbcConnection:
    session.client("glue").create_connection(
        ConnectionInput={
            "Name": "rds",
            "ConnectionType": "JDBC",
            "ConnectionProperties": {
                "JDBC_CONNECTION_URL": "jdbc:postgresql://db.internal:5432/app",
                "USERNAME": "u",
                "PASSWORD": "p",
                **props,
            },
        }
    )
    return AwsConnectionResolver(session).resolve("rds")


def test_glue_connection_ca_is_read_from_s3_and_checked(aws: Any) -> None:
    aws.client("s3").create_bucket(
        Bucket="certs", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    aws.client("s3").put_object(Bucket="certs", Key="db/ca.pem", Body=PEM.encode())
    resolved = _glue_connection(
        aws, JDBC_ENFORCE_SSL="true", CUSTOM_JDBC_CERT="s3://certs/db/ca.pem"
    )
    assert resolved.spark_options()["sslfactoryarg"] == PEM


def test_glue_connection_ca_that_cannot_be_read_is_named(aws: Any) -> None:
    with pytest.raises(ConnectionResolutionError, match=r"connection 'rds'.*s3://nowhere/ca.pem"):
        _glue_connection(aws, JDBC_ENFORCE_SSL="true", CUSTOM_JDBC_CERT="s3://nowhere/ca.pem")


def test_glue_tls_properties_apply_only_when_tls_is_enforced(aws: Any) -> None:
    resolved = _glue_connection(aws, CUSTOM_JDBC_CERT="s3://nowhere/ca.pem")
    assert resolved.trust == Trust() and "sslmode" not in resolved.spark_options()


def test_profile_ca_needs_ssl_and_an_existing_file(tmp_path: Path) -> None:
    profile = tmp_path / "profile.toml"
    entry = '[connections.db]\nurl = "jdbc:postgresql://h/d"\nuser_env = "U"\npassword_env = "P"\n'
    profile.write_text(entry + 'ca = "ca.pem"\n', encoding="utf-8")
    with pytest.raises(EtlError, match=r"\[connections.db\] ca is used only with .*ssl = true"):
        LocalProfile.load(profile)
    profile.write_text(entry + 'ssl = true\nca = "ca.pem"\n', encoding="utf-8")
    with pytest.raises(EtlError, match=r"\[connections.db\] ca: no file .*ca.pem"):
        LocalProfile.load(profile)


def test_a_pem_ca_never_goes_into_a_mariadb_url_which_would_not_decode_it() -> None:
    url = "jdbc:mariadb://h:3306/d"
    assert dialect("mariadb").url_with(url, {"serverSslCert": PEM}) is None
    assert dialect("mariadb").url_with(url, {"useSsl": "true"}) == url + "?useSsl=true"
    assert dialect("mysql").url_with(url, {"x": "a b"}) == url + "?x=a%20b"


def test_a_percent_encoded_weakening_is_seen_through() -> None:
    with pytest.raises(ConnectionResolutionError, match="its URL sets sslmode=disable"):
        _options("jdbc:postgresql://h:5432/d?ssl%6Dode=disabl%65")
