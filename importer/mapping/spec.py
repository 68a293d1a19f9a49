"""Pydantic models of the mapping file (format v1): the whole file, its fields, and JSON Schema.

The models only describe and check the file; `compiled.Mapping` is what the pipeline uses.
The blocks live in `spec_values`, `spec_dates` and `spec_nested`; they are re-exported here so
this module names every model (the loader hides their names from error locations by that).
"""

from __future__ import annotations

import codecs
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BeforeValidator, Field, field_validator, model_validator

from importer.mapping.patterns import compile_pattern
from importer.mapping.spec_blocks import Block, Text, TextList, as_list
from importer.mapping.spec_dates import DATE_FIELDS, DateSpec, check_timezone
from importer.mapping.spec_nested import (
    AssigneeList,
    AssigneeSpec,
    AttributeSpec,
    InventorySpec,
    JurisdictionList,
    JurisdictionSpec,
    LinkedInventoriesSpec,
)
from importer.mapping.spec_values import (
    ExtractSpec,
    ListValueSpec,
    OrgSpec,
    OtherwiseValue,
    ValueSpec,
)

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


class FieldsSpec(Block):
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


class RowFilter(Block):
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
                compile_pattern(self.matches, ignore_case=self.ignore_case)
            except ValueError as exc:
                raise ValueError(f"'matches' is not a valid regular expression: {exc}") from None
        return self


class LookupFilesSpec(Block):
    """Offline lookup CSV files, relative to the mapping file."""

    organizations: str | None = None
    users: str | None = None
    groups: str | None = None
    options: str | None = None


class MappingSpec(Block):
    """The whole mapping file."""

    version: Literal[1]
    name: str | None = Field(None, min_length=1)
    sheets: Annotated[list[str], BeforeValidator(as_list)] | None = None
    # pydantic copies mutable defaults per instance; RUF012 only knows that of a BaseModel
    # subclass defined in the same file, and `Block` lives in spec_blocks.
    key: Annotated[list[str], BeforeValidator(as_list)] = []  # noqa: RUF012
    skip_rows: list[RowFilter] = []  # noqa: RUF012
    timezone: str = "UTC"
    fields: FieldsSpec
    lookups: LookupFilesSpec | None = None
    groups: dict[str, UUID] = {}  # noqa: RUF012
    options: dict[str, dict[Text, UUID]] = {}  # noqa: RUF012
    # Cell texts that mean "no value" in every column (docs/cells.md), e.g. ['\N', NULL, N/A, '-'].
    no_value: TextList = []  # noqa: RUF012
    encoding: str | None = None  # CSV text encoding, when detection cannot tell (cp1250...)
    # The tenant's incident type names: a type not listed fails its row before sending.
    incident_types: TextList = []  # noqa: RUF012
    # The tenant's custom attribute names: attributeValues may only name these.
    attributes: TextList | None = None

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, name: str | None) -> str | None:
        if name is not None:
            try:
                codecs.lookup(name)
            except LookupError:
                raise ValueError(
                    f"unknown encoding {name!r} (a Python codec: utf-8, cp1252, cp1250 ...)"
                ) from None
        return name

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
