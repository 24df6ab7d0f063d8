"""A small adapter over python-terraform for the commands glueprint runs.

python-terraform (0.10.1) builds Terraform command lines well, but it predates Terraform 1.x in
ways that matter here, so this adapter uses it only for argument generation and runs the
processes itself:

* it always runs with `os.environ` and cannot be given an environment, while glueprint must set
  `TF_CLI_CONFIG_FILE` (provider mirror) per call;
* its asynchronous mode leaks a `-synchronous=false` flag into the command line, so it cannot
  stream output; glueprint streams `-json` UI events line by line for the progress display.

It also points Terraform at a local provider mirror when one exists (this project's machines
have no registry access): `TF_CLI_CONFIG_FILE` is respected when it names a real file;
otherwise a CLI config for the mirror found via `GLUEPRINT_TF_MIRROR` or the usual locations is
written under the user's cache directory.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from python_terraform import IsFlagged
from python_terraform import Terraform as _ArgvBuilder

MIRROR_CANDIDATES = ("/opt/tf-plugins", "~/.terraform.d/plugins", "/usr/share/terraform/plugins")


class TerraformError(Exception):
    """A Terraform command failed; the message carries its diagnostics."""


@dataclass(frozen=True)
class Event:
    """One Terraform `-json` UI message (plan or apply progress)."""

    type: str
    message: str
    resource: str | None
    """Resource address the event is about, when it is about one."""
    action: str | None

    @classmethod
    def parse(cls, line: str) -> Event | None:
        try:
            data = json.loads(line)
        except json.JSONDecodeError:
            return None
        if not isinstance(data, dict):
            return None
        hook = data.get("hook") or {}
        resource = (hook.get("resource") or {}).get("addr")
        message = data.get("@message", "")
        # A diagnostic's summary alone ("Resource precondition failed") does not say why.
        detail = (data.get("diagnostic") or {}).get("detail")
        if detail:
            message = f"{message}: {detail}"
        return cls(data.get("type", ""), message, resource, hook.get("action"))


def find_mirror() -> Path | None:
    """Directory of a filesystem provider mirror holding hashicorp/aws, if there is one."""
    candidates = [os.environ.get("GLUEPRINT_TF_MIRROR", ""), *MIRROR_CANDIDATES]
    for candidate in candidates:
        if not candidate:
            continue
        path = Path(candidate).expanduser()
        if (path / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
            return path
    return None


def terraform_env(cache_dir: Path | None = None) -> dict[str, str]:
    """Environment for Terraform: the user's CLI config if it exists, else one for the mirror."""
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    configured = env.get("TF_CLI_CONFIG_FILE")
    if configured and Path(configured).is_file():
        return env
    env.pop("TF_CLI_CONFIG_FILE", None)
    mirror = find_mirror()
    if mirror is None:
        return env
    cache = (
        cache_dir or Path(os.environ.get("XDG_CACHE_HOME", "~/.cache")).expanduser() / "glueprint"
    )
    plugins = cache / "plugin-cache"
    plugins.mkdir(parents=True, exist_ok=True)
    rc = cache / "terraform.rc"
    text = (
        "# Written by glueprint: install providers from the local mirror, cache them.\n"
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/*"]\n  }\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n'
        f'plugin_cache_dir = "{plugins}"\n'
    )
    if not rc.is_file() or rc.read_text() != text:
        rc.write_text(text)
    env["TF_CLI_CONFIG_FILE"] = str(rc)
    return env


class Terraform:
    """Terraform commands in one working directory."""

    def __init__(self, workdir: Path, env: dict[str, str] | None = None) -> None:
        binary = shutil.which("terraform")
        if binary is None:
            raise TerraformError(
                "terraform is not on PATH; install Terraform >= 1.5 (https://developer.hashicorp.com/terraform/install)"
            )
        self.workdir = workdir
        self.env = env if env is not None else terraform_env()
        self._argv = _ArgvBuilder(working_dir=str(workdir), terraform_bin_path=binary)

    def _command(self, name: str, *args: str, **options: Any) -> list[str]:
        argv: list[str] = self._argv.generate_cmd_string(name, *args, **options)
        return argv

    def _run(self, argv: list[str]) -> str:
        proc = subprocess.run(
            argv, cwd=self.workdir, env=self.env, capture_output=True, text=True, check=False
        )
        if proc.returncode != 0:
            raise TerraformError(f"`{' '.join(argv[:2])}` failed:\n{proc.stderr or proc.stdout}")
        return proc.stdout

    def _stream(self, argv: list[str]) -> Iterator[Event]:
        with subprocess.Popen(
            argv,
            cwd=self.workdir,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        ) as proc:
            assert proc.stdout is not None and proc.stderr is not None
            diagnostics: list[str] = []
            for line in proc.stdout:
                event = Event.parse(line)
                if event is None:
                    continue
                if event.type == "diagnostic":
                    diagnostics.append(event.message)
                yield event
            stderr = proc.stderr.read()
            proc.wait()
        if proc.returncode != 0:
            detail = "\n".join(diagnostics) or stderr
            raise TerraformError(f"`{' '.join(argv[:2])}` failed:\n{detail}")

    def init(self) -> None:
        self._run(self._command("init", input=False, no_color=IsFlagged))

    def validate(self) -> dict[str, Any]:
        out = self._run(self._command("validate", json=IsFlagged, no_color=IsFlagged))
        result: dict[str, Any] = json.loads(out)
        if not result.get("valid"):
            raise TerraformError(
                "terraform validate: "
                + "; ".join(d.get("summary", "") for d in result.get("diagnostics", []))
            )
        return result

    def plan(self, plan_file: str, on_event: Callable[[Event], None] | None = None) -> None:
        argv = self._command("plan", input=False, out=plan_file, json=IsFlagged)
        for event in self._stream(argv):
            if on_event:
                on_event(event)

    def show_plan(self, plan_file: str) -> dict[str, Any]:
        plan: dict[str, Any] = json.loads(
            self._run(self._command("show", plan_file, json=IsFlagged, no_color=IsFlagged))
        )
        return plan

    def apply(self, plan_file: str, on_event: Callable[[Event], None] | None = None) -> None:
        argv = self._command("apply", plan_file, input=False, json=IsFlagged)
        for event in self._stream(argv):
            if on_event:
                on_event(event)

    def outputs(self) -> dict[str, Any]:
        raw: dict[str, Any] = json.loads(
            self._run(self._command("output", json=IsFlagged, no_color=IsFlagged))
        )
        return {name: value.get("value") for name, value in raw.items()}
