"""Benchmarks of glueprint against the hand-written equivalents (run with `nox -s bench`).

Each suite creates its own data, runs the variants side by side in one process with warm-up
and repeats (interleaved, so drift hits every variant alike) and reports medians and ratios.
These are benchmarks, not tests: CI runs `nox -s bench -- --smoke` only so they cannot rot.
"""
