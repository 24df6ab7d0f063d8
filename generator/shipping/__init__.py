"""Shipping jobs: `deploy` for jobs the stack leaves to glueprint, `run --on glue`, and the one
place boto3 clients are made."""
