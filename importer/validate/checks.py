"""Warnings on rows that pass validation: sent, but a person should look.

- a date in the future (`dateOccurred`, `dateDiscovered`);
- a `deadline` before `dateOccurred`, a `dateDiscovered` before `dateOccurred`;
- two rows that look alike (the same request body) under different row keys;
- a lookup that was not checked (validating offline: see `offline.py`).

`RowChecks` keeps one fingerprint per valid row across the run (8 bytes of SHA-256 each).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from importer.rows import SourceRef
from importer.validate.offline import NOT_CHECKED_ID
from importer.validate.problems import Problem, Severity

__all__ = ["RowChecks", "changed_fields"]

ColumnsFor = Callable[[str], list[str]]
CellValue = Callable[[str], Any]


class RowChecks:
    """The warning checks of one run; `now` is fixed once so a run judges every row alike."""

    def __init__(self, columns_for: ColumnsFor, *, now: datetime | None = None) -> None:
        self.columns_for = columns_for
        self.now = now or datetime.now(UTC)
        self._bodies: dict[int, SourceRef] = {}

    def warnings(
        self, ref: SourceRef, key: str | None, body: dict[str, Any], cell: CellValue
    ) -> list[Problem]:
        """The warnings of one valid row; `cell(column)` gives the source cell of a column."""
        found = [*self._dates(body), *self._unchecked(body), *self._lookalike(ref, body)]
        return [self._locate(ref, key, cell, *item) for item in found]

    def _locate(
        self,
        ref: SourceRef,
        key: str | None,
        cell: CellValue,
        kind: str,
        field: str,
        message: str,
        suggestion: str | None,
    ) -> Problem:
        columns = self.columns_for(field.split(".", 1)[0]) if field else []
        value = cell(columns[0]) if len(columns) == 1 else None
        return Problem(
            ref,
            Severity.WARNING,
            kind,
            message,
            field=field or None,
            column=", ".join(columns) or None,
            value=value,
            suggestion=suggestion,
            key=key,
        )

    def _dates(self, body: dict[str, Any]) -> Iterator[tuple[str, str, str, str | None]]:
        dates = {
            name: _when(body.get(name)) for name in ("dateOccurred", "dateDiscovered", "deadline")
        }
        for name in ("dateOccurred", "dateDiscovered"):
            when = dates[name]
            if when is not None and when > self.now:
                yield "date in the future", name, f"{body[name]} is in the future", "check the year"
        occurred = dates["dateOccurred"]
        if occurred is None:
            return
        for name, what in (("deadline", "deadline"), ("dateDiscovered", "discovery")):
            when = dates[name]
            if when is not None and when < occurred:
                yield (
                    f"{what} before occurrence",
                    name,
                    f"{body[name]} is before dateOccurred {body['dateOccurred']}",
                    "check the day/month order and the year of both dates",
                )

    def _unchecked(self, body: dict[str, Any]) -> Iterator[tuple[str, str, str, str | None]]:
        for path in _paths_of(body, NOT_CHECKED_ID):
            yield (
                "lookup not checked",
                path,
                "not checked against the tenant (validated offline)",
                "give --lookup KIND=FILE or validate with --online",
            )

    def _lookalike(
        self, ref: SourceRef, body: dict[str, Any]
    ) -> Iterator[tuple[str, str, str, str | None]]:
        digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).digest()
        first = self._bodies.setdefault(int.from_bytes(digest[:8], "big"), ref)
        if first != ref:
            yield (
                "looks like another row",
                "",
                f"the same incident as {first}, under another row key",
                "remove one of the two rows if they are the same incident",
            )


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _paths_of(node: Any, wanted: str, prefix: str = "") -> Iterator[str]:
    if isinstance(node, dict):
        for name, value in node.items():
            yield from _paths_of(value, wanted, f"{prefix}{name}.")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths_of(value, wanted, f"{prefix}{index}.")
    elif node == wanted:
        yield prefix.rstrip(".")


def changed_fields(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """`["name: 'Old' → 'New'", "deadline: (empty) → '2024-01-02T00:00:00Z'"]`, by field name."""
    changes = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before != after:
            changes.append(f"{name}: {_shown(before)} → {_shown(after)}")
    return changes


def _shown(value: Any) -> str:
    if value is None:
        return "(empty)"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    return repr(text[:80] + ("…" if len(text) > 80 else ""))
