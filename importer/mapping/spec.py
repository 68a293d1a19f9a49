"""Pydantic models of the mapping file (format v1) and its JSON Schema.

The models only describe and check the file; `compiled.Mapping` is what the pipeline uses.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from uuid import UUID
from zoneinfo import available_timezones

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from importer.mapping.durations import parse_duration

__all__ = [
    "DATE_FIELDS",
    "AssigneeSpec",
    "AttributeSpec",
    "DateSpec",
    "ExtractSpec",
    "FieldsSpec",
    "InventorySpec",
    "JurisdictionSpec",
    "LinkedInventoriesSpec",
    "ListValueSpec",
    "LookupFilesSpec",
    "MappingSpec",
    "OrgSpec",
    "OtherwiseValue",
    "RowFilter",
    "ValueSpec",
    "mapping_json_schema",
    "relative_date_problem",
]

DATE_FIELDS = ("dateOccurred", "dateDiscovered", "deadline")
_TIME_DIRECTIVE = re.compile(r"%[-#]?[HIMSfpXcTRr]")


def scalar_text(value: Any) -> Any:
    """Scalars that stand for cell values (map keys, constants) are text: 1 → "1", true → "true"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return value


def _as_list(value: Any) -> Any:
    return [value] if isinstance(value, str | int | float | bool) else value


def _as_list_of_blocks(value: Any) -> Any:
    return [value] if isinstance(value, dict | str) else value


def _column_shorthand(value: Any) -> Any:
    return {"column": value} if isinstance(value, str) else value


