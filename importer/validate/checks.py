"""Warnings on rows that pass validation: sent, but a person should look.

- a date in the future (`dateOccurred`, `dateDiscovered`);
- a `deadline` before `dateOccurred`, a `dateDiscovered` before `dateOccurred`;
- two rows that look alike (the same request body) under different row keys;
- a lookup that was not checked (validating offline: see `offline.py`).

`RowChecks` keeps one fingerprint per valid row across the run (8 bytes of SHA-256) in a
`DigestTable`, not Python objects, spilled to disk past 131,072 rows (see `_Fingerprints`).
It checks a chunk's valid rows at once (`warnings_of`): what one row costs is what a run of a
million pays.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from operator import attrgetter
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson

from importer.digests import DigestTable
from importer.rows import SourceRef
from importer.validate.instants import rows_to_check
from importer.validate.offline import NOT_CHECKED_ID
from importer.validate.problems import Problem, Severity

__all__ = ["RowChecks", "ValidRow", "changed_fields"]

ColumnsFor = Callable[[str], list[str]]
CellValue = Callable[[str], Any]
RowCell = Callable[[SourceRef, str], Any]  # (row, column) → the source cell
ValidRow = tuple[SourceRef, str | None, dict[str, Any], str | None]  # ref, key, body, fingerprint
Found = tuple[str, str, str, str | None]  # kind, field, message, suggestion
_ROW, _SHEET = attrgetter("row"), attrgetter("file", "sheet")


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
        return self.warnings_of([(ref, key, body, fingerprint)], lambda _, column: cell(column))

    def warnings_of(self, rows: Sequence[ValidRow], cell: RowCell) -> list[Problem]:
        """What `warnings` gives each of `rows`, in their order; `cell(ref, column)` gives a
        source cell. The rows are checked column-wise first (`instants`, `_Fingerprints`):
        only those with something to say take the row's own checks."""
        refs, _, bodies, prints = zip(*rows, strict=True) if rows else ((), (), (), ())
        dates = {at: self._dates(bodies[at]) for at in rows_to_check(bodies, self.now)}
        repeats = self._prints.repeats(_heads(bodies, prints), refs)
        unchecked = _may_hold(bodies, NOT_CHECKED_ID) if self.unchecked else range(0)
        problems: list[Problem] = []
        for at in sorted(dates.keys() | repeats.keys() | set(unchecked)):
            ref, key, body, _ = rows[at]
            found = dates.get(at, [])
            if self.unchecked:
                found += self._unchecked(body)
            first = repeats.get(at)
            if first is not None and first != ref:
                found.append(_lookalike(first))
            problems += [self._locate(ref, key, cell, *item) for item in found]
        return problems

    def _locate(
        self,
        ref: SourceRef,
        key: str | None,
        cell: RowCell,
        kind: str,
        field: str,
        message: str,
        suggestion: str | None,
    ) -> Problem:
        columns = self._columns_of(field.split(".", 1)[0]) if field else []
        value = cell(ref, columns[0]) if len(columns) == 1 else None
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

    def _dates(self, body: dict[str, Any]) -> list[Found]:
        occurred, discovered = _when(body.get("dateOccurred")), _when(body.get("dateDiscovered"))
        found = []
        if occurred is not None and occurred > self.now:
            found.append(_future(body, "dateOccurred"))
        if discovered is not None and discovered > self.now:
            found.append(_future(body, "dateDiscovered"))
        if occurred is not None:
            deadline = _when(body.get("deadline"))
            if deadline is not None and deadline < occurred:
                found.append(_before_occurrence(body, "deadline", "deadline"))
            if discovered is not None and discovered < occurred:
                found.append(_before_occurrence(body, "dateDiscovered", "discovery"))
        return found

    def _unchecked(self, body: dict[str, Any]) -> list[Found]:
        return [
            (
                "lookup not checked",
                path,
                "not checked against the tenant (validated offline)",
                "give --lookup KIND=FILE or validate with --online",
            )
            for path in _paths_of(body, NOT_CHECKED_ID)
        ]


def _future(body: dict[str, Any], name: str) -> Found:
    return "date in the future", name, f"{body[name]} is in the future", "check the year"


def _before_occurrence(body: dict[str, Any], name: str, what: str) -> Found:
    return (
        f"{what} before occurrence",
        name,
        f"{body[name]} is before dateOccurred {body['dateOccurred']}",
        "check the day/month order and the year of both dates",
    )


def _lookalike(first: SourceRef) -> Found:
    return (
        "looks like another row",
        "",
        f"the same incident as {first}, under another row key",
        "remove one of the two rows if they are the same incident",
    )


