"""The one classifier of statuses and transport exceptions, as tables (no network)."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime

import httpx
import pytest

from importer.errors import (
    AmbiguousSendError,
    AuthError,
    FatalSendError,
    RetryableSendError,
    RowRejectedError,
)
from importer.send.classify import (
    EXCEPTION_CLASSES,
    classify_exception,
    classify_status,
    parse_retry_after,
)

# (status, Retry-After present, class for a create, class for an idempotent call)
STATUS_TABLE = [
    (200, False, None, None),
    (201, False, None, None),
    (204, False, None, None),
    (301, False, FatalSendError, FatalSendError),
    (302, False, FatalSendError, FatalSendError),
    (400, False, RowRejectedError, RowRejectedError),
    (401, False, AuthError, AuthError),
    (403, False, FatalSendError, FatalSendError),
    (404, False, FatalSendError, FatalSendError),
    (405, False, FatalSendError, FatalSendError),
    (408, False, RetryableSendError, RetryableSendError),
    (409, False, RowRejectedError, RowRejectedError),
    (413, False, RowRejectedError, RowRejectedError),
    (415, False, FatalSendError, FatalSendError),
    (422, False, RowRejectedError, RowRejectedError),
    (429, False, RetryableSendError, RetryableSendError),
    (429, True, RetryableSendError, RetryableSendError),
    (500, False, AmbiguousSendError, RetryableSendError),
    (500, True, AmbiguousSendError, RetryableSendError),
    (501, False, FatalSendError, FatalSendError),
    (502, False, AmbiguousSendError, RetryableSendError),
    (503, True, RetryableSendError, RetryableSendError),
    (503, False, AmbiguousSendError, RetryableSendError),
    (504, False, AmbiguousSendError, RetryableSendError),
    (599, False, AmbiguousSendError, RetryableSendError),
]


@pytest.mark.parametrize(
    ("status", "has_retry_after", "for_create", "for_idempotent"),
    STATUS_TABLE,
    ids=[f"{s}{'+retry-after' if r else ''}" for s, r, _, _ in STATUS_TABLE],
)
def test_status_classification(status, has_retry_after, for_create, for_idempotent):
    retry_after = 1.0 if has_retry_after else None
    assert classify_status(status, idempotent=False, retry_after=retry_after) is for_create
    assert classify_status(status, idempotent=True, retry_after=retry_after) is for_idempotent


# (exception, class for a create, class for an idempotent call)
EXCEPTION_TABLE = [
    (httpx.ConnectError, RetryableSendError, RetryableSendError),
    (httpx.ConnectTimeout, RetryableSendError, RetryableSendError),
    (httpx.PoolTimeout, RetryableSendError, RetryableSendError),
    (httpx.ProxyError, RetryableSendError, RetryableSendError),
    (httpx.ReadTimeout, AmbiguousSendError, RetryableSendError),
    (httpx.WriteTimeout, AmbiguousSendError, RetryableSendError),
    (httpx.ReadError, AmbiguousSendError, RetryableSendError),
    (httpx.WriteError, AmbiguousSendError, RetryableSendError),
    (httpx.CloseError, AmbiguousSendError, RetryableSendError),
    (httpx.RemoteProtocolError, AmbiguousSendError, RetryableSendError),
    (httpx.DecodingError, AmbiguousSendError, RetryableSendError),
    (httpx.TimeoutException, AmbiguousSendError, RetryableSendError),
    (httpx.NetworkError, AmbiguousSendError, RetryableSendError),
    (httpx.ProtocolError, AmbiguousSendError, RetryableSendError),
    (httpx.TransportError, AmbiguousSendError, RetryableSendError),
    (httpx.RequestError, AmbiguousSendError, RetryableSendError),
    (httpx.LocalProtocolError, FatalSendError, FatalSendError),
    (httpx.UnsupportedProtocol, FatalSendError, FatalSendError),
    (httpx.TooManyRedirects, FatalSendError, FatalSendError),
    (httpx.InvalidURL, FatalSendError, FatalSendError),
]


def _instance(exc_class: type[Exception]) -> Exception:
    if not issubclass(exc_class, httpx.RequestError):
        return exc_class("bad url")
    return exc_class("boom", request=httpx.Request("POST", "https://tenant.example.com/api"))


@pytest.mark.parametrize(
    ("exc_class", "for_create", "for_idempotent"),
    EXCEPTION_TABLE,
    ids=[e.__name__ for e, _, _ in EXCEPTION_TABLE],
)
def test_exception_classification(exc_class, for_create, for_idempotent):
    exc = _instance(exc_class)
    assert classify_exception(exc, idempotent=False) is for_create
    assert classify_exception(exc, idempotent=True) is for_idempotent


def _httpx_request_errors() -> set[type[Exception]]:
    """Every exception class httpx exports that a request can raise."""
    found: set[type[Exception]] = set()
    for _, obj in inspect.getmembers(httpx, inspect.isclass):
        if issubclass(obj, httpx.RequestError) or obj is httpx.InvalidURL:
            found.add(obj)
    return found


def test_every_httpx_request_error_is_in_the_table():
    assert _httpx_request_errors() <= {e for e, _, _ in EXCEPTION_TABLE}


def test_every_exception_the_classifier_names_is_in_the_table():
    assert set(EXCEPTION_CLASSES) <= {e for e, _, _ in EXCEPTION_TABLE}


def test_a_non_transport_exception_is_refused():
    with pytest.raises(TypeError, match="ValueError"):
        classify_exception(ValueError("x"), idempotent=True)


NOW = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC).timestamp()
RETRY_AFTER_TABLE = [
    ("2", 2.0),
    (" 7 ", 7.0),
    ("0", 0.0),
    ("1.5", 1.5),
    ("Wed, 01 May 2024 12:00:30 GMT", 30.0),
    ("Wed, 01 May 2024 12:00:30 -0000", 30.0),
    ("Wed, 01 May 2024 11:59:00 GMT", 0.0),  # a date in the past: go now
    ("-3", None),
    ("nan", None),
    ("inf", None),
    ("soon", None),
    ("", None),
    (None, None),
]


@pytest.mark.parametrize(
    ("header", "seconds"),
    RETRY_AFTER_TABLE,
    ids=[repr(h) for h, _ in RETRY_AFTER_TABLE],
)
def test_parse_retry_after(header, seconds):
    assert parse_retry_after(header, now=NOW) == seconds
