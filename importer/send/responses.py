"""Reading the register's response bodies; each parser raises ValueError on a shape it can't use.

Error messages and details end up in results.csv and the ledger, so whatever is quoted from a
body is bounded and scrubbed of the request's secrets (the bearer token, the client secret).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

import httpx

__all__ = [
    "as_items",
    "as_object",
    "bounded_details",
    "created_id",
    "excerpt",
    "first_resource",
    "json_or_text",
    "redact",
    "token_fields",
]

_EXCERPT_CHARS = 300
DETAILS_CHARS = 1000  # text kept from a rejection's body: keys and strings, summed
_DETAILS_DEPTH = 8
REDACTED = "[redacted]"
# Credentials a server might echo even when we do not know the value (e.g. another header).
_CREDENTIAL_PATTERNS = (
    (re.compile(r"(?i)\bbearer\s+[^\s\"',;]+"), f"Bearer {REDACTED}"),
    (
        re.compile(r"(?i)(client_secret|access_token|refresh_token)(\"?\s*[=:]\s*\"?)[^\s\"'&,;]+"),
        rf"\1\2{REDACTED}",
    ),
)
_SECRET_KEYS = frozenset({"access_token", "authorization", "client_secret", "refresh_token"})
_MEDIA_TYPE = re.compile(r"[\w.+-]{1,60}/[\w.+-]{1,60}")
DEFAULT_TOKEN_LIFETIME = 3600.0  # when a token response leaves out `expires_in`


def json_or_text(response: httpx.Response) -> Any:
    """The parsed JSON body, or its text when it is not JSON."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        return response.text


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """`text` with each of `secrets` and anything shaped like a credential replaced.

    >>> redact("echo: Authorization: Bearer abc.def client_secret=xyz", ["abc.def"])
    'echo: Authorization: Bearer [redacted] client_secret=[redacted]'
    """
    for secret in secrets:
        if not secret:
            continue
        # A secret quoted in a raw JSON body may appear escaped ("\/" and the like).
        escaped = json.dumps(secret)[1:-1]
        for form in sorted({secret, escaped, escaped.replace("/", "\\/")}, key=len, reverse=True):
            text = text.replace(form, REDACTED)
    for pattern, replacement in _CREDENTIAL_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def excerpt(response: httpx.Response, secrets: Iterable[str] = ()) -> str:
    """The body on one line, scrubbed and shortened, for an error message."""
    text = _shortened(redact(" ".join(response.text.split()), secrets), _EXCERPT_CHARS)
    return text or "(empty body)"


def bounded_details(response: httpx.Response, secrets: Iterable[str] = ()) -> Any:
    """A rejection's body for `SendError.details`: its JSON shape kept, secrets scrubbed, and
    about `DETAILS_CHARS` characters at most as JSON (long strings cut, later items left out)."""
    budget = [DETAILS_CHARS]
    return _bounded(json_or_text(response), tuple(secrets), budget, 0)


def _bounded(value: Any, secrets: tuple[str, ...], budget: list[int], depth: int) -> Any:
    # Each value is charged roughly what it adds to the JSON text: quotes and separators too.
    if value is None or isinstance(value, bool | int | float):
        budget[0] -= len(json.dumps(value)) + 2
        return value
    if depth >= _DETAILS_DEPTH or not isinstance(value, str | list | dict):
        value = "…"
    if isinstance(value, str):
        text = _shortened(redact(value, secrets), max(budget[0] - 4, 1))
        budget[0] -= len(text) + 4
        return text
    budget[0] -= 2
    if isinstance(value, list):
        items = []
        for item in value:
            if budget[0] <= 0:
                break
            items.append(_bounded(item, secrets, budget, depth + 1))
        return items
    fields = {}
    for key, item in value.items():
        if budget[0] <= 0:
            break
        name = _bounded(str(key), secrets, budget, depth + 1)
        hidden = str(key).strip().lower() in _SECRET_KEYS and bool(item)
        fields[name] = REDACTED if hidden else _bounded(item, secrets, budget, depth + 1)
    return fields


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def created_id(response: httpx.Response) -> str:
    """The new incident's UUID: the vendor answers a JSON string; an object with an id is fine."""
    body = _json(response)
    if isinstance(body, dict):
        body = body.get("incidentId", body.get("id"))
    if not isinstance(body, str) or not body.strip():
        raise ValueError("the answer holds no incident id")
    return body.strip()


def as_object(response: httpx.Response) -> dict[str, Any]:
    body = _json(response)
    if not isinstance(body, dict):
        raise ValueError(f"expected a JSON object, got {type(body).__name__}")
    return body


def as_items(response: httpx.Response) -> list[dict[str, Any]]:
    """A list of objects: a bare JSON list, a page (`content`), or a single root object."""
    body = _json(response)
    if isinstance(body, dict):
        body = body["content"] if isinstance(body.get("content"), list) else [body]
    if not isinstance(body, list) or not all(isinstance(item, dict) for item in body):
        raise ValueError("expected a list of JSON objects")
    return body


def first_resource(response: httpx.Response) -> dict[str, Any] | None:
    """The first `Resources` entry of a SCIM ListResponse, or None when it is empty."""
    body = _json(response)
    resources = body.get("Resources", []) if isinstance(body, dict) else None
    if not isinstance(resources, list):
        raise ValueError("expected a SCIM ListResponse")
    first = resources[0] if resources else None
    if first is not None and not isinstance(first, dict):
        raise ValueError("expected SCIM resources to be objects")
    return first


def token_fields(response: httpx.Response) -> tuple[str, float]:
    """`(access_token, expires_in)` from the token endpoint's answer (never quoted in errors)."""
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        raise ValueError("the token answer is not JSON") from None
    token = body.get("access_token") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token:
        raise ValueError("the token answer holds no access_token")
    return token, _lifetime(body.get("expires_in"))


def _lifetime(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return DEFAULT_TOKEN_LIFETIME
    return seconds if 0 < seconds < float("inf") else DEFAULT_TOKEN_LIFETIME


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
        # Describe the body, never quote it: a misrouted host may answer any page at all.
        raise ValueError(f"the body is not JSON ({_described(response)})") from None


def _described(response: httpx.Response) -> str:
    media_type = response.headers.get("Content-Type", "").partition(";")[0].strip()
    if not _MEDIA_TYPE.fullmatch(media_type):
        media_type = "no usable Content-Type"
    return f"{media_type}, {len(response.content)} bytes"
