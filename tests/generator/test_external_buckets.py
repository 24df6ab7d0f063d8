"""Buckets the stack does not own, and account-wide Data Catalog encryption as an opt-in.

The config tests read the parsed model. The rendering tests plan the external-database test
config (two external buckets with keys, the account's catalog key named, no settings of its own)
for real against the local emulator, and offline with placeholders for what AWS assigns at apply
(as the parliament test does), where the job role's policy depends on the platform key's ARN;
and a minimal stack with `catalog_encryption.enabled`. They read policies and resources from the
plans. The verify tests widen the planned S3
endpoint policy, or its declaration, the way a hand edit would and assert the endpoint check fails
and names the culprit.
"""

from __future__ import annotations

import copy
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.config.errors import ConfigError
from generator.config.loader import LoadedConfig, load_config, parse_text
from generator.rendering.render import render
from generator.rendering.writer import write_tree
from generator.terraform.emulator import Emulator
from generator.terraform.plan import Plan
from generator.terraform.runner import Terraform
from generator.terraform.verify import Verifier
from tests.conftest import CONFIGS
from tests.conftest import Terraform as TerraformFixture
from tests.generator.plan_json import Policy, resource, resources, statement, with_policy
from tests.generator.test_iam_parliament import planned_changes, policies, secrets_endpoint

CONFIG = CONFIGS / "external-database.yaml"
LAKE, LANDING = "acme.data-lake.eu-west-1", "acme-landing"
KEY = "arn:aws:kms:eu-west-1:123456789012:key/"
LAKE_KEY = KEY + "0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b"
LANDING_KEY = KEY + "5a4b3c2d-1e0f-4a5b-8c7d-6e5f4a3b2c1d"
CATALOG_KEY = KEY + "aaaabbbb-cccc-dddd-eeee-ffff00001111"
S3 = "module.network.aws_vpc_endpoint.s3"
ROLE_POLICY = "module.glue.aws_iam_role_policy.this"
SETTINGS = "module.glue.aws_glue_data_catalog_encryption_settings.this"
CHECK = "s3-endpoint-platform-buckets-only"
READS = ["s3:GetBucketLocation", "s3:GetObject", "s3:GetObjectVersion", "s3:ListBucket"]


def config_data() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(CONFIG.read_text())
    return data


def load(data: dict[str, Any]) -> LoadedConfig:
    return parse_text(yaml.safe_dump(data), CONFIGS, "external-buckets.yaml")


def problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load(data)
    return [f"{p.path} | {p.message} | {p.fix}" for p in raised.value.problems]


# --- the config --------------------------------------------------------------------------------


def test_catalog_encryption_is_off_unless_asked() -> None:
    data = config_data()
    del data["glue"]
    catalog = load(data).config.glue.catalog_encryption
    assert (catalog.enabled, catalog.kms_key_arn, catalog.in_effect) == (False, None, False)
    named = load(config_data()).config.glue.catalog_encryption
    assert (named.enabled, named.kms_key_arn, named.in_effect) == (False, CATALOG_KEY, True)


def test_the_old_boolean_shape_says_what_to_write_instead() -> None:
    data = config_data()
    data["glue"] = {"catalog_encryption": True}
    (found,) = problems(data)
    assert found.startswith("glue.catalog_encryption")
    assert "{enabled: true}" in found and "{kms_key_arn: ARN}" in found


@pytest.mark.parametrize(
    "name",
    ["Acme-Lake", "a", "lake..archive", "192.168.1.1", "arn:aws:s3:::lake", "s3://lake", "lake-*"],
)
def test_an_external_bucket_name_s3_never_allows_is_refused(name: str) -> None:
    data = config_data()
    data["storage"]["external_buckets"][0]["name"] = name
    found = problems(data)
    assert found and all(f.startswith("storage.external_buckets[0].name") for f in found), found


def test_an_external_bucket_listed_twice_or_owned_by_the_stack_is_refused() -> None:
    data = config_data()
    data["storage"]["data_bucket"] = "ext-db-lake"
    data["storage"]["external_buckets"] += [
        {"name": LAKE, "access": "read_write"},
        {"name": "ext-db-lake", "access": "read"},
        {"name": "ext-db-temp-123456789012", "access": "read"},
    ]
    found = problems(data)
    assert any(f.startswith("storage.external_buckets | bucket 'acme.data-lake") for f in found)
    assert any(f.startswith("storage.external_buckets[3].name | 'ext-db-lake'") for f in found)
    assert any(f.startswith("storage.external_buckets[4].name | 'ext-db-temp-") for f in found)
    assert len(found) == 3, found


# --- the planned stacks ------------------------------------------------------------------------


