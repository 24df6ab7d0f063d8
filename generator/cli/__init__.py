"""The `glueprint` command line: one click group, one console, one error type."""
