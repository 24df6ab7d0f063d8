"""Loading a connection's CA certificate (``CUSTOM_JDBC_CERT``) and checking it as Glue does.

Glue reads ``CUSTOM_JDBC_CERT`` from S3: "a custom root certificate ... AWS Glue handles only
X.509 certificates. The certificate must be DER-encoded and supplied in base64 encoding PEM
format."  Unless ``SKIP_CUSTOM_JDBC_CERT_VALIDATION`` is true, "AWS Glue validates the signature
algorithm and subject public key algorithm for the certificate ... The only permitted signature
algorithms are SHA256withRSA, SHA384withRSA, or SHA512withRSA. For the subject public key
algorithm, the key length must be at least 2048" (Glue developer guide, AWS Glue SSL connection
properties; ``ConnectionProperties`` in the Glue API).  That switch skips only this algorithm
check: the chain and the host name are still verified by the driver.

The check reads the DER itself (a few fields of the X.509 structure) so that etl needs no
cryptography package on Glue.
"""

from __future__ import annotations

import base64
import binascii
import re
from pathlib import Path
from typing import Any

from etl.errors import ConnectionResolutionError

_PEM = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.DOTALL)

# DER-encoded OIDs (content bytes) of the algorithms Glue permits.
_RSA_SIGNATURES = {
    bytes.fromhex("2a864886f70d01010b"): "SHA256withRSA",
    bytes.fromhex("2a864886f70d01010c"): "SHA384withRSA",
    bytes.fromhex("2a864886f70d01010d"): "SHA512withRSA",
}
_RSA_KEY = bytes.fromhex("2a864886f70d010101")
_MIN_RSA_BITS = 2048


def read_ca(connection: str, location: str, session: Any = None) -> str:
    """The PEM text at ``location``: ``s3://bucket/key`` (read with boto3, as Glue reads it),
    ``file:///path`` or a local path."""
    try:
        if location.startswith("s3://"):
            return _read_s3(location, session)
        path = location.removeprefix("file://")
        return Path(path).read_text(encoding="ascii")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConnectionResolutionError(
            f"connection '{connection}': cannot read the CA certificate {location} ({exc}); "
            "give an s3:// URL, file:// URL or path of a PEM file"
        ) from None


def _read_s3(location: str, session: Any) -> str:
    from botocore.exceptions import ClientError

    if session is None:
        import boto3

        session = boto3.session.Session()
    bucket, _, key = location[len("s3://") :].partition("/")
    try:
        body = session.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()
    except ClientError as exc:
        raise OSError(f"{exc.response['Error']['Code']}; the role needs s3:GetObject") from None
    return str(body.decode("ascii"))


def certificates(connection: str, origin: str, pem: str) -> list[bytes]:
    """The DER certificates of ``pem``, or an error naming ``origin`` if there are none."""
    found = []
    for body in _PEM.findall(pem):
        try:
            found.append(base64.b64decode("".join(body.split()), validate=True))
        except binascii.Error:
            break
    else:
        if found:
            return found
    raise ConnectionResolutionError(
        f"connection '{connection}': the CA certificate {origin} is not PEM (expected "
        "-----BEGIN CERTIFICATE----- blocks of base64 DER)"
    )


def check_algorithms(connection: str, origin: str, der: bytes) -> None:
    """Glue's validation: an RSA signature with SHA-256/384/512 and an RSA key of >= 2048 bits."""
    try:
        signature, key_algorithm, key_bits = _algorithms(der)
    except (IndexError, ValueError):
        raise ConnectionResolutionError(
            f"connection '{connection}': the CA certificate {origin} is not a valid X.509 "
            "certificate"
        ) from None
    skip = "or set SKIP_CUSTOM_JDBC_CERT_VALIDATION=true to skip this check, as Glue allows"
    if signature not in _RSA_SIGNATURES:
        raise ConnectionResolutionError(
            f"connection '{connection}': the CA certificate {origin} is not signed with "
            f"SHA256withRSA, SHA384withRSA or SHA512withRSA, the only algorithms Glue accepts; "
            f"use an RSA CA {skip}"
        )
    if key_algorithm != _RSA_KEY or key_bits < _MIN_RSA_BITS:
        raise ConnectionResolutionError(
            f"connection '{connection}': the CA certificate {origin} needs an RSA key of at "
            f"least {_MIN_RSA_BITS} bits (Glue's rule); use such a CA {skip}"
        )


def _algorithms(der: bytes) -> tuple[bytes, bytes, int]:
    """(signature algorithm OID, public key algorithm OID, RSA modulus bits) of a certificate.

    Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm, signature } and
    tbsCertificate ::= SEQUENCE { [0] version OPTIONAL, serialNumber, signature, issuer,
    validity, subject, subjectPublicKeyInfo, ... } (RFC 5280 4.1)."""
    certificate = _children(_value(der))
    tbs, signature_algorithm = _children(_value(certificate[0])), _children(_value(certificate[1]))
    fields = tbs[1:] if tbs[0][0] == 0xA0 else tbs  # skip the explicit [0] version
    key_info = _children(_value(fields[5]))
    key_algorithm = _value(_children(_value(key_info[0]))[0])
    key_bits = 0
    if key_algorithm == _RSA_KEY:
        rsa_key = _value(key_info[1])[1:]  # BIT STRING: unused-bits byte, RSAPublicKey
        modulus = _value(_children(_value(rsa_key))[0])
        key_bits = int.from_bytes(modulus, "big").bit_length()
    return _value(signature_algorithm[0]), key_algorithm, key_bits


_BASIC_CONSTRAINTS = bytes.fromhex("551d13")  # id-ce-basicConstraints, 2.5.29.19


def is_ca(der: bytes) -> bool:
    """Whether the certificate says it is a CA (basicConstraints cA TRUE, RFC 5280 4.2.1.9):
    a leaf certificate given as the trusted root verifies only that one server, so a stack that
    trusts it breaks when RDS rotates the server's certificate.  False for unreadable DER."""
    try:
        tbs = _children(_value(_children(_value(der))[0]))
        for element in tbs:
            if element[0] != 0xA3:  # [3] EXPLICIT Extensions
                continue
            for extension in _children(_value(_children(_value(element))[0])):
                parts = _children(_value(extension))  # extnID, critical?, extnValue
                if _value(parts[0]) == _BASIC_CONSTRAINTS:
                    constraints = _children(_value(_value(parts[-1])))  # cA?, pathLen?
                    first = constraints[0] if constraints else b""
                    return first[:1] == b"\x01" and _value(first) != b"\x00"  # BOOLEAN TRUE
    except (IndexError, ValueError):
        return False
    return False


def _children(content: bytes) -> list[bytes]:
    """The TLV elements (tag, length and value) in ``content``."""
    elements = []
    while content:
        end = _header_length(content) + _length(content)
        elements.append(content[:end])
        content = content[end:]
    return elements


def _value(element: bytes) -> bytes:
    start = _header_length(element)
    return element[start : start + _length(element)]


def _header_length(element: bytes) -> int:
    first = element[1]
    return 2 if first < 0x80 else 2 + (first & 0x7F)


def _length(element: bytes) -> int:
    first = element[1]
    if first < 0x80:
        return first
    size = first & 0x7F
    if not 0 < size <= 4 or len(element) < 2 + size:
        raise ValueError("bad DER length")
    return int.from_bytes(element[2 : 2 + size], "big")
