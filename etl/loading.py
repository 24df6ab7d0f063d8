"""Importing a job script by path, as Glue does: a job file is a script, not a package module."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from etl.errors import EtlError
from etl.job import Job


def load_job(path: Path) -> Job[..., Any]:
    """Import ``path`` and return the one :class:`~etl.job.Job` it defines.

    The module gets a name derived from the absolute path, so two ``jobs/`` directories never
    collide, and ``__name__`` is not ``"__main__"``, so the script's ``main()`` does not run.
    """
    path = path.resolve()
    if not path.is_file():
        raise EtlError(f"job script {path} does not exist")
    digest = hashlib.sha1(str(path).encode(), usedforsecurity=False).hexdigest()[:10]
    module_name = f"_glueprint_job_{path.stem.replace('-', '_')}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise EtlError(f"cannot import {path}: not a Python file")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except EtlError as exc:
        sys.modules.pop(module_name, None)
        raise EtlError(f"{path}: {exc}") from None
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    jobs = [value for value in vars(module).values() if isinstance(value, Job)]
    if len(jobs) != 1:
        found = ", ".join(j.name for j in jobs) or "none"
        raise EtlError(
            f"{path} must define exactly one @job (found {found}); split jobs into separate files"
        )
    return jobs[0]
