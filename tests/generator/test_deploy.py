"""`glueprint deploy` and `glueprint run --on glue` against a stack applied to the emulator.

One stack (tests/configs/deploy-owned.yaml: a Terraform-owned job and a deploy-owned twin, both
shipping a wheel) is applied once per module; the tests deploy into the same emulated account
through the real CLI, with `generator.shipping.aws.client` pointed at the emulator (the one
boundary).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from generator.cli.main import cli
from generator.config.loader import load_config
from generator.rendering.package import etl_archive
from generator.rendering.render import render
from generator.rendering.writer import write_tree
from generator.shipping import aws
from generator.terraform.emulator import Emulator
from generator.terraform.runner import Terraform
from tests.conftest import CONFIGS
from tests.conftest import Terraform as TerraformFixture

# One worker runs this module (pytest -n): its tests share one stack applied to the emulator.
pytestmark = [pytest.mark.terraform, pytest.mark.emulator, pytest.mark.xdist_group("deploy")]

REGION = "eu-west-2"
WHEEL = "tinyfmt-1.0.0-py3-none-any.whl"


@dataclass
class Applied:
    emulator: Emulator
    workdir: Path
    outputs: dict[str, Any]

    def client(self, service: str) -> Any:
        return self.emulator.client(service, REGION)


@pytest.fixture(scope="module")
def applied(terraform: TerraformFixture) -> Iterator[Applied]:
    """tests/configs/deploy-owned.yaml generated and applied to a fresh emulated account."""
    with Emulator() as emulator, tempfile.TemporaryDirectory() as tmp:
        stack = Path(tmp) / "stack"
        write_tree(stack, render(load_config(CONFIGS / "deploy-owned.yaml")).files)
        workdir = emulator.scratch_copy(stack, Path(tmp) / "scratch")
        tf = Terraform(workdir)
        tf.init()
        tf.plan("tfplan")
        tf.apply("tfplan")
        yield Applied(emulator, workdir, tf.outputs())


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A writable copy of the config with its job script and wheel."""
    shutil.copy(CONFIGS / "deploy-owned.yaml", tmp_path / "glueprint.yaml")
    shutil.copytree(CONFIGS / "jobs", tmp_path / "jobs")
    shutil.copytree(CONFIGS / "wheels", tmp_path / "wheels")
    return tmp_path


