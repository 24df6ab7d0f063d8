"""Streaming jobs run until stopped, as Glue intends; batch jobs keep a finite timeout.

A finite `timeout` on a gluestreaming job makes Glue stop the stream when it expires (AWS:
a streaming run whose timeout is under 7 days is not restarted), so a stream gets no timeout
unless its config sets one; a batch job may not go without one.
"""

from __future__ import annotations

import re

from generator.config.loader import load_config
from generator.rendering.render import render
from tests.conftest import CONFIGS
from tests.generator.config_variants import assert_rejected, parse, variant

STREAM = {"name": "clicks", "script": "jobs/my_glue_job.py", "command": "gluestreaming"}


def rendered_timeouts(main: str) -> dict[str, str]:
    """Job name -> the `timeout` the root module gives it."""
    jobs = re.findall(r'^    "?([\w-]+)"? = \{\n(.*?)^    \}', main, re.MULTILINE | re.DOTALL)
    return {
        name: found.group(1)
        for name, body in jobs
        if (found := re.search(r"^\s+timeout\s+=\s+(\S+)$", body, re.MULTILINE))
    }


def test_streaming_jobs_default_to_no_timeout_batch_jobs_to_an_hour() -> None:
    loaded = load_config(CONFIGS / "aurora-mysql-3az.yaml")
    timeouts = {job.name: job.timeout_minutes for job in loaded.config.jobs}
    assert timeouts == {
        "nightly_batch": 60,
        "clickstream": None,
        "housekeeping": 60,
        "backfill": 60,
    }
    main = render(loaded).files["main.tf"]
    assert isinstance(main, str)
    assert rendered_timeouts(main) == {
        "nightly_batch": "60",
        "clickstream": "null",
        "housekeeping": "60",
        "backfill": "60",
    }


def test_an_explicit_timeout_on_a_stream_is_kept() -> None:
    loaded = parse(variant(("jobs", [{**STREAM, "timeout_minutes": 720}])))
    assert loaded.config.jobs[0].timeout_minutes == 720
    main = render(loaded).files["main.tf"]
    assert isinstance(main, str) and rendered_timeouts(main) == {"clicks": "720"}


def test_no_timeout_on_a_batch_job_is_refused() -> None:
    data = variant()
    data["jobs"][0]["timeout_minutes"] = None  # variant() deletes a key set to None
    assert_rejected(data, "jobs[0].timeout_minutes", "null (no timeout) is for streaming jobs")
