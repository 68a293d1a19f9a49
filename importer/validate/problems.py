"""Problems of a row, each with a severity, a kind, the field, the source column and the value.

A `Problem` is what the validation reports (`problems.csv`, `validation.xlsx`, `report.html`)
show a person: *error* blocks the row, *warning* lets it be sent but a person should look,
*info* is for the record (a skipped row, what changed since the import).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from importer.rows import RowError, RowResult, RowStatus, SourceRef

__all__ = [
    "Problem",
    "ProblemTally",
    "Severity",
    "example_text",
    "kind_of",
    "problems_of_result",
    "problems_of_results",
]


class Severity(StrEnum):
    ERROR = "error"  # the row is refused (or the register refused it)
    WARNING = "warning"  # sent, but a person should look
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem of one row, located on its cell: `legacy.csv row 9, column 'Title'`."""

    source: SourceRef
    severity: Severity
    kind: str
    message: str
    field: str | None = None
    column: str | None = None  # a source column, or several joined with ", "
    value: Any = None
    suggestion: str | None = None
    key: str | None = None

    @property
    def columns(self) -> list[str]:
        return [c.strip() for c in self.column.split(",")] if self.column else []


# Message wording → kind; the first match wins. The messages are the mapping's and validation's
# own (importer/mapping, importer/validate/chunk.py), so a new wording falls to "invalid value".
_KINDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), kind)
    for p, kind in [
        (r"required, but empty|Field required", "required"),
        (r"same row key as", "duplicate key"),
        (r"the year is outside", "date out of range"),
        (r"expected a date|not a date|date-time|datetime", "not a date"),
        (r"expected a known organization|organization name .* ambiguous", "unknown organization"),
        (r"expected a known user|expected an e-mail", "unknown user"),
        (r"expected a known group", "unknown group"),
        (r"expected a known option|unknown option", "unknown option"),
        (r"country|state/province", "not a country"),
        (r"expected one of", "not in the list"),
        (r"expected true or false", "not a yes/no"),
        (r"UUID|uuid", "not a UUID"),
        (r"expected text matching", "wrong format"),
        (r"at most|too long|String should have", "too long"),
    ]
]
_INDEX = re.compile(r"\.\d+(?=\.|$)")
_SUGGESTION = re.compile(r"did you mean ([^?]+)\?")


def kind_of(message: str) -> str:
    """A short, stable name for what is wrong: `"not a date"`, `"required"`, ..."""
    for pattern, kind in _KINDS:
        if pattern.search(message):
            return kind
    return "invalid value"


# What to do about a kind, when the message has no "did you mean".
_FIXES = {
    "required": "fill in the cell",
    "not a date": "write the date in one of the mapping's formats",
    "date out of range": "check the year",
    "not in the list": "use a listed value, or add this one to the mapping's map:",
    "unknown organization": "use the organization's name, path or externalId in the tenant",
    "unknown user": "use the e-mail of a user of the tenant",
    "duplicate key": "give each row its own key, or remove the repeated row",
    "not a country": "use a country name or ISO 3166 code (FR, FRA)",
}


def _suggestion(message: str, kind: str) -> str | None:
    found = _SUGGESTION.search(message)
    return f"use {found.group(1)}" if found else _FIXES.get(kind)


def _from_error(
    ref: SourceRef, error: RowError, severity: Severity, kind: str | None, key: str | None
) -> Problem:
    kind = kind or kind_of(error.message)
    return Problem(
        ref,
        severity,
        kind,
        error.message,
        field=error.field,
        column=error.column,
        value=error.value,
        suggestion=_suggestion(error.message, kind),
        key=key,
    )


def problems_of_result(result: RowResult) -> list[Problem]:
    """The error and info problems a row's result carries (warnings are added by `checks`)."""
    ref, key = result.source, result.key
    if result.status is RowStatus.INVALID:
        return [_from_error(ref, e, Severity.ERROR, None, key) for e in result.errors]
    if result.status in (RowStatus.REJECTED, RowStatus.FAILED, RowStatus.UNKNOWN):
        kind = "rejected by the register" if result.status is RowStatus.REJECTED else "not sent"
        errors = result.errors or [RowError(result.note or result.status.value)]
        return [_from_error(ref, e, Severity.ERROR, kind, key) for e in errors]
    if result.status is RowStatus.SKIPPED and result.note:
        return [Problem(ref, Severity.INFO, "skipped", result.note, key=key)]
    if result.status in (RowStatus.CHANGED, RowStatus.WOULD_UPDATE) and result.note:
        return [Problem(ref, Severity.INFO, "changed since import", result.note, key=key)]
    return []


# Statuses whose rows carry no problem, whatever their errors and note (`problems_of_result`).
_QUIET = frozenset(
    {
        RowStatus.CREATED,
        RowStatus.UPDATED,
        RowStatus.ALREADY_IMPORTED,
        RowStatus.WOULD_CREATE,
        RowStatus.STAGE_NOT_REACHED,
    }
)


def problems_of_results(results: Iterable[RowResult]) -> list[Problem]:
    """`problems_of_result` of each result in turn, joined; most rows have none to look for."""
    return [p for r in results if r.status not in _QUIET for p in problems_of_result(r)]


class ProblemTally:
    """Counts by (severity, kind, field) and the first example row of each, in bounded memory."""

    def __init__(self) -> None:
        self.counts: Counter[tuple[str, str, str]] = Counter()
        self.examples: dict[tuple[str, str, str], list[Problem]] = {}

    def add(self, problems: list[Problem]) -> None:
        for problem in problems:
            field = _INDEX.sub("", problem.field or "")  # assignees.0.x and .1.x count together
            group = (problem.severity.value, problem.kind, field)
            self.counts[group] += 1
            examples = self.examples.setdefault(group, [])
            if len(examples) < 3:
                examples.append(problem)

    def by_kind(self) -> dict[str, dict[str, int]]:
        """`{"error": {"not a date": 12, ...}, "warning": {...}}`: every kind, for summary.json."""
        found: dict[str, Counter[str]] = {}
        for (severity, kind, _field), count in self.counts.items():
            found.setdefault(severity, Counter())[kind] += count
        return {severity: dict(kinds.most_common()) for severity, kinds in found.items()}

    def most_common(self, limit: int = 10) -> list[dict[str, Any]]:
        """`[{severity, kind, field, count, example, example_row}, ...]`, errors first;
        `example` is `"log.csv row 9 value 'x': message"`; `example_row` has no message."""
        order = {Severity.ERROR.value: 0, Severity.WARNING.value: 1, Severity.INFO.value: 2}
        groups = sorted(self.counts.items(), key=lambda item: (order[item[0][0]], -item[1]))
        return [
            {
                "severity": severity,
                "kind": kind,
                "field": field,
                "count": count,
                "example": example_text(self.examples[(severity, kind, field)][0]),
                "example_row": example_text(self.examples[(severity, kind, field)][0], False),
            }
            for (severity, kind, field), count in groups[:limit]
        ]


def example_text(problem: Problem, message: bool = True) -> str:
    """`legacy.csv row 9 value 'x': message`: one problem as a person reads it."""
    value = f" value {str(problem.value)[:60]!r}" if problem.value not in (None, "") else ""
    src = problem.source
    where = Path(src.file).name + (f"[{src.sheet}]" if src.sheet else "") + f" row {src.row}"
    return f"{where}{value}: {problem.message}" if message else f"{where}{value}"
