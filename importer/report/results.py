"""The results report a run leaves behind: one folder with a line per input row.

    results.csv       file, sheet, row, key, status, incident_id, http_status, attempts, message
    failed_rows*.csv  the rows that need a person, with the source's own columns (re-importable
                      as is) plus `import_sheet` (workbooks only), `import_row` and `import_error`:
                      `failed_rows.csv`, and one more file per other set of source columns
                      (sheets with the same header share one)
    would_send.jsonl  dry runs only: the exact body each valid row would be sent with
    summary.json      counts by status, durations, requests, retries, 429s
    manifest.json     the audit record (hashes, versions, times) - see importer.report.manifest

Rows are written chunk by chunk as the run goes, so a crash leaves a report that is complete up to
the last finished chunk, and memory stays flat whatever the file size.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast

import orjson
import pandas as pd

from importer.formulas import neutralise
from importer.mapping import cell_text, serial_text
from importer.redact import scrub_text
from importer.report.failed_workbook import FailedWorkbook
from importer.report.files import FOLDER_MODE, create_report_dir, open_private, write_private
from importer.rows import RowResult, RowStatus, SheetChunk, SourceRef

__all__ = ["RESULT_COLUMNS", "ReportWriter", "default_report_dir", "safe_cell"]

RESULT_COLUMNS = [
    "file",
    "sheet",
    "row",
    "key",
    "status",
    "incident_id",
    "http_status",
    "attempts",
    "message",
    "stage",
    "decided_at",
]
NEEDS_A_PERSON = {
    RowStatus.INVALID,
    RowStatus.REJECTED,
    RowStatus.FAILED,
    RowStatus.UNKNOWN,
    RowStatus.STAGE_NOT_REACHED,
}


def safe_cell(text: str) -> str:
    """Text a spreadsheet would run as a formula, neutralised as OWASP advises (a leading `'`),
    reversibly: every text cell of every CSV or workbook the tool writes goes through here, and
    the reader undoes it in `failed_rows` files (see `importer.formulas`)."""
    return neutralise(text)


def _safe_value(value: Any) -> Any:
    """A source cell for a CSV, as the mapping reads it so that the file re-imports with the same
    mapping (`true`, `2024-03-02T09:15:00`, `7.5`; not Python's `True`): numbers as Excel shows
    them (never formulas), text neutralised."""
    if value is None:
        return ""
    if type(value) in (int, float):
        return cell_text(value) or ""
    text = value if isinstance(value, str) else cell_text(value) or ""  # "  " stays "  "
    return neutralise(text)


def _serial_value(value: Any, date1904: bool) -> Any:
    """A cell of a column the mapping reads as Excel serial dates: a number is written as the
    date it was read as (`2023-03-15`), because text is never a serial on re-import."""
    if type(value) in (int, float):
        text = serial_text(value, date1904)
        if text is not None:
            return text
    return _safe_value(value)


def default_report_dir(base: Path, mapping_name: str, *, now: datetime | None = None) -> Path:
    """Create `reports/20261126-041500-legacy_incidents` (unique, 0700) and return it; raises
    ConfigError for a `base` that is not a writable folder (see `report.files`)."""
    return create_report_dir(base, mapping_name, now=now or datetime.now(UTC))


class ReportWriter:
    """Streams row results into a report folder; call `close()` (or use `with`) to finish."""

    def __init__(
        self,
        folder: Path,
        *,
        secrets: Sequence[str] = (),
        serial_headers: Callable[[Sequence[str]], set[str]] | None = None,
    ) -> None:
        """`serial_headers`: a sheet header → the columns whose number cells the mapping reads
        as Excel serial dates; failed rows write those as the date read, not the number."""
        self.folder = folder
        self._serial_headers = serial_headers
        self._secrets = list(secrets)
        folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
        self.counts: Counter[RowStatus] = Counter()
        self._results_fp = open_private(folder / "results.csv", newline="")
        self._results = csv.writer(self._results_fp)
        self._results.writerow(RESULT_COLUMNS)
        self._failed: dict[tuple[str, ...], tuple[IO[str], Any, set[str]]] = {}
        self.failed_files: list[Path] = []
        self.reconciled = 0
        self.stages: Counter[str] = Counter()  # stage → rows whose incident is in it
        self._clock = _Rfc3339()
        self._closed = False
        self._bodies_fp: IO[str] | None = None
        self._failed_book: FailedWorkbook | None = None  # workbook sources: failed_rows.xlsx
        # Every workbook sheet read, with its header: failed_rows.xlsx gets them all (see close).
        self._sheets_read: dict[tuple[str, str], list[str]] = {}

    @property
    def results_path(self) -> Path:
        return self.folder / "results.csv"

    def write_chunk(self, chunk: SheetChunk, results: list[RowResult]) -> None:
        """Write the results of one chunk (in row order) and its failed rows."""
        if chunk.sheet is not None:
            where = (chunk.file, chunk.sheet)
            self._sheets_read.setdefault(where, [str(c) for c in chunk.frame.columns])
        for result in sorted(results, key=lambda r: r.source.row):
            self.counts[result.status] += 1
            self.reconciled += result.reconciled
            if result.stage:
                self.stages[result.stage] += 1
            self._results.writerow(self._result_line(result))
            if result.status in NEEDS_A_PERSON:
                self._write_failed(chunk, result)
        self._results_fp.flush()

    def _result_line(self, r: RowResult) -> list[Any]:
        return [
            safe_cell(r.source.file),
            safe_cell(r.source.sheet or ""),
            r.source.row,
            safe_cell(r.key or ""),
            r.status.value,
            safe_cell(r.incident_id or ""),
            r.http_status or "",
            r.attempts,
            safe_cell(scrub_text(r.message, self._secrets)) if r.errors or r.note else "",
            safe_cell(r.stage or ""),
            self._clock.rfc3339(r.decided_at),
        ]

    def _write_failed(self, chunk: SheetChunk, result: RowResult) -> None:
        columns = tuple(map(str, chunk.frame.columns))
        source = (*columns, "import_sheet" if chunk.sheet else "")
        if source not in self._failed:
            path = self.folder / _failed_name(len(self._failed), chunk)
            fp = open_private(path, newline="")
            writer = csv.writer(fp)
            ours = ["import_sheet"] if chunk.sheet else []
            names = [*(safe_cell(str(c)) for c in chunk.frame.columns), *ours]
            writer.writerow([*names, "import_row", "import_error"])
            serials = self._serial_headers(list(columns)) if self._serial_headers else set()
            self._failed[source] = (fp, writer, serials)
            self.failed_files.append(path)
        _, writer, serials = self._failed[source]
        values = cast("pd.Series[Any]", chunk.frame.loc[result.source.row])
        cells = [
            _serial_value(v, chunk.date1904) if name in serials else _safe_value(v)
            for name, v in zip(columns, values.to_list(), strict=True)
        ]
        message = scrub_text(result.message, self._secrets)
        # Files and sheets with the same header share this file: say where the row came from.
        where = Path(chunk.file).name + (f" [sheet {chunk.sheet}]" if chunk.sheet else "")
        problem = f"{where} row {result.source.row}: {result.status.value}: {message}"
        sheet = [safe_cell(chunk.sheet)] if chunk.sheet else []
        writer.writerow([*cells, *sheet, result.source.row, safe_cell(problem)])
        if chunk.sheet is not None:
            if self._failed_book is None:
                self._failed_book = FailedWorkbook(self.folder / "failed_rows.xlsx")
                self.failed_files.append(self._failed_book.path)
            self._failed_book.write(chunk, result.source.row, problem)

    def write_would_send(self, source: SourceRef, key: str, body: dict[str, Any]) -> None:
        """Dry runs: record the exact body a row would be sent with, one JSON object a line."""
        if self._bodies_fp is None:
            self._bodies_fp = open_private(self.folder / "would_send.jsonl")
        line = {"file": source.file, "sheet": source.sheet, "row": source.row, "key": key}
        self._bodies_fp.write(
            orjson.dumps({**line, "body": body}, option=orjson.OPT_APPEND_NEWLINE).decode()
        )

    def write_summary(self, summary: dict[str, Any]) -> Path:
        path = self.folder / "summary.json"
        write_private(path, json.dumps(summary, indent=2, default=str) + "\n")
        return path

    def close(self) -> None:
        """Flush and close every file; idempotent (the run closes before hashing, `with` after)."""
        if self._closed:
            return
        self._closed = True
        self._results_fp.close()
        for fp, _, _ in self._failed.values():
            fp.close()
        if self._bodies_fp is not None:
            self._bodies_fp.close()
        if self._failed_book is not None:
            for (file, sheet), columns in self._sheets_read.items():
                self._failed_book.add_sheet(file, sheet, columns)  # those without failed rows
            self._failed_book.close()

    def __enter__(self) -> ReportWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Rfc3339:
    """Epoch seconds → `2026-11-30T00:33:41.597Z`; the date part is formatted once a second,
    since a million rows must not pay for a million `datetime` objects."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def rfc3339(self, moment: float) -> str:
        millis = int(moment * 1000)
        second, milli = divmod(millis, 1000)
        if second != self._second:
            self._second = second
            self._prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{self._prefix}.{milli:03d}Z"


def _failed_name(index: int, chunk: SheetChunk) -> str:
    if index == 0:
        return "failed_rows.csv"
    label = Path(chunk.file).stem + (f"-{chunk.sheet}" if chunk.sheet else "")
    return f"failed_rows-{re.sub(r'[^A-Za-z0-9_.-]+', '_', label)}.csv"
