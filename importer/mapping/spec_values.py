"""Value blocks of the mapping file: one scalar, or a list split from one cell.

`values.py` applies them to a chunk: source → extract → text transforms → map → default.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema, field_validator, model_validator

from importer.mapping.patterns import compile_pattern
from importer.mapping.spec_blocks import Block, Source, Text, as_list, scalar_text

__all__ = ["ExtractSpec", "ListValueSpec", "OrgSpec", "OtherwiseValue", "ValueSpec"]


def _text_map(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return {
        scalar_text(k) if k is not None else "": None if v is None else scalar_text(v)
        for k, v in value.items()
    }


class ExtractSpec(Block):
    """`extract: {pattern: "INC-(\\d+)", otherwise: error}`: keep the first group (or the match)."""

    pattern: str
    otherwise: Literal["keep", "empty", "error"] = "empty"

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, pattern: str) -> str:
        try:
            compile_pattern(pattern)
        except ValueError as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from None
        return pattern


class OtherwiseValue(Block):
    value: Text


class ValueSpec(Source):
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


Separators = Annotated[list[str], Field(min_length=1), BeforeValidator(as_list)]


class ListValueSpec(ValueSpec):
    """A value that may hold several items in one cell (`split: ";"`)."""

    split: Separators | None = None
