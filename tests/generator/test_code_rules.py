"""Config and job code agree: what the cross-checks accept, and `glueprint check` applying them.

What they refuse is in the bad-config catalogue (tests/configs/bad/50-53); here, each refusal's
way out is accepted, so the rules cannot refuse more than they say.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from generator.cli.jobs import check
from generator.config.errors import ConfigError
from tests.conftest import CONFIGS
from tests.generator.config_variants import parse, variant


def one_job(script: str, **fields: Any) -> dict[str, Any]:
    """The default config with one job running `script` (relative to tests/configs)."""
    return variant(("jobs", [{"name": "curate", "script": script, **fields}]))


def problem_paths(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as info:
        parse(data, CONFIGS)
    return [p.path for p in info.value.problems]


def test_a_catalog_table_needs_the_catalog_and_is_accepted_with_it() -> None:
    assert problem_paths(one_job("jobs/catalog_table.py")) == ["jobs[0].catalog"]
    loaded = parse(one_job("jobs/catalog_table.py", catalog=True), CONFIGS)
    assert loaded.config.jobs[0].catalog


def test_required_arguments_are_accepted_once_the_config_passes_them() -> None:
    """`--run_date` from the config; `--data_bucket` from glueprint; the rest have defaults."""
    assert problem_paths(one_job("jobs/required_arguments.py")) == ["jobs[0].arguments"]
    passed = one_job("jobs/required_arguments.py", arguments={"--run_date": "2026-01-31"})
    assert parse(passed, CONFIGS).config.jobs[0].arguments == {"--run_date": "2026-01-31"}


def test_glue_passes_job_name_and_bookmarks_on_accept_bookmark_keys() -> None:
    """getResolvedOptions(["JOB_NAME", "target_path"]): Glue passes JOB_NAME to every run."""
    arguments = {"--target_path": "s3://lake/orders/"}
    off = one_job("jobs/bookmarked.py", arguments=arguments)
    assert problem_paths(off) == ["jobs[0].bookmarks"]
    on = parse(one_job("jobs/bookmarked.py", arguments=arguments, bookmarks=True), CONFIGS)
    assert [e.service for e in on.layout.endpoints] == [
        "glue",
        "kms",
        "logs",
        "monitoring",
        "secretsmanager",
    ]


def test_an_unreadable_script_is_left_to_the_script_rule() -> None:
    assert problem_paths(one_job("jobs/missing.py")) == ["jobs[0].script"]


def test_check_applies_the_code_rules_too(tmp_path: Path) -> None:
    (tmp_path / "jobs").mkdir()
    script = (CONFIGS / "jobs" / "catalog_table.py").read_text()
    (tmp_path / "jobs" / "curate.py").write_text(script)
    config = {
        "project": "demo",
        "region": "eu-west-1",
        "connections": [{"name": "net", "type": "NETWORK"}],
        "jobs": [{"name": "curate", "script": "jobs/curate.py"}],
    }
    path = tmp_path / "glueprint.yaml"
    path.write_text(yaml.safe_dump(config))

    refused = CliRunner().invoke(check, ["--config", str(path)])
    assert refused.exit_code == 2, refused.output
    assert "jobs[0].catalog: jobs/curate.py uses the Glue Data Catalog" in refused.stderr
    assert "fix: set catalog: true" in refused.stderr

    config["jobs"][0]["catalog"] = True
    path.write_text(yaml.safe_dump(config))
    accepted = CliRunner().invoke(check, ["--config", str(path)])
    assert accepted.exit_code == 0, accepted.output
