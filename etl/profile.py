"""Local profiles: what a named connection and an ``s3://`` location mean on a laptop or in CI.

A profile is a TOML file (comments allowed, no extra dependency on Python 3.11+)::

    [connections.my-rds-vpc-connection]
    url = "jdbc:postgresql://127.0.0.1:5432/app"   # same database name as in AWS
    user_env = "APP_DB_USER"                        # environment variables, never literals
    password_env = "APP_DB_PASSWORD"
    ssl = false                                     # optional; true = require TLS

    [paths]
    "s3://my-bucket" = "data/my-bucket"             # relative to this file

    [spark]
    "spark.jars" = "/usr/share/java/postgresql.jar"

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

from etl.connections import JdbcConnection
from etl.errors import ConnectionResolutionError, EtlError
from etl.options import did_you_mean

_CONNECTION_KEYS = ("url", "user_env", "password_env", "ssl")
_S3_SCHEMES = ("s3://", "s3a://", "s3n://")


@dataclasses.dataclass(frozen=True)
class LocalConnection:
    """A profile entry: URL plus the names of the environment variables holding credentials."""

    url: str
    user_env: str
    password_env: str
    ssl: bool = False


@dataclasses.dataclass(frozen=True)
class LocalProfile:
    """Connections, ``s3://`` prefix -> local directory mappings and extra Spark settings."""

    connections: Mapping[str, LocalConnection] = dataclasses.field(default_factory=dict)
    paths: Mapping[str, Path] = dataclasses.field(default_factory=dict)
    spark: Mapping[str, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> LocalProfile:
        """Read a TOML profile; relative directories are relative to the profile file."""
        try:
            data = _toml().loads(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise EtlError(f"cannot read local profile {path}: {exc.strerror}") from None
        except ValueError as exc:
            raise EtlError(f"local profile {path} is not valid TOML: {exc}") from None
        unknown = set(data) - {"connections", "paths", "spark"}
        if unknown:
            key = sorted(unknown)[0]
            hint = did_you_mean(key, ["connections", "paths", "spark"])
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
        return cls(connections=connections, paths=paths, spark=spark)

    def local_path(self, uri: str) -> str:
        """Map ``s3://bucket/key`` to ``file:///dir/key`` using the longest matching prefix."""
        if not uri.startswith(_S3_SCHEMES):
            return uri
        normalised = "s3://" + uri.split("://", 1)[1]
        for prefix in sorted(self.paths, key=len, reverse=True):
            plain = "s3://" + prefix.split("://", 1)[1]
            if normalised == plain or normalised.startswith(plain + "/"):
                rest = normalised[len(plain) :].lstrip("/")
                return (self.paths[prefix] / rest).as_uri() if rest else self.paths[prefix].as_uri()
        bucket = "s3://" + normalised[5:].split("/", 1)[0]
        raise EtlError(
            f"no local directory for {uri}; add it to the local profile, e.g. "
            f'[paths] "{bucket}" = "data/{bucket[5:]}"'
        )


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
        )