def plan_of(loaded: LoadedConfig, stack: Path) -> dict[str, Any]:
    """`terraform show -json` of the stack rendered into `stack`, planned against the emulator."""
    write_tree(stack, render(loaded).files)
    with Emulator() as emulator, tempfile.TemporaryDirectory() as tmp:
        runner = Terraform(emulator.scratch_copy(stack, Path(tmp) / "scratch"))
        runner.init()
        runner.plan("tfplan")
        return runner.show_plan("tfplan")


@pytest.fixture(scope="module")
def planned(terraform: TerraformFixture, tmp_path_factory: pytest.TempPathFactory) -> dict:
    return plan_of(load_config(CONFIG), tmp_path_factory.mktemp("external") / "stack")


__all__ = ["secrets_endpoint"]  # the fixture, imported for role_policy


@pytest.fixture(scope="module")
def role_policy(
    terraform: TerraformFixture, tmp_path_factory: pytest.TempPathFactory, secrets_endpoint: str
) -> dict:
    """The job role's policy statements by Sid, planned offline as the parliament test plans
    every stack (every ARN known)."""
    loaded = load_config(CONFIG)
    stack = tmp_path_factory.mktemp("offline")
    write_tree(stack, render(loaded).files)
    changes = planned_changes(stack, loaded.config.region, terraform, secrets_endpoint)
    (document,) = [doc for address, _, doc in policies(changes) if address == ROLE_POLICY]
    return {s["Sid"]: s for s in json.loads(document)["Statement"]}


def statements(data: dict[str, Any], address: str) -> dict[str, dict[str, Any]]:
    """The policy statements of the resource at `address`, by Sid."""
    policy = json.loads(resource(data, address)["values"]["policy"])
    return {s["Sid"]: s for s in policy["Statement"]}


def listed(value: str | list[str]) -> list[str]:
    return sorted([value] if isinstance(value, str) else value)


def arns(bucket: str) -> list[str]:
    return [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]


@pytest.mark.terraform
@pytest.mark.emulator
@pytest.mark.xdist_group("buckets")
def test_the_endpoint_admits_each_external_bucket_with_its_access_only(planned: dict) -> None:
    found = statements(planned, S3)
    read, write = (
        found["ReadExternalBucketsForThisAccount"],
        found["ReadWriteExternalBucketsForThisAccount"],
    )
    assert (listed(read["Resource"]), listed(read["Action"])) == (arns(LAKE), READS)
    assert listed(write["Resource"]) == arns(LANDING)
    assert "s3:PutObject" in write["Action"] and "s3:PutBucketPolicy" not in write["Action"]
    for granted in (read, write):
        assert granted["Condition"] == {"StringEquals": {"aws:PrincipalAccount": "123456789012"}}
    platform = listed(found["PlatformBucketsForThisAccount"]["Resource"])
    assert not set(platform) & set(arns(LAKE) + arns(LANDING))


@pytest.mark.terraform
@pytest.mark.emulator
@pytest.mark.xdist_group("buckets")
def test_the_job_role_gets_the_configured_access_and_the_keys_through_s3_only(
    role_policy: dict,
) -> None:
    found = role_policy
    read, write = found["ReadExternalBuckets"], found["ReadWriteExternalBuckets"]
    assert (listed(read["Resource"]), listed(read["Action"])) == (arns(LAKE), READS)
    assert listed(write["Resource"]) == arns(LANDING)
    assert {"s3:PutObject", "s3:DeleteObject"} <= set(write["Action"])
    decrypt, encrypt = found["DecryptExternalBucketObjects"], found["EncryptExternalBucketObjects"]
    assert listed(decrypt["Resource"]) == sorted([LAKE_KEY, LANDING_KEY])
    assert decrypt["Action"] == "kms:Decrypt"
    # Only the written bucket's key encrypts; the read-only lake's key never does.
    assert (encrypt["Resource"], encrypt["Action"]) == (LANDING_KEY, "kms:GenerateDataKey")
    for granted in (decrypt, encrypt):
        assert granted["Condition"] == {
            "StringEquals": {"kms:ViaService": "s3.eu-west-1.amazonaws.com"}
        }


@pytest.mark.terraform
@pytest.mark.emulator
@pytest.mark.xdist_group("buckets")
def test_an_existing_catalog_key_is_granted_and_the_account_settings_are_left_alone(
    planned: dict, role_policy: dict
) -> None:
    catalog = role_policy["UseCatalogKey"]
    assert catalog["Resource"] == CATALOG_KEY
    assert listed(catalog["Action"]) == ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]
    assert not [r for r in resources(planned) if r["type"].endswith("catalog_encryption_settings")]


