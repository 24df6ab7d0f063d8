"""Local profile files: TOML, strict keys, s3:// prefixes mapped to local directories."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from etl.errors import EtlError
from etl.profile import LocalConnection, LocalProfile

PROFILE = """
# comments are allowed
[connections.my-rds-vpc-connection]
url = "jdbc:postgresql://127.0.0.1:5432/app"
user_env = "APP_DB_USER"
password_env = "APP_DB_PASSWORD"

[paths]
"s3://data-bucket" = "data/bucket"
"s3://data-bucket/curated/" = "/srv/curated"

[spark]
"spark.jars" = "/usr/share/java/postgresql.jar"
"""


def test_profile_file_is_loaded_with_paths_relative_to_it(tmp_path: Path) -> None:
    (tmp_path / "glueprint.local.toml").write_text(PROFILE)
    profile = LocalProfile.load(tmp_path / "glueprint.local.toml")
    assert profile.connections["my-rds-vpc-connection"] == LocalConnection(
        "jdbc:postgresql://127.0.0.1:5432/app", "APP_DB_USER", "APP_DB_PASSWORD"
    )
    assert profile.paths["s3://data-bucket"] == tmp_path / "data" / "bucket"
    assert profile.spark == {"spark.jars": "/usr/share/java/postgresql.jar"}


def test_longest_prefix_wins_and_s3a_is_the_same_bucket(tmp_path: Path) -> None:
    (tmp_path / "p.toml").write_text(PROFILE)
    profile = LocalProfile.load(tmp_path / "p.toml")
    assert profile.local_path("s3://data-bucket/curated/x/") == "file:///srv/curated/x"
    assert (
        profile.local_path("s3a://data-bucket/raw/a.csv")
        == (tmp_path / "data/bucket/raw/a.csv").as_uri()
    )
    assert profile.local_path("/already/local") == "/already/local"


def test_unmapped_bucket_explains_how_to_map_it() -> None:
    with pytest.raises(EtlError, match=r'\[paths\] "s3://other" = "data/other"'):
        LocalProfile().local_path("s3://other/x")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[conections.x]\nurl="jdbc:x://h/d"',
            r"unknown section \[conections\].*did you mean 'connections'",
        ),
        (
            '[connections.x]\nurl="jdbc:x://h/d"\nuser_env="U"\npasword_env="P"',
            "did you mean 'password_env'",
        ),
        ('[connections.x]\nurl="jdbc:x://h/d"', "needs user_env, password_env"),
        ('[paths]\n"/tmp" = "x"', "must start with s3://"),
        ("[paths\n", "not valid TOML"),
    ],
)
def test_profile_mistakes_are_explained(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "p.toml").write_text(text)
    with pytest.raises(EtlError, match=message):
        LocalProfile.load(tmp_path / "p.toml")


def test_missing_toml_parser_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Python 3.10 (Glue 4.0) has no tomllib: without the tomli backport, say so."""
    (tmp_path / "p.toml").write_text(PROFILE)
    monkeypatch.setitem(sys.modules, "tomllib", None)  # None in sys.modules: ImportError
    monkeypatch.setitem(sys.modules, "tomli", None)
    with pytest.raises(EtlError, match=r"Python 3\.11\+ or `pip install tomli`"):
        LocalProfile.load(tmp_path / "p.toml")
