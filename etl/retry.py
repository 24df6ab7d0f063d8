"""Retrying JDBC connects: transient failures back off within a bounded budget, permanent ones
fail at once with a message that names the connection (and never contains the password).

Only driver-side work is retried here: the partition plan's catalog and ``min``/``max``
queries, the watermark bounds and resolving the relation's schema, i.e. everything that opens a
connection before Spark's tasks run.  Reads inside tasks are retried by Spark itself
(``spark.task.maxFailures``, 4 on a cluster); a database that dies mid-read fails the job, and
the staged sinks leave the published output untouched.

Classification walks the Java exception chain behind the Python exception (Spark wraps the
driver's ``SQLException`` in its own errors) and looks at SQLSTATE classes and socket errors:

* transient: ``08xxx`` (connection exception), ``53xxx`` (insufficient resources, notably
  ``53300`` too many connections, for the server or the role's ``CONNECTION LIMIT``), MySQL and
  MariaDB error 1040 (too many connections), 1203 and 1226 (the server's and the user's own
  ``max_user_connections``, SQLSTATE ``42000``),
  ``57P01``-``57P03`` (server shutting down / starting up), ``HYT00``/``HYT01`` (timeouts),
  ``java.net.ConnectException``, ``SocketTimeoutException``, ``NoRouteToHostException``,
  ``UnknownHostException`` (DNS inside a VPC can lag behind the ENI), ``EOFException``;
* permanent, everything else, notably ``28xxx`` (bad user/password), ``3D000`` (unknown
  database), ``42xxx`` (unknown table, bad query) and a server that does not offer the TLS the
  connection requires (``08004`` with an SSL message).
"""

from __future__ import annotations

import dataclasses
import logging
import random
import re
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from etl.errors import JdbcConnectError, OptionError
from etl.options import Strict

log = logging.getLogger("etl.retry")

T = TypeVar("T")

_TRANSIENT_CLASSES = ("08", "53")
_TRANSIENT_STATES = frozenset({"57P01", "57P02", "57P03", "HYT00", "HYT01", "40001"})
_TRANSIENT_JAVA = frozenset(
    {
        "java.net.ConnectException",
        "java.net.SocketTimeoutException",
        "java.net.NoRouteToHostException",
        "java.net.UnknownHostException",
        "java.io.EOFException",
        "com.mysql.cj.exceptions.CJCommunicationsException",
        "com.mysql.cj.jdbc.exceptions.CommunicationsException",
    }
)
_MYSQL_CONNECTION_LIMITS = frozenset(
    {(1040, "08004"), (1040, "HY000"), (1203, "42000"), (1226, "42000")}
)
"""MySQL/MariaDB's too many connections (1040, ``HY000`` when refused before the handshake), the
server-wide ``max_user_connections`` (1203) and a user's own ``MAX_USER_CONNECTIONS`` resource
limit (1226; both reported as ``42000``), by error code and SQLSTATE:
Connector/J raises them as plain ``java.sql`` exceptions, so the pair names the database."""
_CONNECTION_CLASSES = ("08", "28", "3D")
_TLS = re.compile(r"(?i)\b(ssl|tls)\b")
_PERMANENT_HINTS = {
    "28": "authentication failed; check the user and password behind the connection",
    "3D": "unknown database; check the database name in the connection's JDBC URL",
    "42": "unknown table or column, or invalid SQL",
}


@dataclasses.dataclass(frozen=True, kw_only=True)
class RetryPolicy(Strict):
    """Exponential backoff for transient connect errors, bounded by attempts and a time budget.

    The n-th retry waits ``initial_delay * multiplier**(n-1)`` seconds, capped at ``max_delay``
    and reduced by up to ``jitter`` (a fraction) at random; no wait may end past ``budget``
    seconds after the first attempt.  ``RetryPolicy(attempts=1)`` disables retries.
    """

    attempts: int = 6
    initial_delay: float = 1.0
    multiplier: float = 2.0
    max_delay: float = 30.0
    budget: float = 120.0
    jitter: float = 0.2

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise OptionError("RetryPolicy: attempts must be at least 1")
        if self.initial_delay < 0 or self.max_delay < 0 or self.budget < 0:
            raise OptionError("RetryPolicy: delays and budget must not be negative")
        if self.multiplier < 1:
            raise OptionError("RetryPolicy: multiplier must be at least 1")
        if not 0 <= self.jitter <= 1:
            raise OptionError("RetryPolicy: jitter must be between 0 and 1")

    def delays(self, rng: Callable[[], float] = random.random) -> Iterator[float]:
        """The waits before retry 1, 2, ... (``attempts - 1`` of them)."""
        delay = self.initial_delay
        for _ in range(self.attempts - 1):
            yield min(delay, self.max_delay) * (1 - self.jitter * rng())
            delay *= self.multiplier


