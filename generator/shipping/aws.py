"""The one place glueprint makes boto3 clients, so tests can point every command at the emulator."""

from __future__ import annotations

from typing import Any


def client(service: str, region: str) -> Any:
    """A boto3 client with the caller's usual credential chain (env, profile, role)."""
    import boto3

    return boto3.client(service, region_name=region)
