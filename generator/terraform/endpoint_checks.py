"""`verify`'s endpoint checks: no exfiltration path through the VPC endpoints.

With no internet path, the endpoints are the only way out of the VPC, and an endpoint passes
whatever its policy admits (no policy: everything). An endpoint policy widened by hand to
`s3:*` on `*` for any principal would let a job copy the data to any bucket in the world, so
these checks read each endpoint's planned policy and accept only Allow statements that are
scoped to this account's principals and to the platform's (or this account's) resources. Deny
statements only narrow what the Allow statements admit, so they are not needed for the proof.

Buckets the stack does not own are admitted only as the stack declares them: by name, in the
literal `external_buckets` input of the S3 endpoint's module, each with only the actions of its
configured access (read, or read_write).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from generator.config.buckets import bucket_name_problem
from generator.terraform.checks import Stack, check
from generator.terraform.plan import Instance, Key

S3_DATA_ACTIONS = frozenset(
    action.lower()
    for action in (
        "s3:AbortMultipartUpload",
        "s3:DeleteObject",
        "s3:DeleteObjectVersion",
        "s3:GetBucketLocation",
        "s3:GetObject",
        "s3:GetObjectVersion",
        "s3:ListBucket",
        "s3:ListBucketMultipartUploads",
        "s3:ListBucketVersions",
        "s3:ListMultipartUploadParts",
        "s3:PutObject",
    )
)
"""Object data and listing: what jobs do to the platform's buckets. Bucket configuration, ACL
and policy actions are not here: replication or a grant could hand the data to another account."""
EXTERNAL_READS = frozenset(
    {"s3:getbucketlocation", "s3:getobject", "s3:getobjectversion", "s3:listbucket"}
)
EXTERNAL_ACCESS = {"read": EXTERNAL_READS, "read_write": S3_DATA_ACTIONS}
"""The actions an external bucket may get through the endpoint, by its configured access."""
AWS_OWNED_BUCKETS = ("aws-glue-",)
"""Name prefixes of the AWS-owned buckets Glue reads its assets from (never written to)."""
AWS_OWNED_READS = frozenset({"s3:getobject", "s3:listbucket"})
ACCOUNT_EQUALS = ("stringequals", "stringequalsignorecase")


@dataclass(frozen=True)
class Statement:
    """One Allow statement of an endpoint policy, normalised (lists, lower-case actions)."""

    sid: str
    actions: tuple[str, ...]
    resources: tuple[str, ...]
    principal: Any
    conditions: dict[str, dict[str, tuple[str, ...]]]
    """operator (lower case) -> condition key (lower case) -> values."""
    negated: tuple[str, ...]
    """NotAction / NotResource / NotPrincipal elements present."""

    def account_condition(self, key: str) -> set[str] | None:
        """The accounts an equality condition on `key` pins, None when none does."""
        for operator in ACCOUNT_EQUALS:
            values = self.conditions.get(operator, {}).get(key.lower())
            if values:
                return set(values)
        return None


def _listed(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(str(v) for v in value) if isinstance(value, list) else (str(value),)


def allow_statements(document: str) -> list[Statement]:
    """The Allow statements of a policy document (ValueError if it is not one)."""
    parsed = json.loads(document)
    raw = parsed.get("Statement") if isinstance(parsed, dict) else None
    if raw is None:
        raise ValueError("no Statement element")
    statements = raw if isinstance(raw, list) else [raw]
    return [
        Statement(
            sid=str(s.get("Sid") or f"#{i}"),
            actions=tuple(a.lower() for a in _listed(s.get("Action"))),
            resources=_listed(s.get("Resource")),
            principal=s.get("Principal"),
            conditions={
                op.lower(): {key.lower(): _listed(v) for key, v in keys.items()}
                for op, keys in (s.get("Condition") or {}).items()
            },
            negated=tuple(k for k in ("NotAction", "NotResource", "NotPrincipal") if k in s),
        )
        for i, s in enumerate(statements)
        if s.get("Effect") == "Allow"
    ]


def _arn_account(arn: str) -> str | None:
    parts = arn.split(":")
    return parts[4] if len(parts) >= 6 and parts[0] == "arn" else None


def _principal_problem(statement: Statement, account: str) -> str | None:
    """Why the statement admits principals outside `account`, or None if it does not."""
    pinned = statement.account_condition("aws:PrincipalAccount")
    if pinned is not None:
        return None if pinned == {account} else f"admits principals of accounts {sorted(pinned)}"
    principal = statement.principal
    named = _listed(principal.get("AWS")) if isinstance(principal, dict) else ()
    if (
        named
        and set(principal) == {"AWS"}
        and all(p == account or _arn_account(p) == account for p in named)
    ):
        return None
    return f"admits any principal (no aws:PrincipalAccount = {account} condition)"


def _bucket_of(resource: str) -> str | None:
    """The bucket (name or pattern) an S3 resource ARN names; None for anything else ("*")."""
    if not resource.startswith("arn:") or ":s3:::" not in resource:
        return None
    return resource.split(":s3:::", 1)[1].split("/", 1)[0]


def s3_statement_problems(
    statement: Statement, buckets: set[str], external: Mapping[str, frozenset[str]]
) -> Iterator[str]:
    """What lets the statement reach beyond the platform's buckets, the configured external
    buckets (`external`: the actions each may get) and Glue's assets."""
    wildcards = [a for a in statement.actions if "*" in a]
    if wildcards:
        yield f"allows {', '.join(wildcards)}, which includes bucket policy and replication"
    for resource in statement.resources:
        bucket = _bucket_of(resource)
        if bucket in buckets:
            configuration = sorted(set(statement.actions) - S3_DATA_ACTIONS - set(wildcards))
            if configuration:
                yield f"allows {', '.join(configuration)} on {resource}, not only object data"
        elif bucket is not None and bucket in external:
            beyond = sorted(set(statement.actions) - external[bucket] - set(wildcards))
            if beyond:
                yield (
                    f"allows {', '.join(beyond)} on {resource}, beyond the access configured "
                    "for that external bucket"
                )
        elif bucket is not None and bucket.startswith(AWS_OWNED_BUCKETS):
            writes = sorted(set(statement.actions) - AWS_OWNED_READS)
            if writes:
                yield f"allows {', '.join(writes)} on the AWS-owned {resource}, not only reads"
        else:
            yield (
                f"admits {resource}, which is neither a platform bucket nor a configured "
                "external bucket"
            )


