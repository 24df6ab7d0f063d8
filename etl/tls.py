"""Verified TLS for a JDBC connection that enforces it, as Glue means ``JDBC_ENFORCE_SSL``.

Glue documents the property as "Secure Sockets Layer (SSL) with hostname matching is enforced
for the JDBC connection on the client" and, with Require SSL, "AWS Glue only connects over SSL
with certificate and host name validation".  So an enforcing connection gets driver properties
that verify the server's certificate chain AND that its name matches the URL's host:

* the CA is ``CUSTOM_JDBC_CERT`` (:mod:`etl.tls_ca`), else the JVM's default trust store
  (Glue: "If this field is left blank, the default certificate is used");
* ``CUSTOM_JDBC_CERT_STRING`` is, per Glue, "used for domain matching or distinguished name
  (DN) matching. For Oracle Database, this string maps to the SSL_SERVER_CERT_DN ... For
  Microsoft SQL Server, this string is used as hostNameInCertificate": used exactly there;
* nothing in the URL or in a source's ``options`` may weaken this (``sslmode=disable``, a
  non-validating factory, ...): such a setting is refused before any connection is made.

The CA is passed inline (the PEM text) where the driver takes it so.  MySQL Connector/J opens
it only as a trust store file, which :mod:`etl.tls_truststore` puts where the driver JVM and
every executor find it by the same relative name.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from urllib.parse import unquote

from etl.errors import ConnectionResolutionError
from etl.tls_ca import certificates, check_algorithms

_PEM_CA = "<PEM CA>"  # stands for the trust's CA text in the tables below
_CA_FILE = "<CA file>"  # stands for the URL of a trust store file holding the trust's CA


@dataclasses.dataclass(frozen=True)
class Trust:
    """What an enforcing connection trusts: a CA (PEM text; None = the JVM's trust store) and
    the expected certificate name (``CUSTOM_JDBC_CERT_STRING``) where the driver takes one."""

    ca_pem: str | None = None
    cert_string: str | None = None


def trust(
    connection: str,
    ca_pem: str | None,
    *,
    origin: str = "",
    cert_string: str | None = None,
    skip_validation: bool = False,
) -> Trust:
    """A checked :class:`Trust`: the CA must be PEM and, unless ``skip_validation``
    (``SKIP_CUSTOM_JDBC_CERT_VALIDATION``), pass Glue's algorithm check."""
    if ca_pem is not None:
        for der in certificates(connection, origin, ca_pem):
            if not skip_validation:
                check_algorithms(connection, origin, der)
    return Trust(ca_pem=ca_pem, cert_string=cert_string or None)


@dataclasses.dataclass(frozen=True)
class _Vendor:
    """How one driver verifies: the properties etl sets, and every TLS property the driver
    knows with the values that keep verification on (an empty set: etl alone may set it)."""

    verified: Mapping[str, str]
    with_ca: Mapping[str, str] | None  # extra properties for a custom CA; None: unsupported
    one_ca: bool  # the driver trusts only the first certificate of a PEM bundle
    with_cert_string: str | None  # the property CUSTOM_JDBC_CERT_STRING becomes
    guarded: Mapping[str, frozenset[str]]


_ETL_ONLY = frozenset[str]()

# pgjdbc (jdbc.postgresql.org/documentation/ssl/): sslmode=verify-full checks "that the server
# host name matches the name stored in the server certificate" after the chain; the chain is
# checked by the sslfactory: DefaultJavaSSLFactory "uses Java's default truststore",
# SingleCertValidatingFactory takes one CA inline (sslfactoryarg "-----BEGIN CERTIFICATE-----").
# NonValidatingFactory, sslmode disable/allow/prefer/require/verify-ca and a custom
# sslhostnameverifier would each weaken it.
_POSTGRESQL = _Vendor(
    verified={"sslmode": "verify-full", "sslfactory": "org.postgresql.ssl.DefaultJavaSSLFactory"},
    with_ca={
        "sslfactory": "org.postgresql.ssl.SingleCertValidatingFactory",
        "sslfactoryarg": _PEM_CA,
    },
    one_ca=True,  # SingleCertValidatingFactory reads one certificate (generateCertificate)
    with_cert_string=None,
    guarded={
        "ssl": frozenset({"true"}),
        "sslmode": frozenset({"verify-full"}),
        "sslfactory": _ETL_ONLY,
        "sslfactoryarg": _ETL_ONLY,
        "sslrootcert": _ETL_ONLY,
        "sslhostnameverifier": _ETL_ONLY,
    },
)

# MySQL Connector/J (dev.mysql.com/doc/connector-j, sslMode): "VERIFY_IDENTITY - Like VERIFY_CA,
# but additionally verify that the server certificate matches the host"; with no trust store
# configured "Java verifies the server certificate using its default trusted CA certificates".
# A custom CA is a key store opened by URL (trustCertificateKeyStoreUrl; no password: an empty
# one), of trustCertificateKeyStoreType.
_MYSQL = _Vendor(
    verified={"sslMode": "VERIFY_IDENTITY"},
    with_ca={"trustCertificateKeyStoreUrl": _CA_FILE, "trustCertificateKeyStoreType": "JKS"},
    one_ca=False,
    with_cert_string=None,
    guarded={
        "sslmode": frozenset({"verify_identity"}),
        "usessl": frozenset({"true"}),
        "requiressl": frozenset({"true"}),
        "verifyservercertificate": frozenset({"true"}),
        "trustcertificatekeystoreurl": _ETL_ONLY,
        "trustcertificatekeystoretype": _ETL_ONLY,
        "trustcertificatekeystorepassword": _ETL_ONLY,
        "fallbacktosystemtruststore": frozenset({"true"}),
    },
)

# MariaDB Connector/J 2.x (useSsl, serverSslCert: a path, "classpath:" or the certificate itself;
# since 2.1.0 "driver check hostname against the server's identity ... Verification is disabled
# when the option trustServerCertificate is set", or disableSslHostnameVerification) and 3.x
# (sslMode=verify-full; the 2.x names are gone, unknown options are ignored): both are set.
# 2.x does not percent-decode URL values, so a partitioned read cannot move the PEM into the
# URL and reads on one connection (etl.dialects, url_decoded).
_MARIADB = _Vendor(
    verified={"useSsl": "true", "sslMode": "verify-full", "trustServerCertificate": "false"},
    with_ca={"serverSslCert": _PEM_CA},
    one_ca=False,
    with_cert_string=None,
    guarded={
        "usessl": frozenset({"true"}),
        "sslmode": frozenset({"verify-full"}),
        "trustservercertificate": frozenset({"false"}),
        "disablesslhostnameverification": frozenset({"false"}),
        "serversslcert": _ETL_ONLY,
        "truststore": _ETL_ONLY,
        "truststorepassword": _ETL_ONLY,
        "truststoretype": _ETL_ONLY,
    },
)

# Microsoft JDBC driver: encrypt=true with trustServerCertificate=false validates the chain
# against the JVM trust store and the host name (or hostNameInCertificate).
_SQLSERVER = _Vendor(
    verified={"encrypt": "true", "trustServerCertificate": "false"},
    with_ca=None,
    one_ca=False,
    with_cert_string="hostNameInCertificate",
    guarded={
        "encrypt": frozenset({"true", "strict"}),
        "trustservercertificate": frozenset({"false"}),
        "hostnameincertificate": _ETL_ONLY,
        "truststore": _ETL_ONLY,
        "truststorepassword": _ETL_ONLY,
        "truststoretype": _ETL_ONLY,
    },
)

# Oracle thin driver: TLS is the URL's tcps protocol; ssl_server_dn_match verifies the server's
# name (against ssl_server_cert_dn when CUSTOM_JDBC_CERT_STRING gives one).
_ORACLE = _Vendor(
    verified={"oracle.net.ssl_server_dn_match": "true"},
    with_ca=None,
    one_ca=False,
    with_cert_string="oracle.net.ssl_server_cert_dn",
    guarded={
        "oracle.net.ssl_server_dn_match": frozenset({"true"}),
        "oracle.net.ssl_server_cert_dn": _ETL_ONLY,
        "javax.net.ssl.truststore": _ETL_ONLY,
    },
)

# Amazon Redshift JDBC driver: ssl=true with sslmode=verify-full checks chain and host name.
_REDSHIFT = _Vendor(
    verified={"ssl": "true", "sslmode": "verify-full"},
    with_ca=None,
    one_ca=False,
    with_cert_string=None,
    guarded={
        "ssl": frozenset({"true"}),
        "sslmode": frozenset({"verify-full"}),
        "sslfactory": _ETL_ONLY,
        "sslrootcert": _ETL_ONLY,
    },
)

_VENDORS = {
    "postgresql": _POSTGRESQL,
    "mysql": _MYSQL,
    "mariadb": _MARIADB,
    "sqlserver": _SQLSERVER,
    "oracle": _ORACLE,
    "redshift": _REDSHIFT,
}

_FIX = (
    "remove it: the connection enforces TLS (JDBC_ENFORCE_SSL / ssl = true), so etl verifies "
    "the certificate chain and host name itself; give a private CA as CUSTOM_JDBC_CERT "
    "(ca in a local profile)"
)


def verified_options(
    connection: str,
    vendor: str,
    url: str,
    trusted: Trust,
    overrides: Mapping[str, str],
    *,
    ca_file: Callable[[str], str] | None = None,
) -> dict[str, str]:
    """Driver properties that make ``vendor``'s driver verify chain and host name, after
    refusing any setting in ``url`` or ``overrides`` (a source's options) that would weaken
    them.  ``ca_file`` turns a CA into the URL of a trust store file for a driver that takes
    no other (:func:`etl.tls_truststore.trust_store_url`)."""
    spec = _VENDORS.get(vendor)
    if spec is None:
        raise ConnectionResolutionError(
            f"connection '{connection}' enforces TLS but etl does not know how to verify "
            f"certificates for {vendor}; use one of {', '.join(_VENDORS)}"
        )
    if vendor == "oracle" and "tcps" not in url.lower():
        raise ConnectionResolutionError(
            f"connection '{connection}' enforces TLS: use the tcps protocol in its Oracle URL "
            "(jdbc:oracle:thin:@(DESCRIPTION=(ADDRESS=(PROTOCOL=tcps)...)))"
        )
    in_url = url_parameters(url)
    for where, settings in (("its URL", in_url), ("the source's options", overrides)):
        for key, value in settings.items():
            allowed = spec.guarded.get(key.lower())
            if allowed is not None and value.strip().lower() not in allowed:
                raise ConnectionResolutionError(
                    f"connection '{connection}': {where} sets {key}={value}, which would "
                    f"weaken certificate or host name verification; {_FIX}"
                )
    options = dict(spec.verified)
    if trusted.ca_pem is not None:
        if spec.with_ca is None:
            raise ConnectionResolutionError(
                f"connection '{connection}': a custom CA (CUSTOM_JDBC_CERT) is not supported "
                f"for {vendor} yet; add the CA to the JVM trust store or remove it"
            )
        if spec.one_ca and len(certificates(connection, "", trusted.ca_pem)) > 1:
            raise ConnectionResolutionError(
                f"connection '{connection}': the {vendor} driver trusts only the first "
                "certificate of a CA bundle (CUSTOM_JDBC_CERT); give only the root that signed "
                "the server's certificate (for RDS: the region's root of the instance's "
                "ca_cert_identifier)"
            )
        placed = {_PEM_CA: trusted.ca_pem}
        if _CA_FILE in spec.with_ca.values():
            if ca_file is None:
                raise ConnectionResolutionError(
                    f"connection '{connection}': the {vendor} driver takes a custom CA only as "
                    "a trust store file, which needs the Spark session: pass it to spark_options"
                )
            placed[_CA_FILE] = ca_file(trusted.ca_pem)
        options.update({k: placed.get(v, v) for k, v in spec.with_ca.items()})
    if trusted.cert_string is not None:
        if spec.with_cert_string is None:
            raise ConnectionResolutionError(
                f"connection '{connection}': CUSTOM_JDBC_CERT_STRING is used by Glue only for "
                "Oracle and SQL Server; remove it (the host name in the URL is verified)"
            )
        options[spec.with_cert_string] = trusted.cert_string
    present = {key.lower() for key in in_url}
    return {key: value for key, value in options.items() if key.lower() not in present}


def url_parameters(url: str) -> dict[str, str]:
    """``key=value`` settings of a JDBC URL: after ``?`` joined by ``&`` (PostgreSQL, MySQL,
    MariaDB, Redshift) or after the host joined by ``;`` (SQL Server); percent-decoded, as pgjdbc
    and Connector/J decode them (``sslmode=disabl%65`` is ``disable``)."""
    if url.lower().startswith("jdbc:sqlserver:"):
        pairs = url.split(";")[1:]
    else:
        pairs = url.partition("?")[2].split("&")
    parameters = {}
    for pair in pairs:
        key, sep, value = (unquote(part) for part in pair.partition("="))
        if sep and key.strip():
            parameters[key.strip()] = value
    return parameters