DEFAULT_RETRY = RetryPolicy()
NO_RETRY = RetryPolicy(attempts=1)


@dataclasses.dataclass(frozen=True)
class Failure:
    """What went wrong, classified: ``transient`` failures are worth retrying."""

    transient: bool
    reason: str
    sqlstate: str | None = None

    @property
    def about_connection(self) -> bool:
        """The connection itself failed (refused, lost, too many, authentication, unknown
        database, TLS), so any query on it would: not something to work around."""
        return self.transient or (self.sqlstate or "")[:2] in _CONNECTION_CLASSES


def java_chain(exc: BaseException) -> list[Any]:
    """The Java throwables behind a PySpark/py4j exception, outermost first (``[]`` if none)."""
    throwable = getattr(exc, "java_exception", None) or getattr(exc, "_origin", None)
    chain: list[Any] = []
    while throwable is not None and len(chain) < 20:
        chain.append(throwable)
        try:
            throwable = throwable.getCause()
        except Exception:  # not a Java object after all
            break
    return chain


def classify_jdbc_error(exc: BaseException) -> Failure:
    """Transient or permanent, with the most specific driver message found in the chain."""
    sqlstate: str | None = None
    message = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    transient = False
    for throwable in java_chain(exc):
        try:
            name = str(throwable.getClass().getName())
            text = str(throwable.getMessage() or "")
        except Exception:
            continue
        state = None
        try:
            state = throwable.getSQLState()
        except Exception:
            state = None
        if name in _TRANSIENT_JAVA or _mysql_connection_limit(throwable, state):
            transient = True
        if state:
            sqlstate = str(state)
            message = text.strip().splitlines()[0] if text.strip() else name
            transient = (
                transient or sqlstate[:2] in _TRANSIENT_CLASSES or sqlstate in _TRANSIENT_STATES
            )
    if isinstance(exc, (ConnectionError, TimeoutError)):
        transient = True
    if transient and _TLS.search(message):
        # "The server does not support SSL" (08004): retrying will not add TLS to the server.
        transient = False
        message = f"TLS is required but the server does not offer it: {message}"
    if sqlstate and not transient:
        hint = _PERMANENT_HINTS.get(sqlstate[:2])
        if hint:
            message = f"{hint}: {message}"
    return Failure(transient, message, sqlstate)


def _mysql_connection_limit(throwable: Any, state: Any) -> bool:
    try:
        return (int(throwable.getErrorCode()), str(state)) in _MYSQL_CONNECTION_LIMITS
    except Exception:  # not an SQLException
        return False


def redact(text: str, secrets: tuple[str, ...]) -> str:
    """Replace every secret value in ``text`` by ``***``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def call_with_retry(
    operation: Callable[[], T],
    *,
    policy: RetryPolicy,
    connection: str,
    what: str,
    secrets: tuple[str, ...] = (),
    classify: Callable[[BaseException], Failure] = classify_jdbc_error,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    rng: Callable[[], float] = random.random,
) -> T:
    """Run ``operation``; retry transient failures per ``policy``; raise :class:`JdbcConnectError`
    (naming ``connection``, with ``secrets`` redacted, without the Java traceback) otherwise."""
    start = clock()
    delays = policy.delays(rng)
    attempt = 0
    while True:
        attempt += 1
        try:
            return operation()
        except Exception as exc:
            failure = classify(exc)
            reason = redact(failure.reason, secrets)
            state = f" [SQLSTATE {failure.sqlstate}]" if failure.sqlstate else ""
            if not failure.transient:
                raise JdbcConnectError(
                    f"connection '{connection}': {what} failed permanently{state}: {reason}",
                    connection=connection,
                    attempts=attempt,
                    transient=False,
                ) from None
            delay = next(delays, None)
            elapsed = clock() - start
            if delay is None or elapsed + delay > policy.budget:
                raise JdbcConnectError(
                    f"connection '{connection}': {what} still failing after {attempt} attempt(s) "
                    f"in {elapsed:.1f}s (retry budget {policy.budget:g}s){state}: {reason}",
                    connection=connection,
                    attempts=attempt,
                    transient=True,
                ) from None
            log.warning(
                "connection '%s': %s failed (attempt %d, transient%s: %s); retrying in %.1fs",
                connection,
                what,
                attempt,
                state,
                reason,
                delay,
            )
            sleep(delay)