def interface_statement_problems(statement: Statement, account: str) -> Iterator[str]:
    """What lets the statement reach resources of another account."""
    pinned = statement.account_condition("aws:ResourceAccount")
    if pinned is not None:
        if pinned != {account}:
            yield f"admits resources of accounts {sorted(pinned)}"
        return
    foreign = [r for r in statement.resources if _arn_account(r) != account]
    if foreign:
        yield (
            f"admits {', '.join(foreign)} of any account "
            f"(no aws:ResourceAccount = {account} condition)"
        )


def statement_problems(statement: Statement, account: str) -> Iterator[str]:
    """Problems of any endpoint's Allow statement: negations and unscoped principals."""
    for element in statement.negated:
        yield f"uses {element} in an Allow, which admits everything not listed"
    problem = _principal_problem(statement, account)
    if problem:
        yield problem


def caller_account(stack: Stack) -> str | None:
    """The account the plan was made in (data.aws_caller_identity, read at plan time)."""
    pending = [stack.plan.data.get("prior_state", {}).get("values", {}).get("root_module", {})]
    while pending:
        module = pending.pop()
        for resource in module.get("resources", []):
            if resource.get("type") == "aws_caller_identity":
                account = (resource.get("values") or {}).get("account_id")
                return str(account) if account else None
        pending += module.get("child_modules", [])
    return None


def _policies(stack: Stack) -> Iterator[tuple[Instance, Instance]]:
    """(endpoint, resource holding a policy for it): the endpoint itself, and any standalone
    aws_vpc_endpoint_policy, which replaces the endpoint's own."""
    endpoints: dict[Key, list[Instance]] = {}
    for endpoint in stack.plan.of_type("aws_vpc_endpoint"):
        endpoints.setdefault(endpoint.key, []).append(endpoint)
        yield endpoint, endpoint
    for policy in stack.plan.of_type("aws_vpc_endpoint_policy"):
        for key in stack.plan.resolve(policy.key, "vpc_endpoint_id"):
            for endpoint in endpoints.get(key, []):
                yield endpoint, policy


