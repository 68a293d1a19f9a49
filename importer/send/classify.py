"""One place that decides what an HTTP status or a transport exception means for the caller.

The rule for creates: retry only what certainly did not reach the register (429, 503 with
`Retry-After`, 408, connect errors). Anything that may have been applied is ambiguous and is
never resent here. Idempotent calls (PUT, reads) may retry every transient failure.
"""

from __future__ import annotations

import email.utils
import math
import time
from datetime import UTC

import httpx

from importer.errors import (
    AmbiguousSendError,
    AuthError,
    FatalSendError,
    RetryableSendError,
    RowRejectedError,
    SendError,
)

__all__ = ["EXCEPTION_CLASSES", "classify_exception", "classify_status", "parse_retry_after"]

ErrorClass = type[SendError]

# Statuses that say the client itself is wrong (method, URL, media type): no row will succeed.
_FATAL_STATUSES = frozenset({403, 404, 405, 406, 410, 411, 414, 415, 501, 505})

# Transport failures, most specific first; the first `isinstance` match wins.
# "Never reached the server" is certain only before the request was written.
_CERTAINLY_NOT_SENT: tuple[type[Exception], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.ProxyError,
)
_CLIENT_MISCONFIGURED: tuple[type[Exception], ...] = (
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
    httpx.TooManyRedirects,
    httpx.InvalidURL,
)
# After (part of) the body left: the register may have stored the incident.
_MAYBE_APPLIED: tuple[type[Exception], ...] = (
    httpx.ReadTimeout,
    httpx.WriteTimeout,
    httpx.ReadError,
    httpx.WriteError,
    httpx.CloseError,
    httpx.RemoteProtocolError,
    httpx.DecodingError,
    httpx.TransportError,  # any other transport failure: assume the worst
    httpx.RequestError,
)

# Every httpx exception class the classifier knows; a test proves each one maps.
EXCEPTION_CLASSES: tuple[type[Exception], ...] = (
    _CERTAINLY_NOT_SENT + _CLIENT_MISCONFIGURED + _MAYBE_APPLIED
)


def classify_status(
    status: int, *, idempotent: bool, retry_after: float | None = None
) -> ErrorClass | None:
    """The error class for a response status, or None when the call succeeded (2xx).

    >>> classify_status(500, idempotent=False).__name__
    'AmbiguousSendError'
    """
    if 200 <= status < 300:
        return None
    if status in (408, 429):
        return RetryableSendError
    if status == 401:
        return AuthError
    if status in _FATAL_STATUSES or 300 <= status < 400 or status < 200:
        return FatalSendError
    if 400 <= status < 500:
        return RowRejectedError
    if idempotent:
        return RetryableSendError
    # A 503 that names a retry time is the register saying "not now": nothing was stored.
    if status == 503 and retry_after is not None:
        return RetryableSendError
    return AmbiguousSendError


def classify_exception(exc: BaseException, *, idempotent: bool) -> ErrorClass:
    """The error class for a transport exception raised while a request was in flight."""
    if isinstance(exc, _CERTAINLY_NOT_SENT):
        return RetryableSendError
    if isinstance(exc, _CLIENT_MISCONFIGURED):
        return FatalSendError
    if isinstance(exc, _MAYBE_APPLIED):
        return RetryableSendError if idempotent else AmbiguousSendError
    raise TypeError(f"not a transport exception: {type(exc).__name__}")


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date; None if unusable.

    >>> parse_retry_after("2"), parse_retry_after("1.5"), parse_retry_after("soon")
    (2.0, 1.5, None)
    """
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        return _seconds_until_http_date(text, now if now is not None else time.time())
    if math.isnan(seconds) or math.isinf(seconds) or seconds < 0:
        return None
    return seconds


def _seconds_until_http_date(text: str, now: float) -> float | None:
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT; "-0000" parses as naive
        when = when.replace(tzinfo=UTC)
    return max(0.0, when.timestamp() - now)
