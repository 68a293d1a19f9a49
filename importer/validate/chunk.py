"""Validation of mapped bodies against the vendor's schema, located back to the source cells."""

from __future__ import annotations

from operator import itemgetter
from typing import Any, Protocol

from importer.models import body_errors, canonical_uuids_of
from importer.rows import MappedChunk, RowError, SheetChunk
from importer.validate.columns import may_be_invalid_by_column

__all__ = ["REWRITTEN", "ColumnLocator", "locate_field_errors", "validate_chunk"]

# The top-level fields whose value `canonical_uuids_of` may replace with another text (it
# rewrites nested ones inside the lists and dicts that `MappedChunk.columns` shares).
REWRITTEN = frozenset({"orgGroupId"})


class ColumnLocator(Protocol):
    def columns_for(self, field: str) -> list[str]: ...


def validate_chunk(chunk: SheetChunk, mapped: MappedChunk, mapping: ColumnLocator) -> MappedChunk:
    """Move every body that fails the API models from `bodies` to `errors`, in place.

    UUIDs are rewritten to their canonical form first (`canonical_uuids_of`): what is sent is
    that form, and text that is no UUID is a located row error. The whole chunk takes one
    quick pass (`may_be_invalid`, a column at a time); only the bodies it cannot vouch for
    take `body_errors`.
    """
    rows, bodies = list(mapped.bodies), list(mapped.bodies.values())
    columns, mapped.columns = mapped.columns, None  # no longer the bodies' once some move
    canonical_uuids_of(bodies)
    if columns is not None:  # a UUID the rewrite replaced is read again from the bodies
        columns = {n: _read(bodies, n) if n in REWRITTEN else v for n, v in columns.items()}
    for at in may_be_invalid_by_column(bodies, columns):
        row, body = rows[at], bodies[at]
        problems = body_errors(body)
        if problems:
            del mapped.bodies[row]
            mapped.errors[row] = locate_field_errors(problems, body, chunk, row, mapping)
    return mapped


def _read(bodies: list[dict[str, Any]], name: str) -> list[Any]:
    return list(map(itemgetter(name), bodies))


def locate_field_errors(
    problems: list[tuple[str, str]],
    body: dict[str, Any] | None,
    chunk: SheetChunk | None,
    row: int,
    mapping: ColumnLocator,
) -> list[RowError]:
    """Turn `(field path, message)` pairs into row errors naming the source column and its value."""
    errors = []
    for path, message in problems:
        top = path.split(".", 1)[0]
        columns = mapping.columns_for(top)
        column = columns[0] if len(columns) == 1 else (", ".join(columns) or None)
        value: Any = None
        if chunk is not None and len(columns) == 1 and columns[0] in chunk.frame.columns:
            value = chunk.frame.at[row, columns[0]]
        elif body is not None:
            value = _value_at(body, path)
        errors.append(RowError(_plain(message, top, body), field=path, column=column, value=value))
    return errors


def _plain(message: str, field: str, body: dict[str, Any] | None) -> str:
    """Pydantic's messages, phrased for a person fixing a spreadsheet."""
    if message == "Field required" or (body is not None and field in body and body[field] is None):
        return "required, but empty"
    return message.removeprefix("Value error, ")


def _value_at(body: Any, path: str) -> Any:
    node = body
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node if not isinstance(node, dict | list) else None