@pytest.mark.terraform
@pytest.mark.emulator
@pytest.mark.xdist_group("buckets")
def test_catalog_encryption_enabled_sets_the_account_settings_with_the_platform_key(
    terraform: TerraformFixture, tmp_path: Path
) -> None:
    data = yaml.safe_load((CONFIGS / "minimal.yaml").read_text())
    data["glue"] = {"catalog_encryption": {"enabled": True}}
    loaded = parse_text(yaml.safe_dump(data), CONFIGS, "enabled.yaml")
    plan = Plan(plan_of(loaded, tmp_path / "stack"))
    (settings,) = plan.of_type("aws_glue_data_catalog_encryption_settings")
    values = settings.values["data_catalog_encryption_settings"][0]
    assert values["connection_password_encryption"][0]["return_connection_password_encrypted"]
    assert values["encryption_at_rest"][0]["catalog_encryption_mode"] == "SSE-KMS"
    platform_key = {("module.kms", "aws_kms_key.this")}
    for block, attribute in (
        ("connection_password_encryption", "aws_kms_key_id"),
        ("encryption_at_rest", "sse_aws_kms_key_id"),
    ):
        path = ("data_catalog_encryption_settings", 0, block, 0, attribute)
        assert plan.resolve(settings.key, *path) == platform_key
    # The platform key already serves the role (UsePlatformKey): no second grant.
    assert '"UseCatalogKey"' not in (tmp_path / "stack" / "glue" / "main.tf").read_text()


def test_the_default_stack_leaves_account_settings_alone() -> None:
    default = render(load_config(CONFIGS / "minimal.yaml")).files["glue/main.tf"]
    assert isinstance(default, str)
    assert "aws_glue_data_catalog_encryption_settings" not in default
    assert "catalog_kms_key_arn" not in default


# --- verify ------------------------------------------------------------------------------------


def failures(data: dict[str, Any]) -> list[str]:
    return {r.check.id: r.failures for r in Verifier(Plan(data), Path(".")).run()}[CHECK]


@pytest.mark.terraform
@pytest.mark.emulator
@pytest.mark.xdist_group("buckets")
def test_the_planned_external_buckets_verify(planned: dict) -> None:
    assert failures(planned) == []


@pytest.mark.terraform
@pytest.mark.emulator
@pytest.mark.xdist_group("buckets")
@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda p: statement(p, "ReadWriteExternalBucketsForThisAccount").update(Resource="*"),
            "ReadWriteExternalBucketsForThisAccount admits *, which is neither a platform bucket "
            "nor a configured external bucket",
        ),
        (
            lambda p: statement(p, "ReadExternalBucketsForThisAccount").update(
                Resource=["arn:aws:s3:::acme-archive", "arn:aws:s3:::acme-archive/*"]
            ),
            "ReadExternalBucketsForThisAccount admits arn:aws:s3:::acme-archive, which is "
            "neither a platform bucket nor a configured external bucket",
        ),
        (
            lambda p: statement(p, "ReadExternalBucketsForThisAccount").update(
                Resource="arn:aws:s3:::acme-*/*"
            ),
            "admits arn:aws:s3:::acme-*/*, which is neither",
        ),
        (
            lambda p: statement(p, "ReadExternalBucketsForThisAccount")["Action"].append(
                "s3:PutObject"
            ),
            f"allows s3:putobject on arn:aws:s3:::{LAKE}, beyond the access configured",
        ),
        (
            lambda p: statement(p, "ReadWriteExternalBucketsForThisAccount")["Action"].append(
                "s3:PutBucketPolicy"
            ),
            f"allows s3:putbucketpolicy on arn:aws:s3:::{LANDING}, beyond the access configured",
        ),
        (
            lambda p: statement(p, "ReadExternalBucketsForThisAccount").pop("Condition"),
            "ReadExternalBucketsForThisAccount admits any principal",
        ),
    ],
    ids=[
        "to *",
        "unconfigured bucket",
        "wildcard bucket",
        "write a read bucket",
        "bucket policy",
        "any principal",
    ],
)
def test_an_external_statement_widened_fails(
    planned: dict, edit: Callable[[Policy], None], expected: str
) -> None:
    found = failures(with_policy(planned, S3, edit))
    assert any(expected in f for f in found), found


@pytest.mark.terraform
@pytest.mark.emulator
@pytest.mark.xdist_group("buckets")
@pytest.mark.parametrize(
    "declared",
    [{"*": "read_write"}, {LAKE: "read", LANDING: "admin"}, None],
    ids=["wildcard name", "unknown access", "not a literal"],
)
def test_a_declaration_that_names_no_bucket_admits_nothing(
    planned: dict, declared: dict[str, str] | None
) -> None:
    """Widening the declaration itself does not help: a wildcard, an unknown access or a
    non-literal input configures no bucket, so the endpoint's statements for it fail."""
    changed = copy.deepcopy(planned)
    call = changed["configuration"]["root_module"]["module_calls"]["network"]
    call["expressions"]["external_buckets"] = (
        {"constant_value": declared} if declared else {"references": ["local.buckets"]}
    )
    found = failures(changed)
    assert any(f"arn:aws:s3:::{LANDING}, which is neither" in f for f in found), found
