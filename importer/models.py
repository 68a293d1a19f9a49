"""Pydantic models of the vendor's request bodies, exactly as in `shared/reference/incident-api.md`.

Both sides use them: the importer validates each mapped row before sending, and the sandbox
register validates what it receives (plus the tenant checks only the server can make).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from types import GenericAlias
from typing import Annotated, Any, NotRequired, Required, cast, get_type_hints
from uuid import UUID

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    Strict,
    TypeAdapter,
    ValidationError,
    model_validator,
    with_config,
)
from typing_extensions import TypedDict  # pydantic reads typing's only from Python 3.12

__all__ = [
    "AssigneeType",
    "AttributeValue",
    "IncidentAssigneeRequest",
    "IncidentCreateRequest",
    "IncidentUpdateRequest",
    "InventoryLink",
    "JurisdictionRequest",
    "LinkedInventories",
    "NotificationNeeded",
    "SourceType",
    "canonical_uuids",
    "canonical_uuids_of",
    "may_be_invalid",
    "parse_api_datetime",
    "quick_fields",
]


class SourceType(StrEnum):
    MANUAL = "MANUAL"
    ASSESSMENT = "ASSESSMENT"
    WEBFORM = "WEBFORM"
    INTEGRATION = "INTEGRATION"


class InventorySourceType(StrEnum):
    MANUAL = "MANUAL"
    ASSESSMENT = "ASSESSMENT"
    INTEGRATION = "INTEGRATION"


class NotificationNeeded(StrEnum):
    YES = "YES"
    NO = "NO"
    UNKNOWN = "UNKNOWN"


class AssigneeType(StrEnum):
    USER = "USER"
    GROUP = "GROUP"


_ISO_DATETIME = re.compile(
    r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$"
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def parse_api_datetime(text: str) -> datetime:
    """Parse an ISO 8601 date-time with an explicit offset; raise ValueError otherwise."""
    if not _ISO_DATETIME.match(text):
        raise ValueError(
            "expected an ISO 8601 date-time with offset, e.g. 2019-05-31T12:43:24.173Z"
        )
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


# What is sent: the vendor's example form, `2019-05-31T12:43:24.173Z`. The reference is silent
# on date-times without seconds or with other offsets, so none are sent (docs/exactly-once.md).
_SENT_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")


def _check_datetime(text: str) -> str:
    parse_api_datetime(text)
    if not _SENT_DATETIME.match(text):
        raise ValueError("expected a UTC date-time with seconds, e.g. 2019-05-31T12:43:24.173Z")
    return text


# Where a create body holds UUIDs: (path of lists/dicts to walk, key). `*` is every item.
_UUID_PATHS: tuple[tuple[str, ...], ...] = (
    ("orgGroupId",),
    ("attributeValues", "*", "*", "id"),
    ("incidentAssigneeRequests", "*", "assigneeId"),
    ("jurisdictions", "*", "jurisdictionId"),
    ("linkedInventories", "*", "inventoryIds", "*"),
)


def canonical_uuids(body: dict[str, Any]) -> dict[str, Any]:
    """`body`, rewritten in place: every UUID field in the canonical lowercase hyphenated form.

    `D0A6E2ADCE1E469BAB6F0FF8C379B7D6`, `{d0a6e2ad-...}` and `urn:uuid:d0a6e2ad-...` all become
    `d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6` (RFC 9562's text form; the vendor's type is `uuid`).
    Text that is no UUID is left as it is, so validation reports it on its row.
    """
    for path in _UUID_PATHS:
        if path[0] in body:  # most bodies hold one or two of these fields
            _rewrite(body, path)
    return body


def canonical_uuids_of(bodies: Sequence[dict[str, Any]]) -> None:
    """`canonical_uuids` of every body, in place; a top-level field column-wise: each distinct
    text is looked at once, and only the bodies holding a non-canonical one are rewritten."""
    for path in _UUID_PATHS:
        head = path[0]
        holders = [body for body in bodies if head in body]
        if len(path) > 1:
            for body in holders:
                _rewrite(body, path)
            continue
        texts = {value for body in holders if isinstance(value := body[head], str)}
        other = {text for text in texts if not _CANONICAL_UUID.match(text)}
        for body in holders if other else ():
            if isinstance(value := body[head], str) and value in other:
                body[head] = _canonical(value)


def _rewrite(node: Any, path: tuple[str, ...]) -> None:
    head, rest = path[0], path[1:]
    if head == "*":
        items = (
            node.items()
            if isinstance(node, dict)
            else enumerate(node)
            if isinstance(node, list)
            else ()
        )
        children = list(items)
    elif isinstance(node, dict) and head in node:
        children = [(head, node[head])]
    else:
        return
    for key, value in children:
        if rest:
            _rewrite(value, rest)
        elif isinstance(value, str):
            node[key] = _canonical(value)


_CANONICAL_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def _canonical(text: str) -> str:
    if _CANONICAL_UUID.match(text):
        return text
    try:
        return str(UUID(text.strip()))
    except ValueError:
        return text


def _check_email(text: str) -> str:
    if not _EMAIL.match(text):
        raise ValueError("expected an e-mail address")
    return text


def _check_unique(items: list[str]) -> list[str]:
    if len(set(items)) != len(items):
        raise ValueError("items must be unique")
    return items


ApiDateTime = Annotated[str, AfterValidator(_check_datetime)]
Email = Annotated[str, AfterValidator(_check_email)]
NonBlank = Annotated[str, Field(min_length=1, pattern=r"\S")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class AttributeValue(_Strict):
    """One value of a custom attribute: a predefined option `{id}` or free text `{value}`."""

    id: UUID | None = None
    value: str | None = None

    @model_validator(mode="after")
    def _one_of(self) -> AttributeValue:
        if (self.id is None) == (self.value is None):
            raise ValueError("give exactly one of 'id' (an option) or 'value' (text)")
        return self


class IncidentAssigneeRequest(_Strict):
    assigneeId: UUID
    assigneeEmail: Email | None = None
    type: AssigneeType = AssigneeType.USER

    @model_validator(mode="after")
    def _email_only_for_users(self) -> IncidentAssigneeRequest:
        if self.assigneeEmail is not None and self.type is not AssigneeType.USER:
            raise ValueError("assigneeEmail is only allowed for type USER")
        return self


class JurisdictionRequest(_Strict):
    jurisdictionId: UUID | None = None
    countryCode: NonBlank
    stateProvinceCode: str | None = None

    @model_validator(mode="after")
    def _state_for_usa_can(self) -> JurisdictionRequest:
        if self.countryCode in {"USA", "CAN"} and not self.stateProvinceCode:
            raise ValueError(
                f"stateProvinceCode is required when countryCode is {self.countryCode}"
            )
        return self


class InventoryLink(_Strict):
    inventoryIds: Annotated[list[UUID], AfterValidator(_check_unique)] | None = None
    externalIds: Annotated[list[str], AfterValidator(_check_unique)] | None = None
    sourceType: InventorySourceType | None = None

    @model_validator(mode="after")
    def _some_ids(self) -> InventoryLink:
        if self.inventoryIds is None and self.externalIds is None:
            raise ValueError("give 'inventoryIds' and/or 'externalIds'")
        return self


class LinkedInventories(_Strict):
    assets: InventoryLink | None = None
    processing_activities: InventoryLink | None = Field(None, alias="processing-activities")
    vendors: InventoryLink | None = None
    entities: InventoryLink | None = None


class _IncidentFields(_Strict):
    name: NonBlank
    description: str | None = None
    incidentTypeName: NonBlank
    orgGroupId: UUID
    dateOccurred: ApiDateTime | None = None
    dateDiscovered: ApiDateTime | None = None
    deadline: ApiDateTime | None = None
    sourceType: SourceType | None = None
    rootCause: str | None = None
    notificationNeeded: NotificationNeeded | None = None
    attributeValues: dict[NonBlank, list[AttributeValue]] | None = None
    incidentAssigneeRequests: list[IncidentAssigneeRequest] | None = None
    jurisdictions: list[JurisdictionRequest] | None = None


class IncidentCreateRequest(_IncidentFields):
    """Body of `POST /api/incident/v1/incidents`."""

    linkedInventories: LinkedInventories | None = None
    autoAssessJurisdictions: bool | None = None


class IncidentUpdateRequest(_IncidentFields):
    """Body of `PUT /api/incident/v1/incidents/{id}`: create's shape without the link fields."""