@pytest.fixture
def invoke(applied: Applied, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setattr(aws, "client", applied.emulator.client)

    def run(*args: str) -> Result:
        return CliRunner().invoke(cli, list(args))

    return run


def sha16(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()[:16]


def job_arn(applied: Applied, job: str) -> str:
    account = applied.outputs["glue_role_arn"].split(":")[4]
    return f"arn:aws:glue:{REGION}:{account}:job/{job}"


def deploy(invoke: Any, applied: Applied, project: Path, *extra: str) -> Result:
    return invoke(
        "deploy", "-c", str(project / "glueprint.yaml"), "--stack", str(applied.workdir), *extra
    )


def test_stack_leaves_the_deploy_owned_job_to_deploy(applied: Applied) -> None:
    assert applied.outputs["job_names"] == ["compact"]
    groups = applied.outputs["job_log_groups"]
    assert set(groups) == {
        f"{j}/{s}" for j in ("compact", "compact-ci") for s in ("error", "output")
    }
    # Glue 5.0 names: <job prefix>/<security configuration>-role/<role name>/<stream>
    assert groups["compact-ci/output"] == (
        "/aws-glue/jobs/shipping/compact-ci/shipping-role/shipping-glue/output"
    )
    logs = applied.client("logs").describe_log_groups(logGroupNamePrefix="/aws-glue/jobs/")
    created = {g["logGroupName"]: g for g in logs["logGroups"]}
    assert set(groups.values()) <= set(created)
    assert all(created[name].get("kmsKeyId") for name in groups.values())
    glue = applied.client("glue")
    with pytest.raises(glue.exceptions.EntityNotFoundException):
        glue.get_job(JobName="compact-ci")


def test_deploy_creates_the_job_as_terraform_would_then_is_a_no_op(
    invoke: Any, applied: Applied, project: Path
) -> None:
    first = deploy(invoke, applied, project)
    assert first.exit_code == 0, first.output + first.stderr
    assert "4 create" in first.stdout  # library, script, wheel, job

    glue, s3 = applied.client("glue"), applied.client("s3")
    scripts = applied.outputs["buckets"]["scripts"]
    job = glue.get_job(JobName="compact-ci")["Job"]
    assert job["Connections"] == {"Connections": ["s3-vpc", "s3-vpc-az2"]}
    assert job["Command"]["ScriptLocation"] == f"s3://{scripts}/deploy/jobs/compact-ci.py"
    assert job["Role"] == applied.outputs["glue_role_arn"]
    assert job["SecurityConfiguration"] == applied.outputs["security_configuration_name"]
    assert (job["GlueVersion"], job["WorkerType"], job["NumberOfWorkers"]) == ("5.0", "G.1X", 3)
    arguments = job["DefaultArguments"]
    assert arguments["--source_prefix"] == "raw/"
    # Shared uploads are keyed by content: new code reaches exactly the jobs deployed with it.
    library = f"deploy/lib/{sha16(etl_archive())}/glueprint_etl-0.1.0.zip"
    wheel = f"deploy/wheels/{sha16((project / 'wheels' / WHEEL).read_bytes())}/{WHEEL}"
    assert arguments["--extra-py-files"] == f"s3://{scripts}/{library}"
    assert arguments["--additional-python-modules"] == f"s3://{scripts}/{wheel}"
    assert arguments["--python-modules-installer-option"] == "--no-index"

    # The twin Terraform deployed has the same managed arguments, up to its name and prefix.
    twin = glue.get_job(JobName="compact")["Job"]["DefaultArguments"]
    as_twin = {
        key: re.sub(r"/deploy/(lib|wheels)/[0-9a-f]{16}/", r"/\1/", value).replace(
            "compact-ci", "compact"
        )
        for key, value in arguments.items()
        if key != "--source_prefix"
    }
    assert as_twin == twin

    def body(key: str) -> bytes:
        return bytes(s3.get_object(Bucket=scripts, Key=key)["Body"].read())

    assert body("deploy/jobs/compact-ci.py") == (project / "jobs/extract.py").read_bytes()
    assert body(library) == etl_archive()
    assert body(wheel) == (project / "wheels" / WHEEL).read_bytes()
    tags = glue.get_tags(ResourceArn=job_arn(applied, "compact-ci"))["Tags"]
    assert tags == applied.outputs["resource_tags"] and tags["ManagedBy"] == "glueprint"

    modified = {
        o["Key"]: o["LastModified"]
        for o in s3.list_objects_v2(Bucket=scripts, Prefix="deploy/")["Contents"]
    }
    second = deploy(invoke, applied, project)
    assert second.exit_code == 0, second.output + second.stderr
    assert "0 create, 0 update, 4 unchanged" in second.stdout
    after = {
        o["Key"]: o["LastModified"]
        for o in s3.list_objects_v2(Bucket=scripts, Prefix="deploy/")["Contents"]
    }
    assert after == modified
    assert glue.get_job(JobName="compact-ci")["Job"]["LastModifiedOn"] == job["LastModifiedOn"]


def test_dry_run_shows_changes_and_writes_nothing_then_deploy_updates(
    invoke: Any, applied: Applied, project: Path
) -> None:
    assert deploy(invoke, applied, project).exit_code == 0
    config = project / "glueprint.yaml"
    config.write_text(config.read_text().replace("workers: 3", "workers: 4"))
    script = project / "jobs/extract.py"
    script.write_text(script.read_text() + "\n# changed\n")
    glue = applied.client("glue")

    dry = deploy(invoke, applied, project, "--dry-run")

    assert dry.exit_code == 0, dry.output + dry.stderr
    assert "would update" in dry.stdout and "NumberOfWorkers" in dry.stdout
    assert "0 create, 2 update, 2 unchanged; dry run, nothing was written" in dry.stdout
    assert glue.get_job(JobName="compact-ci")["Job"]["NumberOfWorkers"] == 3

    real = deploy(invoke, applied, project)

    assert real.exit_code == 0, real.output + real.stderr
    assert "0 create, 2 update, 2 unchanged" in real.stdout
    job = glue.get_job(JobName="compact-ci")["Job"]
    assert job["NumberOfWorkers"] == 4
    assert job["Connections"] == {"Connections": ["s3-vpc", "s3-vpc-az2"]}
    scripts = applied.outputs["buckets"]["scripts"]
    uploaded = applied.client("s3").get_object(Bucket=scripts, Key="deploy/jobs/compact-ci.py")
    assert uploaded["Body"].read() == script.read_bytes()
    assert "4 unchanged" in deploy(invoke, applied, project).stdout


def test_deploy_refuses_what_would_fight_terraform(
    invoke: Any, applied: Applied, project: Path, tmp_path: Path
) -> None:
    owned = deploy(invoke, applied, project, "compact")
    assert owned.exit_code == 2
    assert "owner: terraform" in owned.stderr

    config = project / "glueprint.yaml"
    text = config.read_text()
    config.write_text(text.replace("  - name: compact\n", "  - name: compact\n    owner: deploy\n"))
    in_state = deploy(invoke, applied, project, "compact")
    assert in_state.exit_code == 1
    assert (
        "terraform state rm" in in_state.stderr
        and "module.glue.aws_glue_job.this" in in_state.stderr
    )

    outputs = tmp_path / "outputs.json"
    stale = {k: {"value": v} for k, v in applied.outputs.items() if k != "job_log_groups"}
    outputs.write_text(json.dumps(stale))
    config.write_text(text)
    old_stack = invoke("deploy", "-c", str(config), "--outputs", str(outputs))
    assert old_stack.exit_code == 1
    assert "job_log_groups" in old_stack.stderr and "apply" in old_stack.stderr
    assert applied.client("glue").get_job(JobName="compact")["Job"]["NumberOfWorkers"] == 2


def test_run_on_glue_follows_the_run_to_its_end(
    invoke: Any, applied: Applied, project: Path
) -> None:
    assert deploy(invoke, applied, project).exit_code == 0

    result = invoke(
        "run",
        "compact-ci",
        "--on",
        "glue",
        "-c",
        str(project / "glueprint.yaml"),
        "--poll-seconds",
        "1",
        "--day",
        "2026-11-30",
    )

    assert result.exit_code == 0, result.output + result.stderr
    assert "SUCCEEDED" in result.stdout
    # The log groups the stack created are the ones Glue writes to.
    assert applied.outputs["job_log_groups"]["compact-ci/output"] in result.stdout
    (run,) = applied.client("glue").get_job_runs(JobName="compact-ci")["JobRuns"]
    assert run["Id"] in result.stdout.replace("\n", "")
    assert run["Arguments"]["--day"] == "2026-11-30"

    by_script = invoke(
        "run",
        str(project / "jobs/extract.py"),
        "--on",
        "glue",
        "-c",
        str(project / "glueprint.yaml"),
        "--poll-seconds",
        "1",
    )
    assert by_script.exit_code == 2 and "name the job" in by_script.stderr  # two jobs share it
    missing = invoke("run", "nightly", "--on", "glue", "-c", str(project / "glueprint.yaml"))
    assert missing.exit_code == 2 and "not a job" in missing.stderr


def test_changes_made_outside_glueprint_are_reported_and_undone(
    invoke: Any, applied: Applied, project: Path
) -> None:
    assert deploy(invoke, applied, project).exit_code == 0
    glue = applied.client("glue")
    job = glue.get_job(JobName="compact-ci")["Job"]
    update = {k: job[k] for k in ("Role", "Command", "DefaultArguments", "Connections")}
    glue.update_job(
        JobName="compact-ci",
        JobUpdate={**update, "NonOverridableArguments": {"--additional-python-modules": "x"}},
    )
    glue.tag_resource(ResourceArn=job_arn(applied, "compact-ci"), TagsToAdd={"Project": "other"})

    drifted = deploy(invoke, applied, project, "--dry-run")

    assert drifted.exit_code == 0, drifted.output + drifted.stderr
    for field in ("NonOverridableArguments", "NumberOfWorkers", "Tags[Project]"):
        assert field in drifted.stdout
    assert deploy(invoke, applied, project).exit_code == 0
    job = glue.get_job(JobName="compact-ci")["Job"]
    assert not job.get("NonOverridableArguments") and job["NumberOfWorkers"] == 3
    assert (
        glue.get_tags(ResourceArn=job_arn(applied, "compact-ci"))["Tags"]["Project"] == "shipping"
    )
    assert "4 unchanged" in deploy(invoke, applied, project).stdout
