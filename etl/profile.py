"""Local profiles: what a named connection, an ``s3://`` location and a Data Catalog table mean
on a laptop or in CI.

A profile is a TOML file (comments allowed, no extra dependency on Python 3.11+)::

    [connections.my-rds-vpc-connection]
    url = "jdbc:postgresql://127.0.0.1:5432/app"   # same database name as in AWS
    user_env = "APP_DB_USER"                        # environment variables, never literals
    password_env = "APP_DB_PASSWORD"
    ssl = false                                     # optional; true = verified TLS
    ca = "certs/db-ca.pem"                          # optional, with ssl: the CA (PEM)

    [paths]
    "s3://my-bucket" = "data/my-bucket"             # relative to this file

    [spark]
    "spark.jars" = "/usr/share/java/postgresql.jar"

    [catalog."sales.public_orders"]                 # a Data Catalog table (CatalogSource)
    connection = "my-rds-vpc-connection"            # a JDBC table: a [connections] name
    table = "public.orders"                         # and what goes after FROM

    [catalog."lake.events"]
    path = "data/events"                            # files: relative to this file, or s3://
    format = "parquet"                              # parquet (default), csv or json
    schema = "id BIGINT, dt DATE"                   # optional: all columns, partitions too
    options = { sep = ";" }                         # optional reader options

Passwords live only in the environment so that the profile can be committed.
"""

from __future__ import annotations

import dataclasses
import importlib
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from etl.catalog_lookup import FileTable, JdbcTable, ResolvedTable
from etl.connections import JdbcConnection
from etl.errors import ConnectionResolutionError, EtlError
from etl.options import FILE_FORMATS, did_you_mean
from etl.tls import Trust, trust
from etl.tls_ca import read_ca

_CONNECTION_KEYS = ("url", "user_env", "password_env", "ssl", "ca")
_CATALOG_KEYS = ("connection", "table", "path", "format", "schema", "options")
_SECTIONS = ("connections", "paths", "spark", "catalog")
_S3_SCHEMES = ("s3://", "s3a://", "s3n://")


@dataclasses.dataclass(frozen=True)
class LocalConnection:
    """A profile entry: URL plus the names of the environment variables holding credentials."""

    url: str
    user_env: str
    password_env: str
    ssl: bool = False
    ca: Path | None = None  # with ssl: the CA file (PEM); None = the JVM's trust store


@dataclasses.dataclass(frozen=True)
class LocalProfile:
    """Connections, ``s3://`` prefix -> local directory mappings, extra Spark settings and
    Data Catalog tables (``database.table`` -> what the table is here)."""

    connections: Mapping[str, LocalConnection] = dataclasses.field(default_factory=dict)
    paths: Mapping[str, Path] = dataclasses.field(default_factory=dict)
    spark: Mapping[str, str] = dataclasses.field(default_factory=dict)
    catalog: Mapping[str, ResolvedTable] = dataclasses.field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> LocalProfile:
        """Read a TOML profile; relative directories are relative to the profile file."""
        try:
            data = _toml().loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise EtlError(f"cannot read local profile {path}: {exc.strerror}") from None
        except ValueError as exc:
            raise EtlError(f"local profile {path} is not valid TOML: {exc}") from None
        unknown = set(data) - set(_SECTIONS)
        if unknown:
            key = sorted(unknown)[0]
            hint = did_you_mean(key, _SECTIONS)
            raise EtlError(f"local profile {path}: unknown section [{key}]{hint}")
        connections = {
            name: _connection(path, name, entry)
            for name, entry in data.get("connections", {}).items()
        }
        paths = {
            prefix.rstrip("/"): (path.parent / directory).resolve()
            for prefix, directory in data.get("paths", {}).items()
        }
        for prefix in paths:
            if not prefix.startswith(_S3_SCHEMES):
                raise EtlError(
                    f"local profile {path}: [paths] key {prefix!r} must start with s3://"
                )
        spark = {str(k): str(v) for k, v in data.get("spark", {}).items()}
        catalog = {
            name.lower(): _catalog_table(path, name, entry)
            for name, entry in data.get("catalog", {}).items()
        }
        return cls(connections=connections, paths=paths, spark=spark, catalog=catalog)

    def local_path(self, uri: str) -> str:
        """Map ``s3://bucket/key`` to ``file:///dir/key`` using the longest matching prefix."""
        if not uri.startswith(_S3_SCHEMES):
            return uri
        normalised = "s3://" + uri.split("://", 1)[1]
        for prefix in sorted(self.paths, key=len, reverse=True):
            plain = "s3://" + prefix.split("://", 1)[1]
            if normalised == plain or normalised.startswith(plain + "/"):
                rest = normalised[len(plain) :].lstrip("/")
                return _file_uri(self.paths[prefix] / rest if rest else self.paths[prefix])
        bucket = "s3://" + normalised[5:].split("/", 1)[0]
        raise EtlError(
            f"no local directory for {uri}; add it to the local profile, e.g. "
            f'[paths] "{bucket}" = "data/{bucket[5:]}"'
        )


def _file_uri(path: Path) -> str:
    """``file://`` URI of an absolute ``path`` as Spark reads it back: Hadoop's ``Path`` takes
    the text after the scheme literally (it does not percent-decode), so the escapes of
    ``Path.as_uri()`` (``=`` in ``dt=2024-01-01``, ``,``, spaces) would name another path."""
    posix = path.as_posix()
    return "file://" + (posix if posix.startswith("/") else "/" + posix)


