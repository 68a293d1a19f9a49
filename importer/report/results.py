"""The results report a run leaves behind: one folder with a line per input row.

    results.csv       file, sheet, row, key, status, incident_id, http_status, attempts, message
    failed_rows*.csv  the rows that need a person, with the source's own columns (re-importable
                      as is) plus an `import_error` column: `failed_rows.csv`, and one more file
                      per other set of source columns (sheets with the same header share one)
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
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any, cast

import orjson
import pandas as pd

from importer.redact import scrub_text
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
]
NEEDS_A_PERSON = {RowStatus.INVALID, RowStatus.REJECTED, RowStatus.FAILED, RowStatus.UNKNOWN}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """Neutralise text a spreadsheet would run as a formula (CSV injection) in our own columns."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def default_report_dir(base: Path, mapping_name: str, *, now: datetime | None = None) -> Path:
    """`reports/20261126-041500-legacy_incidents`, made unique if it exists."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    candidate = base / f"{stamp}-{mapping_name}"
    n = 2
    while candidate.exists():
        candidate = base / f"{stamp}-{mapping_name}-{n}"
        n += 1
    return candidate


class ReportWriter:
    """Streams row results into a report folder; call `close()` (or use `with`) to finish."""

    def __init__(self, folder: Path, *, secrets: Sequence[str] = ()) -> None:
        self.folder = folder
        self._secrets = list(secrets)
        folder.mkdir(parents=True, exist_ok=True)
        self.counts: Counter[RowStatus] = Counter()
        self._results_fp = (folder / "results.csv").open("w", newline="", encoding="utf-8")
        self._results = csv.writer(self._results_fp)
        self._results.writerow(RESULT_COLUMNS)
        self._failed: dict[tuple[str, ...], tuple[IO[str], Any]] = {}
        self.failed_files: list[Path] = []
        self.reconciled = 0
        self._bodies_fp: IO[bytes] | None = None

    @property
    def results_path(self) -> Path:
        return self.folder / "results.csv"

    def write_chunk(self, chunk: SheetChunk, results: list[RowResult]) -> None:
        """Write the results of one chunk (in row order) and its failed rows."""
        for result in sorted(results, key=lambda r: r.source.row):
            self.counts[result.status] += 1
            self.reconciled += result.reconciled
            self._results.writerow(self._result_line(result))
            if result.status in NEEDS_A_PERSON:
                self._write_failed(chunk, result)
        self._results_fp.flush()

    def _result_line(self, r: RowResult) -> list[Any]:
        return [
            r.source.file,
            r.source.sheet or "",
            r.source.row,
            safe_cell(r.key or ""),
            r.status.value,
            r.incident_id or "",
            r.http_status or "",
            r.attempts,
            safe_cell(scrub_text(r.message, self._secrets)) if r.errors or r.note else "",
        ]

    def _write_failed(self, chunk: SheetChunk, result: RowResult) -> None:
        source = tuple(map(str, chunk.frame.columns))
        if source not in self._failed:
            path = self.folder / _failed_name(len(self._failed), chunk)
            fp = path.open("w", newline="", encoding="utf-8")
            writer = csv.writer(fp)
            writer.writerow([*map(str, chunk.frame.columns), "import_error"])
            self._failed[source] = (fp, writer)
            self.failed_files.append(path)
        writer = self._failed[source][1]
        values = cast("pd.Series[Any]", chunk.frame.loc[result.source.row])
        cells = ["" if v is None else v for v in values.to_list()]
        message = scrub_text(result.message, self._secrets)
        # Sheets with the same header share this file, so say which sheet the row came from.
        where = f"sheet {chunk.sheet} row" if chunk.sheet else "row"
        problem = f"{where} {result.source.row}: {result.status.value}: {message}"
        writer.writerow([*cells, problem])

    def write_would_send(self, source: SourceRef, key: str, body: dict[str, Any]) -> None:
        """Dry runs: record the exact body a row would be sent with, one JSON object a line."""
        if self._bodies_fp is None:
            self._bodies_fp = (self.folder / "would_send.jsonl").open("wb")
        line = {"file": source.file, "sheet": source.sheet, "row": source.row, "key": key}
        self._bodies_fp.write(
            orjson.dumps({**line, "body": body}, option=orjson.OPT_APPEND_NEWLINE)
        )

    def write_summary(self, summary: dict[str, Any]) -> Path:
        path = self.folder / "summary.json"
        path.write_text(json.dumps(summary, indent=2, default=str) + "\n", encoding="utf-8")
        return path

    def close(self) -> None:
        self._results_fp.close()
        for fp, _ in self._failed.values():
            fp.close()
        if self._bodies_fp is not None:
            self._bodies_fp.close()

    def __enter__(self) -> ReportWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _failed_name(index: int, chunk: SheetChunk) -> str:
    if index == 0:
        return "failed_rows.csv"
    label = Path(chunk.file).stem + (f"-{chunk.sheet}" if chunk.sheet else "")
    return f"failed_rows-{re.sub(r'[^A-Za-z0-9_.-]+', '_', label)}.csv"
