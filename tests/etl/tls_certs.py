"""Certificates made by a test: a private CA and server certificates it issues, as PEM text.

TLS tests of any database server (PostgreSQL here, MariaDB later) use the same few calls::

    ca = tls_certs.authority("glueprint test CA")
    server = ca.issue(["localhost"])          # DNS names and/or IP addresses ("127.0.0.1")
    write(tmp / "server.crt", server.cert_pem); write(tmp / "server.key", server.key_pem)
    trust = ca.cert_pem                       # what the client trusts

:meth:`Authority.resigned` gives the same CA (same subject and key, so it still verifies the
server) self-signed with another hash: a CA that Glue's algorithm check refuses but that the
TLS handshake accepts.  Keys are RSA 2048 (fast enough: about 50 ms each).
"""

from __future__ import annotations

import dataclasses
import datetime
import ipaddress
from collections.abc import Sequence

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALID = datetime.timedelta(days=2)


@dataclasses.dataclass(frozen=True)
class ServerCertificate:
    """A server's certificate and unencrypted private key, PEM."""

    cert_pem: str
    key_pem: str


@dataclasses.dataclass(frozen=True)
class Authority:
    """A self-signed CA that can issue server certificates."""

    name: x509.Name
    key: rsa.RSAPrivateKey
    cert_pem: str

    def issue(self, hosts: Sequence[str]) -> ServerCertificate:
        """A server certificate for ``hosts`` (subject alternative names: an IP address where
        the host parses as one, else a DNS name), signed with SHA-256."""
        key = _key()
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        cert = (
            _builder(_name(hosts[0]), self.name, key)
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        key_pem = key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode()
        return ServerCertificate(_pem(cert), key_pem)

    def resigned(self, algorithm: hashes.HashAlgorithm) -> str:
        """This CA's certificate self-signed with ``algorithm`` instead of SHA-256 (PEM)."""
        return _pem(_ca_certificate(self.name, self.key, algorithm))


def authority(common_name: str) -> Authority:
    """A new CA named ``common_name``, self-signed with SHA256withRSA (Glue accepts it)."""
    key = _key()
    name = _name(common_name)
    return Authority(name, key, _pem(_ca_certificate(name, key, hashes.SHA256())))


def _ca_certificate(
    name: x509.Name, key: rsa.RSAPrivateKey, algorithm: hashes.HashAlgorithm
) -> x509.Certificate:
    return (
        _builder(name, name, key)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False, content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False, key_cert_sign=True,
                crl_sign=True, encipher_only=False, decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, algorithm)
    )  # fmt: skip


def _builder(
    subject: x509.Name, issuer: x509.Name, key: rsa.RSAPrivateKey
) -> x509.CertificateBuilder:
    now = datetime.datetime.now(datetime.timezone.utc)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + _VALID)
    )


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()
