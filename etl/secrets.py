"""Keeping secret values out of logs.

etl never logs a password itself, but the credentials it hands to Spark travel to the JVM over
py4j, and py4j logs every command at DEBUG level (``py4j.clientserver``: ``Command to send:
... password ...``).  A job with ``logging.basicConfig(level=logging.DEBUG)`` would therefore
print the database password.  Every resolved :class:`~etl.connections.JdbcConnection` registers
its password here, and a filter on the py4j and etl loggers replaces registered values by
``***`` in every record before any handler sees it.  botocore, which logs whole response bodies
at DEBUG level, is kept at INFO while a secret is fetched (:func:`quiet_aws_debug_logging`).
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

_LOGGERS = ("py4j", "py4j.clientserver", "py4j.java_gateway", "py4j.protocol", "etl")
_MIN_LENGTH = 4  # redacting very short values would mangle unrelated text

_lock = threading.Lock()
_secrets: set[str] = set()


def redact_text(text: str) -> str:
    """``text`` with every registered secret replaced by ``***``."""
    with _lock:
        values = sorted(_secrets, key=len, reverse=True)
    for value in values:
        if value in text:
            text = text.replace(value, "***")
    return text


class RedactingFilter(logging.Filter):
    """Rewrites log records so that no registered secret reaches a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not _secrets:
            return True
        try:
            message = record.getMessage()
        except Exception:  # a broken record is logging's problem, not ours
            return True
        redacted = redact_text(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


_FILTER = RedactingFilter()


def register_secret(value: str) -> None:
    """Never let ``value`` appear in py4j's or etl's log records from now on."""
    if len(value) < _MIN_LENGTH:
        return
    with _lock:
        if value in _secrets:
            return
        _secrets.add(value)
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)


_CHATTY_AWS_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer")


@contextlib.contextmanager
def quiet_aws_debug_logging() -> Iterator[None]:
    """Silence botocore's DEBUG logging (which prints whole response bodies, e.g. a
    ``GetSecretValue`` answer) while a secret is being fetched."""
    loggers = [logging.getLogger(name) for name in _CHATTY_AWS_LOGGERS]
    saved = [logger.level for logger in loggers]
    for logger in loggers:
        if logger.getEffectiveLevel() < logging.INFO:
            logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        for logger, level in zip(loggers, saved, strict=True):
            logger.setLevel(level)
