"""The job comparison against the shape real Glue answers GetJob with (the emulator echoes what
it was sent, so these shapes are written out here from the Glue API reference)."""

from __future__ import annotations

from typing import Any

from generator.shipping.deploy import job_differences

DESIRED: dict[str, Any] = {
    "Description": "",
    "Role": "arn:aws:iam::123456789012:role/shop-glue",
    "GlueVersion": "5.0",
    "Command": {
        "Name": "glueetl",
        "ScriptLocation": "s3://b/deploy/jobs/j.py",
        "PythonVersion": "3",
    },
    "DefaultArguments": {"--job-language": "python", "--TempDir": "s3://t/j/"},
    "Connections": {"Connections": ["net", "net-az2"]},
    "ExecutionProperty": {"MaxConcurrentRuns": 1},
    "MaxRetries": 0,
    "Timeout": 60,
    "SecurityConfiguration": "shop",
    "WorkerType": "G.1X",
    "NumberOfWorkers": 2,
    "ExecutionClass": "STANDARD",
}

# What GetJob returns for that job: no Description or ExecutionClass, derived capacity fields,
# a Command with Glue's own extras, timestamps.
REAL_GET_JOB: dict[str, Any] = {
    "Name": "j",
    "Role": DESIRED["Role"],
    "CreatedOn": "2026-11-30T05:00:00Z",
    "LastModifiedOn": "2026-11-30T05:00:00Z",
    "ExecutionProperty": {"MaxConcurrentRuns": 1},
    "Command": {**DESIRED["Command"], "Runtime": None},
    "DefaultArguments": dict(DESIRED["DefaultArguments"]),
    "Connections": {"Connections": ["net", "net-az2"]},
    "MaxRetries": 0,
    "AllocatedCapacity": 2,
    "Timeout": 60,
    "MaxCapacity": 2.0,
    "WorkerType": "G.1X",
    "NumberOfWorkers": 2,
    "SecurityConfiguration": "shop",
    "GlueVersion": "5.0",
    "JobMode": "SCRIPT",
}


def test_a_job_glue_reports_in_its_own_shape_is_unchanged() -> None:
    assert job_differences(REAL_GET_JOB, DESIRED) == []


def test_each_difference_is_named_down_to_the_argument() -> None:
    current = {
        **REAL_GET_JOB,
        "NumberOfWorkers": 5,
        "DefaultArguments": {"--job-language": "python", "--extra": "x"},
        "Connections": {"Connections": ["net-az2", "net"]},  # failover order matters
        "NonOverridableArguments": {"--additional-python-modules": "requests"},
    }
    assert job_differences(current, DESIRED) == [
        "DefaultArguments[--TempDir]",
        "DefaultArguments[--extra]",
        "Connections",
        "NumberOfWorkers",
        "NonOverridableArguments (set outside glueprint)",
    ]
