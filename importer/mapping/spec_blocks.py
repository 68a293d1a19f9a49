"""What every block of the mapping file shares: strict frozen models, cell-text scalars, sources.

A `Source` says where a value comes from: one of `column`, `constant`, `coalesce`, `template`;
a bare string is short for `{column: ...}`.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    WithJsonSchema,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

__all__ = [
    "Block",
    "ColumnList",
    "Source",
    "Text",
    "TextList",
    "as_list",
    "scalar_text",
    "split_placeholder",
]


def scalar_text(value: Any) -> Any:
    """Scalars that stand for cell values (map keys, constants) are text: 1 → "1", true → "true"."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)
    return value


def as_list(value: Any) -> Any:
    """A lone scalar is a list of one: `key: Id` means `key: [Id]`."""
    return [value] if isinstance(value, str | int | float | bool) else value


_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]+)\}")
_FORMAT_START = ":%"
# The strftime directives every platform's C library knows (plus glibc's `%-d` padding flag).
_DIRECTIVE = re.compile(r"%-?[aAbBcCdDefFhHIjmMpRSTUwWxXyYzZGuV%]")


def split_placeholder(token: str) -> tuple[str, bool, str | None]:
    """`"Date?:%Y"` → `("Date", True, "%Y")`: column, optional, date format (after `:%`)."""
    name, sep, fmt = token.partition(_FORMAT_START)
    optional = name.endswith("?")
    return (name[:-1] if optional else name), optional, ("%" + fmt) if sep else None


def _check_template(template: str) -> None:
    """A template's date formats must be usable by strftime."""
    for match in _PLACEHOLDER.finditer(template):
        token = match.group(1)
        fmt = split_placeholder(token)[2] if token else None
        if fmt is None:
            continue
        leftover = _DIRECTIVE.sub("", fmt)
        if "%" in leftover:
            raise ValueError(
                f"{{{token}}}: {fmt!r} is not a date format (strftime directives like %Y-%m-%d)"
            )


def _column_shorthand(value: Any) -> Any:
    return {"column": value} if isinstance(value, str) else value


_SCALAR_SCHEMA = WithJsonSchema({"type": ["string", "number", "boolean"]})
Text = Annotated[str, BeforeValidator(scalar_text), _SCALAR_SCHEMA]
TextList = Annotated[list[Text], BeforeValidator(as_list)]
ColumnList = Annotated[list[str], Field(min_length=1), BeforeValidator(as_list)]


class Block(BaseModel):
    """Any block of the file: unknown keys are errors, and a parsed block never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Shorthand(Block):
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


class Source(_Shorthand):
    """A block that reads a value from exactly one source (a date may be relative instead)."""

    column: str | None = None
    constant: Text | None = None
    coalesce: ColumnList | None = None
    template: str | None = None
    trim: bool = True

    def sources(self) -> list[str]:
        return [k for k in ("column", "constant", "coalesce", "template") if getattr(self, k)]

    @model_validator(mode="after")
    def _one_source(self) -> Source:
        given = self.sources()
        if len(given) > 1:
            raise ValueError(f"give only one of column, constant, coalesce, template (got {given})")
        if not given and not self._source_optional():
            raise ValueError("give one of: column, constant, coalesce, template")
        if self.template:
            _check_template(self.template)
        return self

    def _source_optional(self) -> bool:
        return False
