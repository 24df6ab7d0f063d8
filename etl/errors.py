"""Exceptions raised by etl.

Every error a user can cause derives from :class:`EtlError` so that the CLI can turn it into one
clear message (exit code 2) instead of a traceback, while bugs still surface as tracebacks.
"""

from __future__ import annotations


class EtlError(Exception):
    """A problem the user can fix: bad options, missing connection, schema mismatch, ..."""


class OptionError(EtlError, TypeError):
    """An option is unknown, missing or has an invalid value (a typo must never be a no-op)."""


class ArgumentError(EtlError):
    """A job argument is missing, unknown-but-close-to-a-known-one, or cannot be converted."""


class ConnectionResolutionError(EtlError):
    """A named connection could not be turned into a JDBC URL and credentials."""


class SchemaMismatchError(EtlError):
    """Data read from a source does not match the schema the source declares."""


class JdbcConnectError(EtlError):
    """A JDBC connection failed: permanently (bad password, unknown database or table) or
    transiently beyond the retry budget.  The message names the connection, never a secret."""

    def __init__(self, message: str, *, connection: str, attempts: int, transient: bool) -> None:
        super().__init__(message)
        self.connection = connection
        self.attempts = attempts
        self.transient = transient


class DataQualityError(EtlError):
    """Too many malformed input rows (quarantine threshold), or rows that went missing."""


class StateError(EtlError):
    """The incremental-load state (watermark) next to the output is unreadable or inconsistent."""


class CatalogRegistrationError(EtlError):
    """A sink's output was published but registering it in the catalog failed; the run's
    publish journal keeps the registration, which the next run completes first."""