def _connection(path: Path, name: str, entry: Any) -> LocalConnection:
    if not isinstance(entry, dict):
        raise EtlError(f"local profile {path}: [connections.{name}] must be a table")
    for key in entry:
        if key not in _CONNECTION_KEYS:
            raise EtlError(
                f"local profile {path}: [connections.{name}] unknown key '{key}'"
                f"{did_you_mean(key, _CONNECTION_KEYS)}"
            )
    missing = [key for key in ("url", "user_env", "password_env") if key not in entry]
    if missing:
        raise EtlError(
            f"local profile {path}: [connections.{name}] needs {', '.join(missing)} "
            "(credentials are read from the named environment variables)"
        )
    return LocalConnection(
        url=str(entry["url"]),
        user_env=str(entry["user_env"]),
        password_env=str(entry["password_env"]),
        ssl=bool(entry.get("ssl", False)),
        ca=_ca_file(path, name, entry),
    )


def _ca_file(path: Path, name: str, entry: dict[str, Any]) -> Path | None:
    """``ca``: a PEM file relative to the profile, the local stand-in for ``CUSTOM_JDBC_CERT``."""
    if "ca" not in entry:
        return None
    where = f"local profile {path}: [connections.{name}] ca"
    if entry.get("ssl") is not True:
        raise EtlError(f"{where} is used only with verified TLS: add ssl = true")
    ca = (path.parent / str(entry["ca"])).resolve()
    if not ca.is_file():
        raise EtlError(f"{where}: no file {ca}; give the path of the CA certificate (PEM)")
    return ca


def _catalog_table(path: Path, name: str, entry: Any) -> ResolvedTable:
    """A ``[catalog."database.table"]`` entry: a JDBC table or files (see the module doc)."""
    where = f'local profile {path}: [catalog."{name}"]'
    if not isinstance(entry, dict) or "." not in name:
        raise EtlError(f'{where} must be a table named "database.table"')
    for key in entry:
        if key not in _CATALOG_KEYS:
            raise EtlError(f"{where} unknown key '{key}'{did_you_mean(key, _CATALOG_KEYS)}")
    if ("connection" in entry) == ("path" in entry):
        raise EtlError(f"{where} needs either connection and table (a JDBC table) or path (files)")
    if "connection" in entry:
        extra = sorted(set(entry) - {"connection", "table"})
        if extra:
            raise EtlError(f"{where} with connection takes only table, not {', '.join(extra)}")
        if "table" not in entry:
            raise EtlError(f'{where} needs table, what goes after FROM (e.g. "public.orders")')
        return JdbcTable(str(entry["connection"]), str(entry["table"]))
    if "table" in entry:
        raise EtlError(f"{where} with path takes format, schema and options, not table")
    file_format = str(entry.get("format", "parquet"))
    if file_format not in FILE_FORMATS:
        raise EtlError(f"{where} format {file_format!r}: use one of {', '.join(FILE_FORMATS)}")
    options = entry.get("options", {})
    if not isinstance(options, dict):
        raise EtlError(f'{where} options must be a table, e.g. options = {{ sep = ";" }}')
    location = str(entry["path"])
    return FileTable(
        location=location if "://" in location else _file_uri((path.parent / location).resolve()),
        format=file_format,
        options={str(k): str(v) for k, v in options.items()},
        schema=str(entry["schema"]) if "schema" in entry else None,
    )


def _toml() -> Any:
    """``tomllib`` (Python 3.11+) or the ``tomli`` backport; only local runs read TOML."""
    name = "tomllib" if sys.version_info >= (3, 11) else "tomli"
    try:
        return importlib.import_module(name)
    except ImportError:
        raise EtlError("local profiles need Python 3.11+ or `pip install tomli`") from None


class ProfileConnectionResolver:
    """Resolve connection names from a :class:`LocalProfile` and the environment."""

    def __init__(self, profile: LocalProfile, environ: Mapping[str, str] | None = None) -> None:
        self._profile = profile
        self._environ = os.environ if environ is None else environ

    def resolve(self, name: str) -> JdbcConnection:
        entry = self._profile.connections.get(name)
        if entry is None:
            known = list(self._profile.connections)
            raise ConnectionResolutionError(
                f"connection '{name}' is not in the local profile{did_you_mean(name, known)}; "
                f"add a [connections.{name}] table with url, user_env and password_env"
            )
        missing = [v for v in (entry.user_env, entry.password_env) if v not in self._environ]
        if missing:
            raise ConnectionResolutionError(
                f"connection '{name}': set the environment variable(s) {', '.join(missing)}"
            )
        return JdbcConnection(
            name=name,
            url=entry.url,
            user=self._environ[entry.user_env],
            password=self._environ[entry.password_env],
            ssl=entry.ssl,
            trust=trust(name, read_ca(name, str(entry.ca)), origin=str(entry.ca))
            if entry.ssl and entry.ca
            else Trust(),
        )


class ProfileCatalog:
    """Resolve Data Catalog table names from the ``[catalog]`` section of a profile.

    The profile says where the table's data is here; partitions are the directories Spark
    discovers, so no partition is listed and predicates filter the read.
    """

    def __init__(self, profile: LocalProfile) -> None:
        self._profile = profile

    def table(
        self, database: str, name: str, partition_expression: str | None = None
    ) -> ResolvedTable:
        key = f"{database}.{name}"
        found = self._profile.catalog.get(key)
        if found is None:
            raise EtlError(
                f"Data Catalog table {key} is not in the local profile"
                f"{did_you_mean(key, self._profile.catalog)}; add a section that says what it "
                f'is here, either a JDBC table:\n  [catalog."{key}"]\n'
                '  connection = "my-rds-vpc-connection"\n  table = "public.orders"\n'
                f'or files:\n  [catalog."{key}"]\n  path = "data/{name}"\n  format = "parquet"'
            )
        return found
