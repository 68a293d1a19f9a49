"""Reading the register's response bodies; each parser raises ValueError on a shape it can't use."""

from __future__ import annotations

import json
from typing import Any

import httpx

__all__ = [
    "as_items",
    "as_object",
    "created_id",
    "excerpt",
    "first_resource",
    "json_or_text",
    "token_fields",
]

_EXCERPT_CHARS = 300
DEFAULT_TOKEN_LIFETIME = 3600.0  # when a token response leaves out `expires_in`


def json_or_text(response: httpx.Response) -> Any:
    """The parsed JSON body, or its text when it is not JSON (kept as `SendError.details`)."""
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return response.text


def excerpt(response: httpx.Response) -> str:
    """The body on one line, shortened, for an error message."""
    text = " ".join(response.text.split())
    if len(text) > _EXCERPT_CHARS:
        text = text[: _EXCERPT_CHARS - 1] + "…"
    return text or "(empty body)"


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
    except (json.JSONDecodeError, UnicodeDecodeError):
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
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValueError(f"the body is not JSON: {excerpt(response)!r}") from None