def field_names() -> list[str]:
    """Every top-level API field a mapping may fill, in the reference's order."""
    return [f.alias or name for name, f in IncidentCreateRequest.model_fields.items()]


def required_fields() -> list[str]:
    return [name for name, f in IncidentCreateRequest.model_fields.items() if f.is_required()]


def body_errors(body: dict[str, Any]) -> list[tuple[str, str]]:
    """Validate a create body; return `(dotted field path, message)` per problem, [] if valid."""
    try:
        IncidentCreateRequest.model_validate(body)
    except ValidationError as exc:
        return [
            (".".join(str(p) for p in err["loc"]) or "(body)", err["msg"])
            for err in exc.errors(include_url=False)
        ]
    return []


# A quick first pass over a chunk's bodies, all in pydantic-core: the create model's fields with
# its two Python-checked types (`ApiDateTime`, `UUID`) narrowed to Rust patterns that accept only
# text those types accept. A body it passes is valid; one it refuses goes to `body_errors`, which
# alone says what is wrong (or that nothing is: the patterns leave rare valid forms to it, such
# as 29 February, fractions past microseconds or non-canonical UUIDs). Deriving the fields from
# the model keeps every other field's check the model's own.
_SENT_UTC = (
    r"^[1-9][0-9]{3}-"
    r"(?:(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
    r"|02-(?:0[1-9]|1[0-9]|2[0-8]))"
    r"T(?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](?:\.[0-9]{1,6})?Z$"
)
_UUID_TEXT = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
_NARROWED: list[tuple[Any, Any]] = [
    (ApiDateTime | None, Annotated[str, Strict(), Field(pattern=_SENT_UTC)] | None),
    (UUID, Annotated[str, Strict(), Field(pattern=_UUID_TEXT)]),
]
_typed_dict: Any = TypedDict  # called with fields built at import, which mypy cannot follow


