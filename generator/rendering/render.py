"""Render a validated config into the files of a Terraform root module and its child modules.

Rendering is pure: it returns `{relative path: content}` and writes nothing, so a failure at any
point leaves the output directory untouched (`generator.rendering.writer` does the writing).
Output is deterministic: the same config text gives byte-identical files.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2

from generator import __version__
from generator.config.catalog import ENDPOINT_IAM_PREFIX, ENGINES
from generator.config.certificates import ca_certificate_upload
from generator.config.external import external_egress
from generator.config.loader import LoadedConfig
from generator.config.rds_catalog import DB_PARAMETERS
from generator.config.schema import JobConfig
from generator.rendering.hclfmt import format_hcl
from generator.rendering.jobspec import (
    Locations,
    default_arguments,
    default_log_groups,
    execution_class,
    log_group_prefix,
    log_groups,
    python_version,
    role_name,
    security_configuration_name,
)
from generator.rendering.package import ARCHIVE_NAME, etl_archive
from generator.rendering.provenance import stamp

MODULE_FILES = ("main.tf", "variables.tf", "outputs.tf", "versions.tf")


@dataclass(frozen=True)
class Rendered:
    """The rendered stack: file contents by relative path, plus facts for the summary."""

    files: dict[str, str | bytes]
    """Text files, plus the etl library zip (bytes)."""
    modules: tuple[str, ...]


def templates_dir() -> Path:
    """Templates ship inside the wheel as generator/templates; in a checkout they sit at the top."""
    package = Path(__file__).resolve().parent.parent
    packaged = package / "templates"
    return packaged if packaged.is_dir() else package.parent / "templates"


class HclTemplate(str):
    """A string whose `${...}` interpolations Terraform evaluates (only glueprint's own)."""


def hcl(value: Any) -> str:
    """A Python value as an HCL literal (strings escaped, so `${` stays literal)."""
    if isinstance(value, HclTemplate):
        whole = re.fullmatch(r"\$\{([^$]*)\}", value)
        return whole.group(1) if whole else hcl_template(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value).replace("${", "$${").replace("%{", "%%{")
    if isinstance(value, list | tuple):
        return "[" + ", ".join(hcl(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        body = "\n".join(f"{_hcl_key(k)} = {hcl(v)}" for k, v in value.items())
        return "{\n" + body + "\n}"
    raise TypeError(f"no HCL literal for {type(value).__name__}")


def _hcl_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_-]*", key) else json.dumps(key)


def hcl_template(value: str) -> str:
    """A quoted HCL string whose `${...}` interpolations are meant to be evaluated."""
    return '"' + value + '"'


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters["hcl"] = hcl
    env.filters["hcl_template"] = hcl_template
    return env


def origin(loaded: LoadedConfig) -> str:
    """What made a file and from which config (name and content hash)."""
    return f"{__version__} from {loaded.source_name} (config sha256 {loaded.digest})."


def bucket_names(loaded: LoadedConfig) -> dict[str, str]:
    """Bucket name (or HCL template of it) by purpose; defaults embed the account ID."""
    storage = loaded.config.storage
    explicit = {
        "scripts": storage.scripts_bucket,
        "data": storage.data_bucket,
        "temp": storage.temp_bucket,
        "logs": storage.logs_bucket,
    }
    suffix = {"scripts": "scripts", "data": "data", "temp": "temp", "logs": "access-logs"}
    return {
        purpose: name or f"${{local.name}}-{suffix[purpose]}-${{local.account_id}}"
        for purpose, name in explicit.items()
    }


def terraform_locations(loaded: LoadedConfig) -> Locations:
    """Where Terraform-owned jobs find the platform, as templates of the root module."""
    return Locations(
        data_bucket="${local.bucket_names.data}",
        temp_bucket="${local.bucket_names.temp}",
        library="${module.storage.library_location}",
        wheels={
            wheel.name: f'${{module.storage.wheel_locations["{wheel.name}"]}}'
            for job in terraform_jobs(loaded)
            for wheel in job.python_wheels
        },
        log_group_prefix=log_group_prefix("${local.name}"),
        security_configuration=security_configuration_name("${local.name}"),
        role_name=role_name("${local.name}"),
    )


def terraform_jobs(loaded: LoadedConfig) -> list[JobConfig]:
    """Jobs whose definition and code the stack owns (the rest are `glueprint deploy`'s)."""
    return [job for job in loaded.config.jobs if job.owner == "terraform"]


def _job_arguments(loaded: LoadedConfig, where: Locations) -> dict[str, dict[str, str]]:
    """Each Terraform-owned job's arguments; glueprint's own are templates, the user's literal."""
    return {
        job.name: {
            key: value if key in job.arguments else HclTemplate(value)
            for key, value in default_arguments(job, where).items()
        }
        for job in terraform_jobs(loaded)
    }


def _context(loaded: LoadedConfig) -> dict[str, Any]:
    config, layout = loaded.config, loaded.layout
    database = config.database
    engine = ENGINES[database.engine] if database else None
    where = terraform_locations(loaded)
    ca_upload = ca_certificate_upload(config, loaded.base_dir)
    externals = {c.name: c.external for c in config.connections if c.external is not None}
    return {
        "config": config,
        "layout": layout,
        "database": database,
        "external_databases": externals,
        "external_egress": external_egress(externals.values()),
        "engine": engine,
        "family": engine.parameter_group_family(database.version) if engine and database else None,
        "db_parameters": DB_PARAMETERS[engine.name] if engine else (),
        "endpoints": bool(layout.endpoints),
        "endpoint_iam_prefixes": {
            e.service: ENDPOINT_IAM_PREFIX.get(e.service, e.service) for e in layout.endpoints
        },
        "uses_catalog": any(job.catalog for job in config.jobs),
        "glue_subnets": {s.az: str(s.cidr) for s in layout.glue_subnets},
        "database_subnets": {s.az: str(s.cidr) for s in layout.database_subnets},
        "bucket_names": bucket_names(loaded),
        "library_name": ARCHIVE_NAME,
        "terraform_jobs": terraform_jobs(loaded),
        "execution_class": execution_class,
        "python_version": python_version,
        "job_arguments": _job_arguments(loaded, where),
        "log_groups": {
            key: HclTemplate(name)
            for job in config.jobs
            for key, name in log_groups(job, where).items()
        }
        | {key: HclTemplate(name) for key, name in default_log_groups(config.jobs, where).items()},
        "role_name": HclTemplate(where.role_name),
        "security_configuration_name": HclTemplate(where.security_configuration),
        "wheels": sorted({w.name for job in terraform_jobs(loaded) for w in job.python_wheels}),
        "ca_certificate": ca_upload[0] if ca_upload else None,
        "default_tags": config.resource_tags,
    }


def modules_for(loaded: LoadedConfig) -> tuple[str, ...]:
    """Child modules this config needs, in dependency order."""
    modules = ["kms", "network", "security"]
    if loaded.layout.endpoints:
        modules.append("endpoints")
    modules.append("storage")
    if loaded.config.database is not None:
        modules.append("database")
    modules.append("glue")
    return tuple(modules)


def render(loaded: LoadedConfig) -> Rendered:
    """Render every file of the stack in memory."""
    env = _environment()
    context = _context(loaded)
    made_by = origin(loaded)
    files: dict[str, str | bytes] = {}
    modules = modules_for(loaded)
    for module in ("root", *modules):
        prefix = "" if module == "root" else f"{module}/"
        for name in MODULE_FILES:
            template = "_versions.tf.j2" if name == "versions.tf" else f"{module}/{name}.j2"
            body = env.get_template(template).render(context)
            files[prefix + name] = stamp(made_by, "\n" + format_hcl(body) if body.strip() else "")
    readme = env.get_template("root/README.md.j2").render(
        context, resource_counts=resource_counts(files, modules)
    )
    files["README.md"] = stamp(made_by, "\n" + readme, markdown=True)
    for job in terraform_jobs(loaded):
        files[f"scripts/{job.name}.py"] = (loaded.base_dir / job.script).read_text(encoding="utf-8")
        for wheel in job.python_wheels:
            files[f"wheels/{wheel.name}"] = (loaded.base_dir / wheel).read_bytes()
    ca_upload = ca_certificate_upload(loaded.config, loaded.base_dir)
    if ca_upload is not None:
        files[ca_upload[0]] = ca_upload[1].read_bytes()
    files[f"lib/{ARCHIVE_NAME}"] = etl_archive()
    return Rendered(files=dict(sorted(files.items())), modules=modules)


def resource_counts(files: dict[str, str | bytes], modules: tuple[str, ...]) -> dict[str, int]:
    """Resource blocks declared in each child module's main.tf."""
    counts = {}
    for module in modules:
        text = files[f"{module}/main.tf"]
        assert isinstance(text, str)
        counts[module] = len(re.findall(r'^resource "', text, flags=re.MULTILINE))
    return counts
