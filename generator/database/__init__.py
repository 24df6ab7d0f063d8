"""The stack's own database as the jobs see it: the Glue user's bootstrap and its SQL."""
