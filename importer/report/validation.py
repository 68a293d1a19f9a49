"""The validation report of a run: `problems.csv`, `validation.xlsx` and `report.html`.

    problems.csv     one line per problem: file, sheet, row, key, column, field, severity, kind,
                     value, message, suggestion
    validation.xlsx  the source sheets with each problem cell coloured (see workbook.py)
    report.html      one self-contained page: verdict, counts, chart, common problems, failing rows

Fed chunk by chunk like `ReportWriter`; `close(summary)` finishes the workbook and the page.
"""

from __future__ import annotations

import contextlib
import csv
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from importer.redact import scrub_text
from importer.report.files import open_private
from importer.report.results import safe_cell
from importer.rows import RowResult, RowStatus, SheetChunk
from importer.validate import Problem, ProblemTally, Severity

if TYPE_CHECKING:  # the page and the workbook load with a validation report: `run` never needs them
    from importer.report.html import FailingRow

__all__ = ["PROBLEM_COLUMNS", "ValidationReport"]

PROBLEM_COLUMNS = [
    "file",
    "sheet",
    "row",
    "key",
    "column",
    "field",
    "severity",
    "kind",
    "value",
    "message",
    "suggestion",
]
_SHOWN_ROWS = 500  # failing and changed rows listed on the page; the rest are in problems.csv


class ValidationReport:
    """Writes the three validation files of one run into `folder`."""

    def __init__(self, folder: Path, *, secrets: Sequence[str] = ()) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        self._secrets = list(secrets)
        self._csv_fp = open_private(folder / "problems.csv", newline="")
        self._csv = csv.writer(self._csv_fp)
        self._csv.writerow(PROBLEM_COLUMNS)
        from importer.report.workbook import ValidationWorkbook

        self.workbook = ValidationWorkbook(folder / "validation.xlsx")
        self.tally = ProblemTally()
        self.failing: list[FailingRow] = []
        self.changed: list[FailingRow] = []
        self.rows_with: dict[Severity, int] = dict.fromkeys(Severity, 0)

    def write_chunk(
        self,
        chunk: SheetChunk,
        results: list[RowResult],
        problems: list[Problem],
        bodies: dict[int, dict[str, Any]],
    ) -> None:
        problems = [self._scrubbed(p) for p in problems]
        problems.sort(key=lambda p: p.source.row)
        self.tally.add(problems)
        for problem in problems:
            self._csv.writerow(self._line(problem))
        self._csv_fp.flush()
        self.workbook.write_chunk(chunk, results, problems, bodies)
        self._remember(results, problems)

    def _remember(self, results: list[RowResult], problems: list[Problem]) -> None:
        from importer.report.html import FailingRow

        by_row: dict[int, list[Problem]] = {}
        for problem in problems:
            by_row.setdefault(problem.source.row, []).append(problem)
        for result in sorted(results, key=lambda r: r.source.row):
            found = by_row.get(result.source.row, [])
            for severity in {p.severity for p in found}:
                self.rows_with[severity] += 1
            row = FailingRow(result, found)
            if not result.status.is_ok and len(self.failing) < _SHOWN_ROWS:
                self.failing.append(row)
            changed = result.status in (RowStatus.CHANGED, RowStatus.WOULD_UPDATE)
            if changed and len(self.changed) < _SHOWN_ROWS:
                self.changed.append(row)

    def _scrubbed(self, problem: Problem) -> Problem:
        if not self._secrets:
            return problem
        value = problem.value
        if isinstance(value, str):
            value = scrub_text(value, self._secrets)
        return Problem(
            problem.source,
            problem.severity,
            problem.kind,
            scrub_text(problem.message, self._secrets),
            problem.field,
            problem.column,
            value,
            problem.suggestion,
            problem.key,
        )

    @staticmethod
    def _line(p: Problem) -> list[Any]:
        value = "" if p.value is None else str(p.value)
        return [
            safe_cell(p.source.file),
            safe_cell(p.source.sheet or ""),
            p.source.row,
            safe_cell(p.key or ""),
            safe_cell(p.column or ""),
            p.field or "",
            p.severity.value,
            p.kind,
            safe_cell(value),
            safe_cell(p.message),
            safe_cell(p.suggestion or ""),
        ]

    def close(self, summary: dict[str, Any]) -> None:
        """Finish `validation.xlsx` and write `report.html` from the run's summary."""
        self._csv_fp.close()
        self.workbook.close(summary.get("counts", {}), self.tally.counts)
        from importer.report.html import write_html

        write_html(
            self.folder / "report.html",
            summary=summary,
            tally=self.tally,
            rows_with=self.rows_with,
            failing=self.failing,
            changed=self.changed,
        )
        for name in ("validation.xlsx", "failed_rows.xlsx"):
            # xlsxwriter creates its file itself; it quotes the sheet's cells: owner only.
            with contextlib.suppress(OSError):
                os.chmod(self.folder / name, 0o600)
