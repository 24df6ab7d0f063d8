"""The config model: the YAML schema, its loader, the cross-field rules, the derived layout
(AZs, subnets, connections, endpoints) and the catalogue of Glue releases and AWS limits.

Submodules are imported directly (``generator.config.loader``); this package imports nothing,
so the stdlib-only ``catalog`` stays importable without pydantic (noxfile.py relies on it).
"""
