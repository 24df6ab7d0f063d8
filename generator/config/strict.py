"""The one pydantic configuration of every config model, here so that a section's model can
live in a module of its own (`external`) without importing `schema`, which imports it."""

from __future__ import annotations

from pydantic import ConfigDict

STRICT = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)
"""Unknown keys are errors (a typo must not silently fall back to a default); models are
immutable; attribute docstrings are the field descriptions `glueprint schema` and errors show."""
