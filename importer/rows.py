"""The values that flow between stages: a chunk of source rows, row errors and row results.

A row keeps the identity a spreadsheet user sees (file, sheet, 1-based row number with the
header row counted) from the reader to the report, so every result joins back to its cell.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the CLI imports these types for `--help` too: pandas loads with a stage
    import pandas as pd

__all__ = [
    "MappedChunk",
    "RowError",
    "RowResult",
    "RowStatus",
    "SameOutcome",
    "SheetChunk",
    "SourceRef",
]


@dataclass(frozen=True, slots=True)
class SourceRef:
    """Where a row came from: `orders.xlsx`, sheet `2024`, row 17 (header is row 1)."""

    file: str
    sheet: str | None
    row: int

    def __str__(self) -> str:
        sheet = f"[{self.sheet}]" if self.sheet else ""
        return f"{self.file}{sheet} row {self.row}"


@dataclass(frozen=True, slots=True)
class RowError:
    """One problem with one row: which API field, which source column, the value, and why."""

    message: str
    field: str | None = None
    column: str | None = None
    value: Any = None
    # The reader refused only this cell (a formula without value, a number format, an error
    # cell): the row's other cells are read whole, so a mapping that never reads `column` sends
    # nothing of it and the run ignores this error (run/chunks.py).
    cell_only: bool = False

    def describe(self) -> str:
        """One actionable line: `column 'Date' (dateOccurred) value '31/02/2020': not a date`."""
        parts = []
        if self.column:
            parts.append(f"column {self.column!r}")
        if self.field:
            parts.append(f"({self.field})" if self.column else f"field {self.field!r}")
        if self.value is not None and self.value != "":
            parts.append(f"value {_short(self.value)!r}")
        where = " ".join(parts)
        return f"{where}: {self.message}" if where else self.message


def _short(value: Any, limit: int = 80) -> str:
    text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RowStatus(StrEnum):
    """The outcome every input row ends with; the report writes one per row."""

    CREATED = "created"
    UPDATED = "updated"
    ALREADY_IMPORTED = "already imported"
    CHANGED = "changed since import"
    WOULD_CREATE = "would create"  # dry run
    WOULD_UPDATE = "would update"  # dry run with --update-changed
    SKIPPED = "skipped"  # a row filter matched, or a blank row
    INVALID = "invalid"  # mapping or validation refused it; nothing was sent
    REJECTED = "rejected"  # the register answered 400
    FAILED = "failed"  # sending gave up (retries exhausted, 403, run aborted)
    UNKNOWN = "unknown"  # may have been created; could not be reconciled
    STAGE_NOT_REACHED = "stage not reached"  # the incident exists; moving it to its stage failed

    @property
    def is_ok(self) -> bool:
        return self in _OK


_OK = {
    RowStatus.CREATED,
    RowStatus.UPDATED,
    RowStatus.ALREADY_IMPORTED,
    RowStatus.WOULD_CREATE,
    RowStatus.WOULD_UPDATE,
    RowStatus.SKIPPED,
    RowStatus.CHANGED,
}


@dataclass(slots=True)
class RowResult:
    """What happened to one source row."""

    source: SourceRef
    status: RowStatus
    incident_id: str | None = None
    http_status: int | None = None
    attempts: int = 0
    errors: list[RowError] = field(default_factory=list)
    note: str = ""  # e.g. "reconciled: found in register after a 500"
    key: str | None = None
    reconciled: bool = False  # the incident was found by searching, not answered by a 201
    stage: str | None = None  # the workflow stage the incident is in, as far as the run knows
    # When this outcome was decided: seconds since the epoch (cheap per row; reports format it).
    decided_at: float = field(default_factory=time.time)

    @property
    def message(self) -> str:
        texts = [e.describe() for e in self.errors]
        if self.note:
            texts.append(self.note)
        return "; ".join(texts)


@dataclass(slots=True)
class SameOutcome:
    """Rows of one sheet that ended alike, as columns: one status and note, no error, decided
    at one moment (a dry run's new rows). The report writes them without a `RowResult` each;
    `results()` gives the very results the row-at-a-time way would (tests compare the two)."""

    file: str
    sheet: str | None
    rows: list[int]
    keys: list[str]
    status: RowStatus
    note: str = ""
    decided_at: float = field(default_factory=time.time)

    def results(self) -> list[RowResult]:
        """One `RowResult` a row, in the rows' order."""
        file, sheet, status, note, at = (
            self.file,
            self.sheet,
            self.status,
            self.note,
            self.decided_at,
        )
        return [
            RowResult(SourceRef(file, sheet, row), status, note=note, key=key, decided_at=at)
            for row, key in zip(self.rows, self.keys, strict=True)
        ]

    def counted(self) -> list[RowResult]:
        """What a progress sink counts (how many rows, their statuses): one result standing
        for every row, not one object a row."""
        if not self.rows:
            return []
        first = RowResult(SourceRef(self.file, self.sheet, self.rows[0]), self.status)
        return [first] * len(self.rows)


@dataclass(slots=True)
class SheetChunk:
    """A slice of one sheet as the reader yields it.

    `frame` holds the source columns exactly as headed in the file (object dtype; CSV cells are
    `str`, XLSX cells keep `datetime`/`float`/`bool`; empty cells are `None`). Its index is the
    1-based spreadsheet row number, so `frame.loc[17]` is what the user sees on row 17.
    """

    file: str
    sheet: str | None
    frame: pd.DataFrame
    # Rows the reader could not read whole or refuses (a cell or line past a limit, a row wider
    # than its header, a merge across columns, a formula without a value): they end invalid.
    row_errors: dict[int, list[RowError]] = field(default_factory=dict)
    # A hidden sheet read without being named (its rows are reported, not sent), and a
    # workbook on the 1904 date system (its serials count from 1904-01-01): docs/cells.md.
    hidden: bool = False
    date1904: bool = False
    # Workbooks: the number of the sheet's last row, from its dimension (what calamine
    # allocated), so a progress bar has a total without counting rows; None for CSV.
    last_row: int | None = None

    def ref(self, row: int) -> SourceRef:
        return SourceRef(self.file, self.sheet, int(row))


@dataclass(slots=True)
class MappedChunk:
    """What the mapping makes of a chunk; every row of the chunk is in exactly one of
    `bodies`, `errors` or `skipped` (keyed by spreadsheet row number)."""

    bodies: dict[int, dict[str, Any]] = field(default_factory=dict)
    errors: dict[int, list[RowError]] = field(default_factory=dict)
    skipped: dict[int, str] = field(default_factory=dict)  # row -> reason
    keys: dict[int, str] = field(default_factory=dict)  # row -> row key from key columns
    stages: dict[int, str] = field(default_factory=dict)  # row -> workflow stage to end in
    # `bodies`' values field by field, in their order, while they are as `apply_mapping` built
    # them, every one with all these fields (else None); validation reads them from here.
    columns: dict[str, list[Any]] | None = field(default=None, compare=False, repr=False)
