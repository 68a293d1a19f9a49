"""Warnings on rows that pass validation: sent, but a person should look.

- a date in the future (`dateOccurred`, `dateDiscovered`);
- a `deadline` before `dateOccurred`, a `dateDiscovered` before `dateOccurred`;
- two rows that look alike (the same request body) under different row keys;
- a lookup that was not checked (validating offline: see `offline.py`).

`RowChecks` keeps one fingerprint per valid row across the run (8 bytes of SHA-256) in flat
arrays, not Python objects: about 26 bytes a row (see `_Fingerprints`).
"""

from __future__ import annotations

import hashlib
import json
from array import array
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import numpy as np

from importer.rows import SourceRef
from importer.validate.offline import NOT_CHECKED_ID
from importer.validate.problems import Problem, Severity

__all__ = ["RowChecks", "changed_fields"]

ColumnsFor = Callable[[str], list[str]]
CellValue = Callable[[str], Any]


class RowChecks:
    """The warning checks of one run; `now` is fixed once so a run judges every row alike."""

    def __init__(
        self, columns_for: ColumnsFor, *, now: datetime | None = None, unchecked: bool = True
    ) -> None:
        self.columns_for = columns_for
        self.unchecked = unchecked  # look for NOT_CHECKED_ID (only offline lookups put it there)
        self.now = now or datetime.now(UTC)
        self._prints = _Fingerprints()
        self._columns: dict[str, list[str]] = {}  # field → its columns: the mapping walk is slow

    def warnings(
        self,
        ref: SourceRef,
        key: str | None,
        body: dict[str, Any],
        cell: CellValue,
        fingerprint: str | None = None,
    ) -> list[Problem]:
        """The warnings of one valid row; `cell(column)` gives the source cell of a column;
        `fingerprint` is the body's SHA-256 hex digest when the caller has it already."""
        found = [
            *self._dates(body),
            *(self._unchecked(body) if self.unchecked else ()),
            *self._lookalike(ref, body, fingerprint),
        ]
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
        columns = self._columns_of(field.split(".", 1)[0]) if field else []
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

    def _columns_of(self, top: str) -> list[str]:
        # A mapping's fields never change during a run; walking it per warning cost a 400k-row
        # dry run a fifth of its time (issue 11's benchmark, profiled).
        if top not in self._columns:
            self._columns[top] = self.columns_for(top)
        return self._columns[top]

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
        self, ref: SourceRef, body: dict[str, Any], fingerprint: str | None
    ) -> Iterator[tuple[str, str, str, str | None]]:
        if fingerprint is None:
            text = json.dumps(body, sort_keys=True, default=str)
            fingerprint = hashlib.sha256(text.encode()).hexdigest()
        value = int(fingerprint[:16], 16)
        value = value - (1 << 64) if value >= 1 << 63 else value  # as a signed 64-bit number
        first = self._prints.first_or_add(value, ref)
        if first is not None and first != ref:
            yield (
                "looks like another row",
                "",
                f"the same incident as {first}, under another row key",
                "remove one of the two rows if they are the same incident",
            )


class _Fingerprints:
    """A set of 64-bit fingerprints with the row each was first seen on, in ~26 bytes a row.

    A Python set of ints costs ~100 bytes a row (measured), too much for a million rows. New
    fingerprints wait in a small set, then merge into one sorted numpy array (O(n) per merge);
    the first rows stay in insertion-order arrays, searched (in C) only when a row repeats.
    """

    _PENDING = 50_000

    def __init__(self) -> None:
        self.sorted = np.empty(0, dtype=np.int64)
        self.pending: set[int] = set()
        self.order, self.rows, self.where = array("q"), array("q"), array("H")
        self.places: dict[tuple[str, str | None], int] = {}

    def first_or_add(self, fingerprint: int, ref: SourceRef) -> SourceRef | None:
        if fingerprint in self.pending or self._in_sorted(fingerprint):
            at = self.order.index(fingerprint)
            place = self.where[at]
            file, sheet = next(p for p, i in self.places.items() if i == place)
            return SourceRef(file, sheet, self.rows[at])
        self.pending.add(fingerprint)
        self.order.append(fingerprint)
        self.rows.append(ref.row)
        place = self.places.setdefault((ref.file, ref.sheet), len(self.places))
        self.where.append(min(place, 65_535))
        if len(self.pending) >= self._PENDING:
            new = np.sort(np.fromiter(self.pending, dtype=np.int64, count=len(self.pending)))
            self.sorted = np.insert(self.sorted, np.searchsorted(self.sorted, new), new)
            self.pending.clear()
        return None

    def _in_sorted(self, fingerprint: int) -> bool:
        if not len(self.sorted):
            return False
        at = int(self.sorted.searchsorted(fingerprint))
        return at < len(self.sorted) and int(self.sorted[at]) == fingerprint


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
