"""The `state:` section: where Terraform keeps the stack's state, as an S3 backend.

The stack cannot create the bucket its own state lives in (Terraform needs the bucket before the
first plan), so the section names an existing bucket. The backend always encrypts the state and
locks it with S3's conditional writes (`use_lockfile`, Terraform >= 1.10), so no DynamoDB table
is needed. Names are checked here, before `terraform init` would fail on them, by S3's rules.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StringConstraints

from generator.config.buckets import bucket_name_problem
from generator.config.external import KmsKeyArn
from generator.config.strict import STRICT

KEY_CHARACTERS = re.compile(r"[A-Za-z0-9!_.*'()/-]+")
"""S3's "safe characters" for object keys: nothing that needs URL encoding or escaping."""
KEY_MAX_BYTES = 1024
REGION_PATTERN = r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-[0-9]$"
"""An AWS region name (the stack's own and the state bucket's)."""


def _bucket_name(name: str) -> str:
    """S3's bucket naming rules (:func:`generator.config.buckets.bucket_name_problem`), and no
    dots: the backend talks HTTPS to `<bucket>.s3.<region>.amazonaws.com`, whose certificate
    does not cover a dotted name."""
    if "." in name:
        raise ValueError(
            "a state bucket name has no dots (HTTPS to a dotted bucket fails certificate checks)"
        )
    problem = bucket_name_problem(name)
    if problem:
        raise ValueError(problem)
    return name


def _state_key(key: str) -> str:
    """The backend refuses keys with a leading or trailing '/' or an empty segment; '.' and
    '..' segments would name a different object than they seem to."""
    if not KEY_CHARACTERS.fullmatch(key):
        raise ValueError(
            "a state key uses only a-z, A-Z, 0-9, '/' and !-_.*'() (S3's safe characters), "
            "e.g. glueprint/prod/terraform.tfstate"
        )
    if len(key.encode()) > KEY_MAX_BYTES:
        raise ValueError(f"a state key is at most {KEY_MAX_BYTES} bytes")
    segments = key.split("/")
    if "" in segments:
        raise ValueError(
            "a state key neither starts nor ends with '/' and has no '//' "
            "(e.g. glueprint/prod/terraform.tfstate)"
        )
    if {".", ".."} & set(segments):
        raise ValueError("a state key has no '.' or '..' segment: name the object's real path")
    return key


StateBucketName = Annotated[
    str,
    AfterValidator(_bucket_name),
    Field(description="Existing S3 bucket holding the state (the stack does not create it)."),
]
StateKey = Annotated[
    str,
    AfterValidator(_state_key),
    Field(description="Object key of the state, e.g. glueprint/prod/terraform.tfstate."),
]


class StateConfig(BaseModel):
    """Terraform state in S3: encrypted, and locked by a lock file beside it."""

    model_config = STRICT

    bucket: StateBucketName
    """Existing bucket for the state; create it first, versioned (the stack cannot create the
    bucket that holds its own state)."""
    key: StateKey
    """Object key of the state, e.g. glueprint/prod/terraform.tfstate."""
    region: Annotated[str, StringConstraints(pattern=REGION_PATTERN)] | None = None
    """AWS region of the state bucket, e.g. eu-west-1; default: the stack's region."""
    kms_key_id: KmsKeyArn | None = None
    """ARN of a customer managed KMS key to encrypt the state with; default: the bucket's
    default encryption (SSE-S3 unless the bucket says otherwise)."""