def _text_map(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return {
        scalar_text(k) if k is not None else "": None if v is None else scalar_text(v)
        for k, v in value.items()
    }


_SCALAR_SCHEMA = WithJsonSchema({"type": ["string", "number", "boolean"]})
Text = Annotated[str, BeforeValidator(scalar_text), _SCALAR_SCHEMA]
TextList = Annotated[list[Text], BeforeValidator(_as_list)]
ColumnList = Annotated[list[str], Field(min_length=1), BeforeValidator(_as_list)]


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Shorthand(_Block):
    """A block that may also be written as a bare column name."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return _column_shorthand(data)

    @classmethod
    def __get_pydantic_json_schema__(
        cls, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        schema = handler(core_schema)
        return {"anyOf": [{"type": "string", "description": "column name"}, schema]}


class ExtractSpec(_Block):
    """`extract: {pattern: "INC-(\\d+)", otherwise: error}`: keep the first group (or the match)."""

    pattern: str
    otherwise: Literal["keep", "empty", "error"] = "empty"

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return pattern


class OtherwiseValue(_Block):
    value: Text


class _Source(_Shorthand):
    column: str | None = None
    constant: Text | None = None
    coalesce: ColumnList | None = None
    template: str | None = None
    trim: bool = True

    def sources(self) -> list[str]:
        return [k for k in ("column", "constant", "coalesce", "template") if getattr(self, k)]

    @model_validator(mode="after")
    def _one_source(self) -> _Source:
        given = self.sources()
        if len(given) > 1:
            raise ValueError(f"give only one of column, constant, coalesce, template (got {given})")
        if not given and not self._source_optional():
            raise ValueError("give one of: column, constant, coalesce, template")
        return self

    def _source_optional(self) -> bool:
        return False


class ValueSpec(_Source):
    """A scalar value: one source, then text transforms, value map and default."""

    extract: str | ExtractSpec | None = None
    collapse_whitespace: bool = False
    number_to_string: bool = False
    case: Literal["lower", "upper", "title", "capitalize"] | None = None
    map: (
        Annotated[
            dict[str, str | None],
            BeforeValidator(_text_map),
            WithJsonSchema(
                {
                    "type": "object",
                    "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
                }
            ),
        ]
        | None
    ) = None
    ignore_case: bool = False
    otherwise: Literal["keep", "error", "empty"] | OtherwiseValue = "keep"
    default: Text | None = None

    @field_validator("extract")
    @classmethod
    def _extract_block(cls, value: str | ExtractSpec | None) -> str | ExtractSpec | None:
        if isinstance(value, str):
            return ExtractSpec(pattern=value)
        return value

    @model_validator(mode="after")
    def _map_options(self) -> ValueSpec:
        if self.map is None and (self.ignore_case or self.otherwise != "keep"):
            raise ValueError("'ignore_case' and 'otherwise' need a 'map'")
        return self

    def extract_spec(self) -> ExtractSpec | None:
        return self.extract if isinstance(self.extract, ExtractSpec) else None


class OrgSpec(ValueSpec):
    """`orgGroupId`: ids as they are, or names/externalIds/paths with `lookup: organization`."""

    lookup: Literal["organization"] | None = None


Separators = Annotated[list[str], Field(min_length=1), BeforeValidator(_as_list)]


class ListValueSpec(ValueSpec):
    """A value that may hold several items in one cell (`split: ";"`)."""

    split: Separators | None = None


class AssigneeSpec(ListValueSpec):
    """One source of assignees: user e-mails, group names, or assignee ids."""

    type: Literal["USER", "GROUP"] | None = None
    lookup: Literal["user", "group"] | None = None

    @model_validator(mode="after")
    def _type_matches_lookup(self) -> AssigneeSpec:
        if self.lookup and self.type and self.type.lower() != self.lookup:
            raise ValueError(f"'lookup: {self.lookup}' finds {self.lookup}s, not type {self.type}")
        return self

    def assignee_type(self) -> str:
        return self.type or ("GROUP" if self.lookup == "group" else "USER")


class JurisdictionSpec(_Block):
    """`{country: Country, state: State}`: names or ISO codes, resolved with pycountry."""

    country: ListValueSpec
    state: ValueSpec | None = None

    @model_validator(mode="after")
    def _split_without_state(self) -> JurisdictionSpec:
        if self.country.split and self.state:
            raise ValueError("a split country column cannot share one 'state' column")
        return self


class AttributeSpec(ListValueSpec):
    """A custom attribute: text as `{value}`, or select options by name with `option: true`."""

    option: bool = False


class InventorySpec(ListValueSpec):
    as_: Literal["externalIds", "inventoryIds"] = Field("externalIds", alias="as")
    source_type: Literal["MANUAL", "ASSESSMENT", "INTEGRATION"] | None = None


class LinkedInventoriesSpec(_Block):
    assets: InventorySpec | None = None
    processing_activities: InventorySpec | None = Field(None, alias="processing-activities")
    vendors: InventorySpec | None = None
    entities: InventorySpec | None = None


class DateSpec(_Source):
    """A date-time: formats, Excel serials, date-only policy, zone, or relative to another field."""

    formats: Annotated[list[str], BeforeValidator(_as_list)] = []
    dayfirst: bool | None = None  # set: also try lenient parsing, day or month first
    excel_serial: bool = True
    date_only: Literal["start_of_day", "end_of_day"] = "start_of_day"
    timezone: str | None = None
    relative_to: Literal["dateOccurred", "dateDiscovered", "deadline"] | None = None
    offset: str | None = None

    def _source_optional(self) -> bool:
        return self.relative_to is not None

    @field_validator("formats")
    @classmethod
    def _formats(cls, formats: list[str]) -> list[str]:
        for fmt in formats:
            if "%" not in fmt:
                raise ValueError(f"format {fmt!r} has no %-directive, e.g. '%d/%m/%Y %H:%M'")
        return formats

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, name: str | None) -> str | None:
        return check_timezone(name)

    @field_validator("offset")
    @classmethod
    def _offset(cls, text: str | None) -> str | None:
        if text is not None:
            parse_duration(text)
        return text

    @model_validator(mode="after")
    def _offset_needs_base(self) -> DateSpec:
        if (self.offset is None) != (self.relative_to is None):
            raise ValueError(
                "'relative_to' and 'offset' go together, e.g. relative_to: "
                "dateDiscovered, offset: 72h"
            )
        return self

    def has_time(self, fmt: str) -> bool:
        return bool(_TIME_DIRECTIVE.search(fmt))


def check_timezone(name: str | None) -> str | None:
    """Accept an IANA zone name; the loader adds the nearest names to the error."""
    if name is not None and name not in _zones():
        raise ValueError(f"unknown timezone {name!r} (an IANA name like Europe/Paris)")
    return name


_ZONES: set[str] = set()


def _zones() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES


AssigneeList = Annotated[list[AssigneeSpec], BeforeValidator(_as_list_of_blocks)]
JurisdictionList = Annotated[list[JurisdictionSpec], BeforeValidator(_as_list_of_blocks)]


class FieldsSpec(_Block):
    """One block per API field of `IncidentCreateRequest`; unknown names are load errors."""

    name: ValueSpec | None = None
    description: ValueSpec | None = None
    incidentTypeName: ValueSpec | None = None
    orgGroupId: OrgSpec | None = None
    dateOccurred: DateSpec | None = None
    dateDiscovered: DateSpec | None = None
    deadline: DateSpec | None = None
    sourceType: ValueSpec | None = None
    rootCause: ValueSpec | None = None
    notificationNeeded: ValueSpec | None = None
    attributeValues: dict[Annotated[str, Field(min_length=1)], AttributeSpec] | None = None
    incidentAssigneeRequests: AssigneeList | None = None
    jurisdictions: JurisdictionList | None = None
    linkedInventories: LinkedInventoriesSpec | None = None
    autoAssessJurisdictions: ValueSpec | None = None


class RowFilter(_Block):
    """Skip a row when its `column` matches: `{column: Status, equals: [Draft, Test]}`."""

    column: str
    equals: TextList | None = None
    not_equals: TextList | None = None
    matches: str | None = None
    empty: bool | None = None
    ignore_case: bool = False
    reason: str | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> RowFilter:
        given = [
            k for k in ("equals", "not_equals", "matches", "empty") if getattr(self, k) is not None
        ]
        if len(given) != 1:
            raise ValueError("give exactly one of: equals, not_equals, matches, empty")
        if self.matches is not None:
            try:
                re.compile(self.matches)
            except re.error as exc:
                raise ValueError(f"'matches' is not a valid regular expression: {exc}") from None
        return self


class LookupFilesSpec(_Block):
    """Offline lookup CSV files, relative to the mapping file."""

    organizations: str | None = None
    users: str | None = None
    groups: str | None = None
    options: str | None = None


class MappingSpec(_Block):
    """The whole mapping file."""

    version: Literal[1]
    name: str | None = Field(None, min_length=1)
    sheets: Annotated[list[str], BeforeValidator(_as_list)] | None = None
    key: Annotated[list[str], BeforeValidator(_as_list)] = []
    skip_rows: list[RowFilter] = []
    timezone: str = "UTC"
    fields: FieldsSpec
    lookups: LookupFilesSpec | None = None
    groups: dict[str, UUID] = {}
    options: dict[str, dict[Text, UUID]] = {}

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, name: str) -> str:
        check_timezone(name)
        return name


def relative_date_problem(fields: FieldsSpec, name: str) -> str | None:
    """Why `fields.<name>.relative_to` cannot work (unmapped base, itself, a cycle), or None."""
    spec: DateSpec | None = getattr(fields, name)
    if spec is None or spec.relative_to is None:
        return None
    if spec.relative_to == name:
        return f"{name} cannot be relative to itself"
    step: DateSpec | None = getattr(fields, spec.relative_to)
    if step is None:
        return f"{name} is relative_to {spec.relative_to}, which is not mapped"
    seen = [name, spec.relative_to]
    while step is not None and step.relative_to is not None:
        if step.relative_to in seen:
            return f"relative_to forms a cycle: {' → '.join([*seen, step.relative_to])}"
        seen.append(step.relative_to)
        step = getattr(fields, step.relative_to)
    return None


def mapping_json_schema() -> dict[str, Any]:
    """JSON Schema of the mapping file, for editors' autocompletion."""
    schema = MappingSpec.model_json_schema(by_alias=True)
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "incident-import mapping file (version 1)"
    return schema