def quick_fields() -> dict[str, tuple[Any, bool]] | None:
    """The quick pass's fields: name → (its type, narrowed; whether it is required); None if
    the model checks something no single field's type says."""
    model = IncidentCreateRequest
    decorators = model.__pydantic_decorators__
    if decorators.model_validators or decorators.field_validators or decorators.validators:
        return None  # checks the narrowed fields would skip: every body takes `body_errors`
    return {
        name: (
            next((fast for slow, fast in _NARROWED if hint == slow), hint),
            model.model_fields[name].is_required(),
        )
        for name, hint in get_type_hints(model, include_extras=True).items()
    }


def _quick_check() -> TypeAdapter[list[Any]] | None:
    quick = quick_fields()
    if quick is None:
        return None
    fields = {
        name: Required[kept] if required else NotRequired[kept]
        for name, (kept, required) in quick.items()
    }
    body = with_config(ConfigDict(extra="forbid"))(_typed_dict("SentBody", fields))
    return TypeAdapter(cast("type[list[Any]]", GenericAlias(list, (body,))))


_QUICK = _quick_check()


def may_be_invalid(bodies: Sequence[dict[str, Any]]) -> list[int]:
    """Positions of the bodies `body_errors` must look at; every other one is valid.

    One pydantic-core call for the whole list, ~10x cheaper a body than `body_errors`.
    """
    if _QUICK is None:
        return list(range(len(bodies)))
    try:
        _QUICK.validate_python(bodies)
    except ValidationError as exc:
        failed = exc.errors(include_url=False, include_context=False, include_input=False)
        return sorted({error["loc"][0] for error in failed})  # type: ignore[misc]
    return []
