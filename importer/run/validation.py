"""The problems of a run's rows, gathered the same way in `run`, `run --dry-run` and `validate`.

`ProblemCollector` turns each chunk's results into problems (errors, infos), adds the warnings
of the rows that pass (`importer.validate.checks`), counts them for the summary and the console,
marks acknowledged rows, and feeds the validation report when there is one. `count_invalid`
is the `--max-invalid` pre-pass: the same map-and-validate code over the whole file, before
anything is sent.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from importer.errors import ConfigError
from importer.mapping import Mapping
from importer.report import ValidationReport
from importer.rows import RowResult, RowStatus, SameOutcome, SheetChunk, SourceRef
from importer.validate import (
    Problem,
    ProblemTally,
    RowChecks,
    ValidRow,
    problems_of_result,
    problems_of_results,
)

__all__ = [
    "NO_REGISTER",
    "Acknowledged",
    "InvalidLimit",
    "ProblemCollector",
    "problem_rows",
    "read_acknowledged",
]

_LIMIT = re.compile(r"([0-9]+(?:\.[0-9]+)?)\s*(%)?")
_COMMENT = re.compile(r"(?:^|\s)#.*")  # '#' starts a comment at a line's start or after a blank
_ACKNOWLEDGED = "acknowledged (--acknowledged): does not fail the run"
# Rows with these statuses (and no error) give no problem (`problems_of_results`) and are ok.
_NOTHING_TO_SAY = frozenset({RowStatus.WOULD_CREATE})


@dataclass(frozen=True)
class InvalidLimit:
    """`--max-invalid 25` or `--max-invalid 2%`: the most invalid rows a run may hold."""

    count: int | None = None
    percent: float | None = None

    @classmethod
    def parse(cls, text: str) -> InvalidLimit:
        """`"25"` → 25 rows, `"2.5%"` → 2.5 % of the rows; ConfigError otherwise."""
        # ASCII digits only: float() would take "nan%" (a limit nothing exceeds), int() "1_000"
        # and "\u0663"; none of them is a count a person meant.
        match = _LIMIT.fullmatch(text.strip())
        if match is None or ("." in match.group(1) and not match.group(2)):
            raise ConfigError(f"--max-invalid {text!r}: expected a count like 25 or 2%")
        number, percent = match.group(1), match.group(2)
        value: int | float = float(number) if percent else int(number)
        if isinstance(value, float) and value > 100:
            raise ConfigError(f"--max-invalid {text!r}: expected a count like 25 or 2%")
        return cls(percent=value) if isinstance(value, float) else cls(count=value)

    def exceeded(self, invalid: int, total: int) -> bool:
        if self.count is not None:
            return invalid > self.count
        assert self.percent is not None
        return total > 0 and invalid * 100 > self.percent * total

    def __str__(self) -> str:
        return f"{self.percent:g}%" if self.percent is not None else str(self.count)


@dataclass(frozen=True)
class Acknowledged:
    """Known problems that do not fail a run: whole rows by key, or single problems by
    (key, kind, column) - then a *new* problem on the same row still fails it."""

    rows: frozenset[str] = frozenset()
    problems: frozenset[tuple[str, str, str]] = frozenset()

    def covers(self, result: RowResult) -> bool:
        """Whether every problem of this (failed or invalid) row is acknowledged."""
        if result.key is None:
            return False
        if result.key in self.rows:
            return True
        found = problems_of_result(result)
        return bool(found) and all(
            (result.key, p.kind, p.column or "") in self.problems for p in found
        )


def read_acknowledged(path: Path | None) -> Acknowledged:
    """Acknowledged problems from a file: row keys one per line (`#` starts a comment), or a
    CSV with a `key` column; with `kind` and `column` columns too (an earlier `problems.csv`),
    each line acknowledges that one problem of that row."""
    if path is None:
        return Acknowledged()
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"--acknowledged {path}: cannot read it ({exc})") from None
    lines = text.splitlines()
    first = next(csv.reader(lines[:1]), [])
    if "key" not in first:
        keys = (_COMMENT.sub("", line).strip() for line in lines)
        return Acknowledged(rows=frozenset(k for k in keys if k))
    rows = [r for r in csv.DictReader(lines) if (r.get("key") or "").strip()]
    if "kind" in first and "column" in first:
        return Acknowledged(
            problems=frozenset(
                (_unsafe(r["key"]), r["kind"], _unsafe(r["column"] or "")) for r in rows
            )
        )
    return Acknowledged(rows=frozenset(_unsafe(r["key"]) for r in rows))


def _unsafe(text: str) -> str:
    # problems.csv wrote keys and columns through safe_cell; a key never starts with a quote.
    return text.strip().removeprefix("'")


class ProblemCollector:
    """Problems per chunk; `chunk_done` must see a chunk's results before they are written."""

    def __init__(
        self,
        mapping: Mapping,
        report: ValidationReport | None = None,
        acknowledged: Acknowledged | None = None,
        *,
        offline_lookups: bool = True,
    ) -> None:
        self.checks = RowChecks(mapping.columns_for, unchecked=offline_lookups)
        self.tally = ProblemTally()
        self.report, self.acknowledged = report, acknowledged or Acknowledged()
        self.acknowledged_rows = 0
        self._warnings: list[Problem] = []
        self._bodies: dict[int, dict[str, Any]] = {}
        self._valid: list[ValidRow] = []  # this chunk's valid rows, checked together
        self._frame: pd.DataFrame | None = None

    def valid_row(
        self,
        chunk: SheetChunk,
        ref: SourceRef,
        key: str,
        body: dict[str, Any],
        fingerprint: str | None = None,
    ) -> None:
        """A row that passed validation (it goes on to the ledger and the register): its
        warnings are found with the rest of its chunk's, by `chunk_done` or the next chunk."""
        self.valid_rows(chunk, [(ref, key, body, fingerprint)])

    def valid_rows(self, chunk: SheetChunk, rows: list[ValidRow]) -> None:
        """`valid_row` for each of a chunk's `(ref, key, body, fingerprint)`, in row order."""
        if not rows:
            return
        if chunk.frame is not self._frame:
            self._check_valid_rows()
            self._frame = chunk.frame
        self._valid.extend(rows)
        if self.report is not None:
            self._bodies.update((ref.row, body) for ref, _, body, _ in rows)

    def _check_valid_rows(self) -> None:
        frame, rows = self._frame, self._valid
        if frame is None or not rows:
            return
        self._valid = []
        self._warnings.extend(self.checks.warnings_of(rows, _CellsOf(frame)))

    def chunk_done(
        self, chunk: SheetChunk, results: Iterable[RowResult], alike: SameOutcome | None = None
    ) -> None:
        """`alike`: more of the chunk's rows, as columns; rows that would be created hold no
        problem and no note to acknowledge, so they are only made results for the report."""
        self._check_valid_rows()
        results = list(results)
        if alike is not None and (self.report is not None or alike.status not in _NOTHING_TO_SAY):
            results += alike.results()
        problems = problems_of_results(results) + self._warnings
        self.tally.add(problems)
        acknowledged = self.acknowledged.rows or self.acknowledged.problems  # else covers none
        for result in results if acknowledged else ():
            if not result.status.is_ok and self.acknowledged.covers(result):
                self.acknowledged_rows += 1
                result.note = f"{result.note}; {_ACKNOWLEDGED}" if result.note else _ACKNOWLEDGED
        if self.report is not None:
            self.report.write_chunk(chunk, results, problems, self._bodies)
        self._warnings, self._bodies = [], {}


