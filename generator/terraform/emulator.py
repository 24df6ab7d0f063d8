"""A local AWS for applying a stack without an account: moto on loopback over HTTPS.

The generated code is never changed. Terraform runs in a scratch copy of the stack that gets one
extra file, `glueprint_emulator_override.tf`, pointing the provider at the emulator with fake
credentials. Known emulator gaps are handled here, at the harness:

* moto ignores `Condition` in bucket policies, so a conditional Deny (TLS-only, VPC-endpoint-only)
  would deny every request. The emulator evaluates bucket policies without their conditional
  statements, since it cannot evaluate them; every statement without a condition still applies.
* moto lists AWS managed policies (e.g. AmazonRDSEnhancedMonitoringRole) only when asked to load
  them; the emulator does.
* Glue `DeleteConnection`/`UpdateConnection` are not implemented, so an emulated stack is not
  destroyed or updated: each run starts a fresh, empty emulator.
* Glue `UpdateJob` is not implemented; the emulator adds it (the API replaces the whole job
  definition with the `JobUpdate`), so `glueprint deploy` can be tested updating a job.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

from generator.rendering.hclfmt import format_hcl

OVERRIDE_FILE = "glueprint_emulator_override.tf"
ACCESS_KEY = "testing"
SECRET_KEY = "testing"  # the emulator's fake credential, not a secret
ENDPOINT_SERVICES = (
    "cloudwatch",
    "cloudwatchlogs",
    "ec2",
    "glue",
    "iam",
    "kms",
    "rds",
    "s3",
    "secretsmanager",
    "sts",
)
SCRATCH_SKIP = (".terraform", "terraform.tfstate", "terraform.tfstate.backup", "tfplan")


class EmulatorUnavailableError(Exception):
    """moto[server] is not installed."""


def _policy_without_conditions(policy: bytes) -> str:
    document = json.loads(policy.decode())
    statements = document.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    document["Statement"] = [s for s in statements if "Condition" not in s]
    return json.dumps(document)


def _patch_bucket_policy_evaluation() -> None:
    from moto.iam.access_control import IAMPolicy, PermissionResult
    from moto.s3.models import FakeBucket

    def get_permission(self: FakeBucket, action: str, resource: str) -> Any:
        if self.policy is None:
            return PermissionResult.NEUTRAL
        return IAMPolicy(_policy_without_conditions(self.policy)).is_action_permitted(
            action, resource
        )

    FakeBucket.get_permission = get_permission  # type: ignore[method-assign]


JOB_UPDATE_FIELDS = {
    "Description": "description",
    "LogUri": "log_uri",
    "Role": "role",
    "ExecutionProperty": "execution_property",
    "Command": "command",
    "DefaultArguments": "default_arguments",
    "NonOverridableArguments": "non_overridable_arguments",
    "Connections": "connections",
    "MaxRetries": "max_retries",
    "AllocatedCapacity": "allocated_capacity",
    "Timeout": "timeout",
    "MaxCapacity": "max_capacity",
    "WorkerType": "worker_type",
    "NumberOfWorkers": "number_of_workers",
    "SecurityConfiguration": "security_configuration",
    "NotificationProperty": "notification_property",
    "GlueVersion": "glue_version",
    "ExecutionClass": "execution_class",
}
"""`JobUpdate` field -> attribute of moto's job model."""


def _add_glue_update_job() -> None:
    from moto.core.responses import ActionResult
    from moto.core.utils import utcnow
    from moto.glue.responses import GlueResponse

    def update_job(self: GlueResponse) -> ActionResult:
        name = self._get_param("JobName")
        update = self._get_param("JobUpdate") or {}
        job = self.glue_backend.get_job(name)  # EntityNotFoundException, as AWS answers
        for field, attribute in JOB_UPDATE_FIELDS.items():
            setattr(job, attribute, update.get(field))
        job.execution_class = job.execution_class or "STANDARD"
        job.last_modified_on = utcnow()
        return ActionResult({"JobName": name})

    GlueResponse.update_job = update_job  # type: ignore[attr-defined]


class Emulator:
    """moto server on 127.0.0.1 over HTTPS (self-signed), running in this process."""

    def __init__(self, port: int = 0) -> None:
        self._port = port
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Emulator:
        os.environ["MOTO_IAM_LOAD_MANAGED_POLICIES"] = "true"
        try:
            from moto.moto_server.werkzeug_app import (
                DomainDispatcherApplication,
                create_backend_app,
            )
            from werkzeug.serving import make_server
        except ImportError as exc:
            raise EmulatorUnavailableError(
                "the emulator needs moto[server]: pip install 'glueprint[emulator]'"
            ) from exc
        _patch_bucket_policy_evaluation()
        _add_glue_update_job()
        logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
        app = DomainDispatcherApplication(create_backend_app)
        self._server = make_server("127.0.0.1", self._port, app, threaded=True, ssl_context="adhoc")
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._server is not None:
            self._server.shutdown()
        if self._thread is not None:
            self._thread.join(timeout=10)

    @property
    def url(self) -> str:
        assert self._server is not None, "start the emulator first"
        return f"https://127.0.0.1:{self._server.server_port}"

    def client(self, service: str, region: str) -> Any:
        """A boto3 client for the emulated account (the certificate is self-signed)."""
        import boto3
        import urllib3

        # The certificate is self-signed and the server is on loopback: say so once, not per call.
        urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=self.url,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            verify=False,
        )

    def override_tf(self) -> str:
        """Provider settings that send every call to the emulator (scratch copies only)."""
        endpoints = "\n".join(f'{name} = "{self.url}"' for name in ENDPOINT_SERVICES)
        return format_hcl(
            "# Written by glueprint into a scratch copy: points the provider at the local\n"
            "# emulator. Never part of the generated stack.\n"
            'provider "aws" {\n'
            f'  access_key                  = "{ACCESS_KEY}"\n'
            f'  secret_key                  = "{SECRET_KEY}"\n'
            "  skip_credentials_validation = true\n"
            "  skip_metadata_api_check     = true\n"
            "  skip_region_validation      = true\n"
            "  s3_use_path_style           = true\n"
            "  insecure                    = true\n\n"
            "  endpoints {\n"
            f"{endpoints}\n"
            "  }\n"
            "}\n"
        )

    def scratch_copy(self, stack: Path, scratch: Path) -> Path:
        """Copy the stack (without state or provider caches) and add the override file."""
        shutil.copytree(stack, scratch, ignore=shutil.ignore_patterns(*SCRATCH_SKIP))
        (scratch / OVERRIDE_FILE).write_text(self.override_tf(), encoding="utf-8")
        return scratch