def configured_external_buckets(stack: Stack, endpoint: Instance) -> dict[str, frozenset[str]]:
    """The actions each external bucket may get through `endpoint`: the literal
    `external_buckets` input (name -> read or read_write) of the endpoint's module. An input that
    is not literal, a name that is no bucket name (a wildcard) or an unknown access configures
    nothing, so a policy admitting it fails."""
    declared = stack.plan.module_input(endpoint.module, "external_buckets")
    if not isinstance(declared, dict):
        return {}
    return {
        name: EXTERNAL_ACCESS[access]
        for name, access in declared.items()
        if bucket_name_problem(name) is None and access in EXTERNAL_ACCESS
    }


def _is_s3(endpoint: Instance) -> bool:
    return str(endpoint.values.get("service_name", "")).endswith(".s3")


def _policy_problems(holder: Instance, account: str | None) -> tuple[list[Statement], list[str]]:
    """The holder's Allow statements, or why they cannot be judged."""
    if holder.is_unknown("policy"):
        return [], [f"{holder.address}: the policy is unknown until apply, so it cannot be proven"]
    document = holder.values.get("policy")
    if not document:
        return [], [f"{holder.address}: no policy, so AWS's default admits every call"]
    if account is None:
        return [], [f"{holder.address}: the account is unknown (no aws_caller_identity read)"]
    try:
        return allow_statements(str(document)), []
    except ValueError as exc:
        return [], [f"{holder.address}: the policy is not a policy document ({exc})"]


@check(
    "s3-endpoint-platform-buckets-only",
    "The S3 endpoint admits only the platform's buckets, the configured external buckets and "
    "Glue's assets, for this account",
    "Through an S3 endpoint open to other buckets or principals, a job could copy the data to "
    "any bucket in the world, or foreign credentials could use the VPC's path to S3.",
    "Allow object actions on the platform buckets, the configured access on the buckets in "
    "storage.external_buckets and reads of aws-glue-* assets only, each with the condition "
    "aws:PrincipalAccount = this account.",
)
def s3_endpoint_platform_buckets_only(stack: Stack) -> Iterator[str]:
    buckets = {str(b.values.get("bucket")) for b in stack.plan.of_type("aws_s3_bucket")}

    def problems(endpoint: Instance, statement: Statement, _: str) -> Iterator[str]:
        external = configured_external_buckets(stack, endpoint)
        return s3_statement_problems(statement, buckets, external)

    yield from _endpoint_findings(stack, s3=True, problems=problems)


@check(
    "interface-endpoints-this-account-only",
    "Interface endpoints admit only this account's principals and resources",
    "An endpoint open to any account lets a job write data to another account's log group, "
    "secret or key, and lets stolen credentials of another account use the VPC's path.",
    "Give every Allow statement the conditions aws:PrincipalAccount and aws:ResourceAccount = "
    "this account.",
)
def interface_endpoints_this_account_only(stack: Stack) -> Iterator[str]:
    yield from _endpoint_findings(
        stack,
        s3=False,
        problems=lambda _, statement, account: interface_statement_problems(statement, account),
    )


def _endpoint_findings(
    stack: Stack, *, s3: bool, problems: Callable[[Instance, Statement, str], Iterable[str]]
) -> Iterator[str]:
    """Each S3 (``s3``) or interface endpoint's policy problems, then each allowing statement's:
    the account conditions every endpoint needs, plus ``problems`` of that endpoint kind."""
    account = caller_account(stack)
    for endpoint, holder in _policies(stack):
        if _is_s3(endpoint) != s3:
            continue
        statements, policy_problems = _policy_problems(holder, account)
        yield from policy_problems
        for statement in statements:
            found = [
                *statement_problems(statement, account or ""),
                *problems(endpoint, statement, account or ""),
            ]
            yield from (f"{holder.address}: statement {statement.sid} {p}" for p in found)