class _CellsOf:
    """`cell(ref, column)` over one chunk's frame: the source cell a warning names, or None
    for a column the frame lacks. `frame.at` cost ~15 µs a warning, a third of a dry run whose
    rows all carry a warning (1.66M of them in a million rows, profiled); the row positions and
    each column's values are taken once, and only when a chunk has a warning."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self._positions: dict[int, int] | None = None
        self._columns: dict[str, Any] = {}  # column → its ExtensionArray (`.at`'s own values)

    def __call__(self, ref: SourceRef, column: str) -> Any:
        if column not in self.frame.columns:
            return None
        if self._positions is None:
            self._positions = {row: at for at, row in enumerate(self.frame.index.tolist())}
        values = self._columns.get(column)
        if values is None:
            values = self._columns[column] = self.frame[column].array
        return values[self._positions[ref.row]]


def problem_rows(results: Iterable[RowResult], acknowledged: Acknowledged) -> int:
    """Rows that are invalid and not acknowledged (what `--max-invalid` counts)."""
    return sum(r.status is RowStatus.INVALID and not acknowledged.covers(r) for r in results)


class _NoRegister:
    """The lookup source of an offline validation: knows no organization and no user."""

    async def list_organizations(self) -> list[dict[str, Any]]:
        return []

    async def find_user(self, email: str) -> dict[str, Any] | None:
        return None


NO_REGISTER = _NoRegister()