def _may_hold(bodies: Sequence[dict[str, Any]], wanted: str) -> range:
    """Every position if one of `bodies` may hold `wanted` as a text leaf, else none: orjson
    writes a chunk's bodies in one call, and `wanted` (plain ASCII, nothing JSON escapes) is in
    that text if any text leaf equals it (a str subclass is written as its text). A body orjson
    cannot write (an odd type, a lone surrogate) leaves every row to `_paths_of`."""
    try:
        text = orjson.dumps(bodies)
    except TypeError:  # orjson.JSONEncodeError is one
        return range(len(bodies))
    return range(len(bodies)) if wanted.encode() in text else range(0)


def _heads(bodies: Sequence[dict[str, Any]], prints: Sequence[str | None]) -> npt.NDArray[np.int64]:
    """The first 8 bytes of each body's fingerprint as a signed 64-bit number."""
    texts = [
        hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
        if fingerprint is None
        else fingerprint
        for body, fingerprint in zip(bodies, prints, strict=True)
    ]
    try:
        heads = bytes.fromhex("".join([text[:16] for text in texts]))
    except ValueError:
        heads = b""
    if len(heads) == 8 * len(texts):  # 16 hex digits each: one C call for them all
        return np.frombuffer(heads, dtype=">i8").astype(np.int64)
    values = [int(text[:16], 16) for text in texts]  # what else int() reads, as it always did
    return np.array([v - (1 << 64) if v >= 1 << 63 else v for v in values], dtype=np.int64)


class _Fingerprints:
    """64-bit fingerprints with the row each was first seen on, in flat memory.

    A Python set of ints costs ~100 bytes a row (measured), too much for a million rows. Each
    fingerprint sits in a `DigestTable` (importer/digests.py) beside its first row's number and
    the place (file and sheet) of that row: sorted NumPy runs, spilled to a private temporary
    file once a run is full, so a run's memory does not grow with its rows.
    """

    def __init__(self, *, run_size: int | None = None) -> None:
        sized = {} if run_size is None else {"run_size": run_size}
        self._table = DigestTable(width=2, **sized)  # payload: (row, place)
        self.places: dict[tuple[str, str | None], int] = {}
        self._wheres: list[tuple[str, str | None]] = []

    def repeats(
        self, fingerprints: npt.NDArray[np.int64], refs: Sequence[SourceRef]
    ) -> dict[int, SourceRef]:
        """Rows in turn: a new fingerprint is kept; the position of one seen before maps to the
        row it was first seen on. The same as asking one row at a time."""
        digests = fingerprints.view(np.uint64)
        distinct, first, inverse = np.unique(digests, return_index=True, return_inverse=True)
        found, payload = self._table.lookup(distinct)
        fresh = np.sort(first[~found])  # rows that bring a new one, in order
        added = refs if len(fresh) == len(refs) else [refs[at] for at in fresh.tolist()]
        numbers = np.fromiter(map(_ROW, added), dtype=np.uint64, count=len(added))
        if len(set(map(_SHEET, added))) == 1:  # a chunk is one sheet's: one place for all
            places = np.full(len(added), self._place(added[0]), dtype=np.uint64)
        else:
            places = np.fromiter(map(self._place, added), dtype=np.uint64, count=len(added))
        self._table.add(digests[fresh], np.column_stack((numbers, places)))
        if len(fresh) == len(refs):
            return {}
        seen = np.ones(len(refs), dtype=bool)
        seen[fresh] = False
        repeats: dict[int, SourceRef] = {}
        for at in np.flatnonzero(seen).tolist():
            index = int(inverse[at])
            if found[index]:
                row, place = payload[index].tolist()
                file, sheet = self._wheres[place]
                repeats[at] = SourceRef(file, sheet, row)
            else:  # first seen earlier in this same chunk
                repeats[at] = refs[int(first[index])]
        return repeats

    def _place(self, ref: SourceRef) -> int:
        where = (ref.file, ref.sheet)
        place = self.places.get(where)
        if place is None:
            place = self.places[where] = len(self._wheres)
            self._wheres.append(where)
        return place


def _when(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _paths_of(node: Any, wanted: str, prefix: str = "") -> list[str]:
    if isinstance(node, dict):
        pairs: Iterable[tuple[Any, Any]] = node.items()
    elif isinstance(node, list):
        pairs = enumerate(node)
    else:
        return [prefix.rstrip(".")] if node == wanted else []
    found = []
    for name, value in pairs:
        if type(value) is str:  # most leaves: compared here, without a call per leaf
            if value == wanted:
                found.append(f"{prefix}{name}.".rstrip("."))
        else:
            found += _paths_of(value, wanted, f"{prefix}{name}.")
    return found


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
