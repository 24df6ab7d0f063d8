"""`database.ca_certificate`: the root CA Glue jobs verify the stack's database against.

Every JDBC connection to the stack's database enforces TLS (`JDBC_ENFORCE_SSL`), and etl then
verifies the server's chain and host name. RDS signs its certificates with AWS's own CAs, which
are not in the JVM's default trust store, so the connection must name the CA
(`CUSTOM_JDBC_CERT`, an S3 object the stack uploads). glueprint cannot download it (and must not
ship a certificate whose origin nobody checked), so the user gives the file and it is checked
here as Glue and etl will check it, before anything is rendered.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from etl.errors import ConnectionResolutionError
from etl.tls_ca import certificates, check_algorithms, is_ca
from generator.config.errors import Problem
from generator.config.schema import GlueprintConfig

FIELD = "database.ca_certificate"
CA_IDENTIFIER = "rds-ca-rsa2048-g1"
"""The CA the generated database uses (`ca_cert_identifier`): an RSA root Glue's check accepts."""
BUNDLES_DOC = "AWS RDS docs, 'Certificate bundles for specific AWS Regions'"


def ca_certificate_upload(config: GlueprintConfig, base_dir: Path) -> tuple[str, Path] | None:
    """Where the CA goes (its key in the scripts bucket, also its path in the generated stack)
    and the file it comes from; None when no CA is given."""
    if config.database is None or config.database.ca_certificate is None:
        return None
    return f"certs/{config.database.ca_certificate.name}", base_dir / config.database.ca_certificate


def ca_certificate_problems(config: GlueprintConfig, base_dir: Path) -> Iterator[Problem]:
    """The given file must be what Glue accepts as `CUSTOM_JDBC_CERT` and etl's PostgreSQL
    driver can use: one PEM certificate, a CA, signed and keyed as Glue's check requires."""
    if config.database is None or config.database.ca_certificate is None:
        return
    path = base_dir / config.database.ca_certificate
    fix = _download_fix(config.region)
    try:
        pem = path.read_text(encoding="ascii")
    except FileNotFoundError:
        yield Problem(FIELD, f"{path} does not exist", fix)
        return
    except (OSError, UnicodeDecodeError) as exc:
        yield Problem(FIELD, f"cannot read {path} as a PEM text file ({exc})", fix)
        return
    try:
        found = certificates(FIELD, str(path), pem)
        if len(found) != 1:
            yield Problem(
                FIELD,
                f"{path} holds {len(found)} certificates (a bundle); the connection's CA must be "
                "one root (the PostgreSQL driver trusts only the first certificate)",
                f"keep only the '{_root_name(config.region)}' certificate of the bundle",
            )
            return
        check_algorithms(FIELD, str(path), found[0])
    except ConnectionResolutionError as exc:
        yield Problem(FIELD, _without_connection(exc), fix)
        return
    if not is_ca(found[0]):
        yield Problem(
            FIELD,
            f"{path} is not a CA certificate (no basicConstraints CA:TRUE): a server's own "
            "certificate stops verifying when RDS rotates it",
            fix,
        )


def ca_certificate_warning(config: GlueprintConfig) -> str | None:
    """Why jobs will fail to connect on Glue without `database.ca_certificate`, and the fix;
    None when the CA is given or no connection reaches the stack's database."""
    database = config.database
    if database is None or database.ca_certificate is not None:
        return None
    if not any(c.type == "JDBC" and c.external is None for c in config.connections):
        return None
    return (
        f"no `{FIELD}`: the JDBC connections to the stack's database enforce TLS, and on Glue "
        "the jobs cannot verify its certificate (RDS's CAs are not in the JVM's trust store), "
        f"so every JDBC read fails; {_download_fix(config.region)}"
    )


def _download_fix(region: str) -> str:
    return (
        f"download https://truststore.pki.rds.amazonaws.com/{region}/{region}-bundle.pem "
        f"({BUNDLES_DOC}), keep only the certificate '{_root_name(region)}' (the root of "
        f"{CA_IDENTIFIER}, the database's CA), save it next to the config, e.g. as "
        f"certs/rds-{region}-rsa2048-g1.pem, and set `{FIELD}: certs/rds-{region}-rsa2048-g1.pem`"
    )


def _root_name(region: str) -> str:
    return f"CN=Amazon RDS {region} Root CA RSA2048 G1"


def _without_connection(exc: ConnectionResolutionError) -> str:
    """etl's message minus its `connection '...': ` prefix and the Glue-side escape hatch
    (SKIP_CUSTOM_JDBC_CERT_VALIDATION), which the generated connection never sets."""
    return str(exc).split(": ", 1)[-1].split("; use ", 1)[0]
