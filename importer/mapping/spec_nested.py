"""Nested-field blocks of the mapping file: assignees, jurisdictions, attributes, inventories.

`nested.py` applies them to a chunk, with ids looked up before (`lookups.py`).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, model_validator

from importer.mapping.spec_blocks import Block
from importer.mapping.spec_values import ListValueSpec, ValueSpec

__all__ = [
    "AssigneeList",
    "AssigneeSpec",
    "AttributeSpec",
    "InventorySpec",
    "JurisdictionList",
    "JurisdictionSpec",
    "LinkedInventoriesSpec",
]


def _as_list_of_blocks(value: Any) -> Any:
    return [value] if isinstance(value, dict | str) else value


class AssigneeSpec(ListValueSpec):
    """One source of assignees: user e-mails, group names, or assignee ids."""

    type: Literal["USER", "GROUP"] | None = None
    lookup: Literal["user", "group"] | None = None
    when_present: str | None = Field(None, min_length=1)  # apply only where this cell has a value

    @model_validator(mode="after")
    def _type_matches_lookup(self) -> AssigneeSpec:
        if self.lookup and self.type and self.type.lower() != self.lookup:
            raise ValueError(f"'lookup: {self.lookup}' finds {self.lookup}s, not type {self.type}")
        return self

    def assignee_type(self) -> str:
        return self.type or ("GROUP" if self.lookup == "group" else "USER")


class JurisdictionSpec(Block):
    """`{country: Country, state: State}`: names or ISO codes, resolved with pycountry."""

    country: ListValueSpec
    state: ValueSpec | None = None
    when_present: str | None = Field(None, min_length=1)  # apply only where this cell has a value

    @model_validator(mode="after")
    def _split_without_state(self) -> JurisdictionSpec:
        if self.country.split and self.state:
            raise ValueError("a split country column cannot share one 'state' column")
        return self


class AttributeSpec(ListValueSpec):
    """A custom attribute: text as `{value}`, or select options by name with `option: true`."""

    option: bool = False
    when_present: str | None = Field(None, min_length=1)  # apply only where this cell has a value


class InventorySpec(ListValueSpec):
    as_: Literal["externalIds", "inventoryIds"] = Field("externalIds", alias="as")
    source_type: Literal["MANUAL", "ASSESSMENT", "INTEGRATION"] | None = None
    when_present: str | None = Field(None, min_length=1)  # apply only where this cell has a value


class LinkedInventoriesSpec(Block):
    assets: InventorySpec | None = None
    processing_activities: InventorySpec | None = Field(None, alias="processing-activities")
    vendors: InventorySpec | None = None
    entities: InventorySpec | None = None


AssigneeList = Annotated[list[AssigneeSpec], BeforeValidator(_as_list_of_blocks)]
JurisdictionList = Annotated[list[JurisdictionSpec], BeforeValidator(_as_list_of_blocks)]
