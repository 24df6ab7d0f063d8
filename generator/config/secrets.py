"""What counts as a secret in a job argument: one set of rules for the config (`generate`),
`verify` (on the planned stack, edits included) and `run --on glue` (run-time arguments).

Glue may log job arguments and Terraform keeps them in state, so a secret never belongs there:
only where it lives (a Secrets Manager id or ARN) does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

SECRET_KEY = re.compile(
    r"pass(word|wd)?|secret|token|api[-_]?key|credential|private[-_]?key", re.IGNORECASE
)
REFERENCE_KEY = re.compile(r"[-_](id|arn|name)$", re.IGNORECASE)
"""`--secret_id`, `--token_arn`: a key that names where a secret lives, not the secret."""
SECRET_VALUES = (
    (re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"), "an AWS access key id"),
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"), "a private key"),
    (re.compile(r"(?i)\b(password|pwd)=[^&;\s]+"), "a password parameter"),
    (re.compile(r"://[^/\s:@]+:[^/\s@]+@"), "credentials in a URL"),
)


@dataclass(frozen=True)
class SecretFinding:
    """Why an argument looks like it carries a secret, and the fix."""

    in_name: bool
    """True when the argument's name suggests a secret, False when its value holds one."""
    holds: str
    """What was found: "a secret" (by name) or e.g. "an AWS access key id"."""
    what: str
    fix: str


def secret_findings(key: str, value: str) -> list[SecretFinding]:
    """Every reason `key=value` looks like a secret: the name first, then each value pattern."""
    findings = []
    if SECRET_KEY.search(key) and not REFERENCE_KEY.search(key):
        findings.append(
            SecretFinding(
                True,
                "a secret",
                "the argument name suggests a secret; Glue may log job "
                "arguments and they are stored in Terraform state",
                "keep the secret in Secrets Manager and pass its id (e.g. --db_secret_id)",
            )
        )
    for pattern, holds in SECRET_VALUES:
        if pattern.search(value):
            findings.append(
                SecretFinding(
                    False,
                    holds,
                    f"the value contains {holds}; Glue may log job arguments",
                    "keep the secret in Secrets Manager and pass its id instead",
                )
            )
    return findings


def find_secret(key: str, value: str) -> SecretFinding | None:
    """The first reason `key=value` looks like a secret, or None."""
    return next(iter(secret_findings(key, value)), None)
