"""The vendor's request bodies as JSON Schema, written from `shared/reference/incident-api.md`.

Deliberately *not* derived from the importer's pydantic models: the sandbox is an independent
witness, so the two can disagree and a test can catch the client's mistakes. Where the vendor's
reference is explicit the schema follows it; where it is silent the schema is strict:

- `uuid`: the canonical lowercase hyphenated form only (RFC 9562 text form); no braces, no
  `urn:uuid:` prefix, no upper case, no missing hyphens.
- `date-time`: `YYYY-MM-DDThh:mm:ss[.fraction]Z` - seconds required, UTC (`Z`) only, as in the
  vendor's example `2019-05-31T12:43:24.173Z`, and a real calendar instant.
- unknown fields are refused (`additionalProperties: false`); `null` is not a value.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

__all__ = ["CREATE_SCHEMA", "UPDATE_SCHEMA", "instant", "schema_problems"]

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
# ASCII digits only (`\d` takes any script's digits) and nothing after the `Z`.
_DATE_TIME = re.compile(
    r"\A[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?Z\Z"
)

# maxLength: Python's `re.search` lets `$` match before a trailing newline (ECMA's does not).
_UUID: dict[str, Any] = {"type": "string", "pattern": UUID_PATTERN, "maxLength": 36}
_DATE: dict[str, Any] = {"type": "string", "format": "date-time"}
_TEXT: dict[str, Any] = {"type": "string"}
_NON_BLANK: dict[str, Any] = {"type": "string", "minLength": 1, "pattern": r"\S"}

_ATTRIBUTE_VALUE = {
    "type": "object",
    "oneOf": [
        {"properties": {"id": _UUID}, "required": ["id"], "additionalProperties": False},
        {"properties": {"value": _TEXT}, "required": ["value"], "additionalProperties": False},
    ],
}
_ASSIGNEE = {
    "type": "object",
    "properties": {
        "assigneeId": _UUID,
        "assigneeEmail": {"type": "string", "format": "email"},
        "type": {"enum": ["USER", "GROUP"]},
    },
    "required": ["assigneeId"],
    "additionalProperties": False,
    # "assigneeEmail (only for USER)"
    "if": {"properties": {"type": {"const": "GROUP"}}, "required": ["type"]},
    "then": {"properties": {"assigneeEmail": {"not": {}}}},
}
_JURISDICTION = {
    "type": "object",
    "properties": {
        "jurisdictionId": _UUID,
        "countryCode": _NON_BLANK,
        "stateProvinceCode": _TEXT,
    },
    "required": ["countryCode"],
    "additionalProperties": False,
    # "required when countryCode is USA or CAN"
    "if": {"properties": {"countryCode": {"enum": ["USA", "CAN"]}}, "required": ["countryCode"]},
    "then": {"required": ["stateProvinceCode"]},
}
_INVENTORY_LINK = {
    "type": "object",
    "properties": {
        "inventoryIds": {"type": "array", "items": _UUID, "uniqueItems": True},
        "externalIds": {"type": "array", "items": _TEXT, "uniqueItems": True},
        "sourceType": {"enum": ["MANUAL", "ASSESSMENT", "INTEGRATION"]},
    },
    "anyOf": [{"required": ["inventoryIds"]}, {"required": ["externalIds"]}],
    "additionalProperties": False,
}
_COMMON = {
    "name": _NON_BLANK,
    "description": _TEXT,
    "incidentTypeName": _NON_BLANK,
    "orgGroupId": _UUID,
    "dateOccurred": _DATE,
    "dateDiscovered": _DATE,
    "deadline": _DATE,
    "sourceType": {"enum": ["MANUAL", "ASSESSMENT", "WEBFORM", "INTEGRATION"]},
    "rootCause": _TEXT,
    "notificationNeeded": {"enum": ["YES", "NO", "UNKNOWN"]},
    "attributeValues": {
        "type": "object",
        "propertyNames": {"minLength": 1, "pattern": r"\S"},
        "additionalProperties": {"type": "array", "items": _ATTRIBUTE_VALUE},
    },
    "incidentAssigneeRequests": {"type": "array", "items": _ASSIGNEE},
    "jurisdictions": {"type": "array", "items": _JURISDICTION},
}
_LINK_KEYS = ("assets", "processing-activities", "vendors", "entities")
_REQUIRED = ["name", "incidentTypeName", "orgGroupId"]

CREATE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "IncidentCreateRequest",
    "type": "object",
    "properties": {
        **_COMMON,
        "linkedInventories": {
            "type": "object",
            "properties": {key: _INVENTORY_LINK for key in _LINK_KEYS},
            "additionalProperties": False,
        },
        "autoAssessJurisdictions": {"type": "boolean"},
    },
    "required": _REQUIRED,
    "additionalProperties": False,
}
UPDATE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "IncidentUpdateRequest",
    "type": "object",
    "properties": dict(_COMMON),
    "required": _REQUIRED,
    "additionalProperties": False,
}

_FORMATS = FormatChecker(formats=())


@_FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True  # `type` reports it
    instant(value)
    return True


@_FORMATS.checks("email")
def _is_email(value: object) -> bool:
    return not isinstance(value, str) or _EMAIL.fullmatch(value) is not None


_VALIDATORS = {
    id(schema): Draft202012Validator(schema, format_checker=_FORMATS)
    for schema in (CREATE_SCHEMA, UPDATE_SCHEMA)
}


def instant(text: str) -> datetime:
    """A strict API date-time as an aware UTC datetime; ValueError for any other text."""
    if not _DATE_TIME.match(text):
        raise ValueError("expected YYYY-MM-DDThh:mm:ss[.fff]Z (UTC, seconds included)")
    whole, _, fraction = text[:-1].partition(".")
    moment = datetime.strptime(whole, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
    return moment.replace(microsecond=int((fraction + "000000")[:6])) if fraction else moment


def schema_problems(body: Any, schema: dict[str, Any]) -> list[tuple[str, str]]:
    """`(dotted field path, message)` for each field `body` breaks, first problem per field."""
    found: dict[str, str] = {}
    for error in _VALIDATORS[id(schema)].iter_errors(body):
        for path, message in _located(error):
            found.setdefault(path, message)
    return list(found.items())


def _located(error: ValidationError) -> list[tuple[str, str]]:
    where = [str(p) for p in error.absolute_path]
    keyword = error.validator
    if keyword == "required":
        missing = re.match(r"'([^']+)'", error.message)
        name = missing.group(1) if missing else "?"
        return [(".".join([*where, name]), "required field is missing")]
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        schema = error.schema if isinstance(error.schema, dict) else {}
        allowed = set(schema.get("properties", {}))
        extra = [k for k in error.instance if k not in allowed]
        message = "unknown field"
        if where == ["linkedInventories"]:
            message += f"; linkedInventories accepts only {', '.join(_LINK_KEYS)}"
        return [(".".join([*where, key]), message) for key in extra]
    return [(".".join(where) or "(body)", _message(error))]


def _message(error: ValidationError) -> str:
    keyword = error.validator
    if keyword == "pattern" and error.validator_value == UUID_PATTERN:
        return f"expected a UUID in canonical form (lowercase, hyphenated), got {error.instance!r}"
    if keyword == "pattern" and error.validator_value == r"\S":
        return "must not be blank"
    if keyword == "format":
        cause = f": {error.cause}" if error.cause else ""
        return f"expected a {error.validator_value}{cause}, got {error.instance!r}"
    if keyword == "not":
        return "only allowed for type USER"
    if keyword == "oneOf":
        return "give exactly one of 'id' (an option) or 'value' (text)"
    if keyword == "anyOf":
        return "give 'inventoryIds' and/or 'externalIds'"
    return error.message
