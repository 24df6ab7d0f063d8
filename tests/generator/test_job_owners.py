"""Who owns a job: the stack renders only the jobs Terraform owns, and every job's log group."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from generator.config.loader import load_config
from generator.rendering.render import render
from tests.conftest import CONFIGS

WHEEL = "tinyfmt-1.0.0-py3-none-any.whl"


def test_deploy_owned_job_is_left_out_of_the_stack_but_keeps_its_log_group() -> None:
    files = render(load_config(CONFIGS / "deploy-owned.yaml")).files
    root = str(files["main.tf"])
    jobs_block = root[root.index("  jobs = {") :]

    assert '"compact" = {' in jobs_block and '"compact-ci"' not in jobs_block
    base = "/aws-glue/jobs/${local.name}/compact-ci/${local.name}-role/${local.name}-glue"
    assert f'"compact-ci/output" = "{base}/output"' in root
    assert f'"compact-ci/error"  = "{base}/error"' in root
    assert "scripts/compact.py" in files and "scripts/compact-ci.py" not in files
    assert "--source_prefix" not in root  # only the deploy-owned job sets it


def test_wheels_ship_from_the_scripts_bucket_without_an_index() -> None:
    loaded = load_config(CONFIGS / "deploy-owned.yaml")
    files = render(loaded).files
    root = str(files["main.tf"])

    assert files[f"wheels/{WHEEL}"] == (CONFIGS / "wheels" / WHEEL).read_bytes()
    assert f'"{WHEEL}" = "${{path.module}}/wheels/{WHEEL}"' in root
    assert f'module.storage.wheel_locations["{WHEEL}"]' in root
    assert re.search(r'"--python-modules-installer-option" += "--no-index"', root)
    assert 'resource "aws_s3_object" "wheel"' in str(files["storage/main.tf"])


def test_user_arguments_stay_literal_and_managed_ones_are_templates(tmp_path: Path) -> None:
    config = yaml.safe_load((CONFIGS / "deploy-owned.yaml").read_text())
    config["jobs"][0]["arguments"] = {"--pattern": "${not_interpolated}"}
    (tmp_path / "glueprint.yaml").write_text(yaml.safe_dump(config))
    for folder in ("jobs", "wheels"):
        shutil.copytree(CONFIGS / folder, tmp_path / folder)

    root = str(render(load_config(tmp_path / "glueprint.yaml")).files["main.tf"])

    assert re.search(r'"--pattern" += "\$\$\{not_interpolated\}"', root)
    assert re.search(r'"--TempDir" += "s3://\$\{local\.bucket_names\.temp\}/compact/"', root)


def test_log_groups_follow_the_glue_version(tmp_path: Path) -> None:
    """Glue 5.0+ logs under --custom-logGroup-prefix with the security configuration and role
    in the names; 4.0 uses continuous logging, whose group gets `-<configuration>` appended."""
    config = yaml.safe_load((CONFIGS / "deploy-owned.yaml").read_text())
    config["jobs"][0]["glue_version"] = "4.0"
    (tmp_path / "glueprint.yaml").write_text(yaml.safe_dump(config))
    for folder in ("jobs", "wheels"):
        shutil.copytree(CONFIGS / folder, tmp_path / folder)

    root = str(render(load_config(tmp_path / "glueprint.yaml")).files["main.tf"])

    assert re.search(
        r'"compact" += "/aws-glue/jobs/\$\{local.name\}/compact-\$\{local.name\}"', root
    )
    assert re.search(
        r'"--continuous-log-logGroup" += "/aws-glue/jobs/\$\{local.name\}/compact"', root
    )
    assert re.search(
        r'"compact-ci/output" += "/aws-glue/jobs/\$\{local.name\}/compact-ci/\$\{local.name\}', root
    )
    assert root.count("--enable-continuous-cloudwatch-log") == 1  # only the 4.0 job has it
