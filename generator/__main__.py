"""`python -m generator` runs the glueprint CLI."""

from generator.cli import main

main()
