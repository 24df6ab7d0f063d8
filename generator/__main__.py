"""`python -m generator` runs the glueprint CLI."""

from generator.cli.main import main

main()
