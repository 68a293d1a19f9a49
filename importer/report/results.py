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

import hashlib
import json
import operator
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from itertools import pairwise, repeat
from pathlib import Path
from typing import IO, Any

import orjson

from importer.formulas import neutralise
from importer.redact import Scrubber
from importer.report.csv_lines import CsvLines
from importer.report.failed_rows import ChunkFailures, FailedRows
from importer.report.files import (
    FOLDER_MODE,
    Digest,
    create_report_dir,
    open_private,
    open_private_binary,
    write_private,
)
from importer.report.stamps import Rfc3339
from importer.rows import RowResult, RowStatus, SameOutcome, SheetChunk, SourceRef

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
_BY_ROW = operator.attrgetter("source.row")
_STATUS, _RECONCILED, _STAGE = (operator.attrgetter(a) for a in ("status", "reconciled", "stage"))
_TERMINATOR = "\r\n"  # csv.excel.lineterminator
_REMEMBER = 1024
_STATUS_TEXT = {status: status.value for status in RowStatus}  # `.value` is slow on an enum
# results.csv and would_send.jsonl take a line a row: a few large writes a chunk, not hundreds.
_LINES_A_WRITE = 256
_BUFFER = 1 << 20
_JSON_LINE = orjson.OPT_APPEND_NEWLINE
_DUMPS = orjson.dumps


def safe_cell(text: str) -> str:
    """Text a spreadsheet would run as a formula, neutralised as OWASP advises (a leading `'`),
    reversibly: every text cell of every CSV or workbook the tool writes goes through here, and
    the reader undoes it in `failed_rows` files (see `importer.formulas`)."""
    return neutralise(text)


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
        # A message repeats on many rows (a dry run's adoption note on each row it would create).
        self._scrub = Scrubber(secrets)
        folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
        self.counts: Counter[RowStatus] = Counter()
        # Hashed as written: the manifest's SHA-256 without reading the files back.
        self._digests: dict[Path, Digest] = {self.results_path: hashlib.sha256()}
        self._results_fp = open_private(
            self.results_path,
            newline="",
            buffering=_BUFFER,
            digest=self._digests[self.results_path],
        )
        self._results = CsvLines(self._results_fp)
        self._results.writerow(RESULT_COLUMNS)
        self._failed = FailedRows(folder, serial_headers)
        self.reconciled = 0
        self.stages: Counter[str] = Counter()  # stage → rows whose incident is in it
        self._clock = Rfc3339()
        self._places: dict[tuple[str, str | None], str] = {}  # → its first two cells
        self._messages: dict[str, str] = {}  # message → its cell
        self._closed = False
        self._bodies_fp: IO[bytes] | None = None
        # Every workbook sheet read, with its header: failed_rows.xlsx gets them all (see close).
        self._sheets_read: dict[tuple[str, str], list[str]] = {}

    @property
    def results_path(self) -> Path:
        return self.folder / "results.csv"

    @property
    def failed_files(self) -> list[Path]:
        """The failed rows files written so far, in the order they were created."""
        return self._failed.paths

    def write_chunk(
        self, chunk: SheetChunk, results: list[RowResult], alike: SameOutcome | None = None
    ) -> None:
        """Write the results of one chunk (in row order) and its failed rows; `alike` are more
        of its rows, as columns (they need no person: `SameOutcome` carries no error)."""
        if chunk.sheet is not None:
            where = (chunk.file, chunk.sheet)
            self._sheets_read.setdefault(where, [str(c) for c in chunk.frame.columns])
        if alike is not None and alike.status in NEEDS_A_PERSON:  # the row-at-a-time way
            results, alike = [*results, *alike.results()], None
        ordered = sorted(results, key=_BY_ROW)
        text = self._chunk_text(ordered, alike)
        if text is None:  # a cell csv.writer quotes, or an odd value: the line at a time way
            if alike is not None:
                ordered = sorted([*results, *alike.results()], key=_BY_ROW)
            self._write_lines(chunk, ordered)
        else:
            self._results_fp.write(text)
            self._tally(chunk, ordered)
            if alike is not None:
                self.counts[alike.status] += len(alike.rows)
        self._results_fp.flush()
        if self._bodies_fp is not None:  # the chunk's bodies were written before its results
            self._bodies_fp.flush()

    def _write_lines(self, chunk: SheetChunk, ordered: list[RowResult]) -> None:
        counts, stages, line, lines = self.counts, self.stages, self._result_line, self._results
        failed: ChunkFailures | None = None
        for result in ordered:
            counts[result.status] += 1
            self.reconciled += result.reconciled
            if result.stage:
                stages[result.stage] += 1
            lines.writerow(line(result))
            if result.status in NEEDS_A_PERSON:
                if failed is None:
                    failed = self._failed.of(chunk)
                failed.write(result, self._scrub(_message(result)))

    def _tally(self, chunk: SheetChunk, ordered: list[RowResult]) -> None:
        """What `_write_lines` does besides writing lines, a column at a time."""
        self.counts.update(map(_STATUS, ordered))
        self.reconciled += sum(map(_RECONCILED, ordered))
        self.stages.update(filter(None, map(_STAGE, ordered)))
        failed: ChunkFailures | None = None
        for result in ordered:
            if result.status in NEEDS_A_PERSON:
                if failed is None:
                    failed = self._failed.of(chunk)
                failed.write(result, self._scrub(_message(result)))

    def _chunk_text(self, ordered: list[RowResult], alike: SameOutcome | None) -> str | None:
        """The lines `_write_lines` writes, as one text, when no cell needs csv.writer's quotes
        (`CsvLines`' own test, on the whole chunk at once); else None."""
        if not ordered and (alike is None or not alike.rows):
            return None
        try:
            lines = [self._line_text(result) for result in ordered]
            if alike is not None and alike.rows:
                lines = _merged(ordered, lines, alike, self._alike_lines(alike))
        except Exception:  # the line at a time way fails the same way, at its row
            return None
        text = "\r\n".join(lines)
        breaks = len(lines) - 1
        if (
            text.count(",") != (len(RESULT_COLUMNS) - 1) * len(lines)
            or text.count("\r") != breaks
            or text.count("\n") != breaks
            or '"' in text
        ):
            return None
        return text + _TERMINATOR

    def _line_text(self, r: RowResult) -> str:
        """`_result_line(r)` joined by commas, without the list."""
        source = r.source
        place = self._place(source.file, source.sheet)
        return (
            f"{place},{source.row!s},{neutralise(r.key) if r.key else ''},"
            f"{_STATUS_TEXT[r.status]},{neutralise(r.incident_id) if r.incident_id else ''},"
            f"{str(r.http_status) if r.http_status else ''},{r.attempts!s},"
            f"{self._message_cell(_message(r)) if r.errors or r.note else ''},"
            f"{neutralise(r.stage) if r.stage else ''},{self._clock.rfc3339(r.decided_at)}"
        )

    def _alike_lines(self, alike: SameOutcome) -> list[str]:
        """`_line_text` of each of `alike`'s results, the cells they share made once."""
        head = f"{self._place(alike.file, alike.sheet)},"
        message = self._message_cell(alike.note) if alike.note else ""
        tail = (
            f",{_STATUS_TEXT[alike.status]},,,0,{message},,{self._clock.rfc3339(alike.decided_at)}"
        )
        return [
            f"{head}{row!s},{neutralise(key) if key else ''}{tail}"
            for row, key in zip(alike.rows, alike.keys, strict=True)
        ]

    def _place(self, file: str, sheet: str | None) -> str:
        """The first two cells of a line from `file` and `sheet`, neutralised once."""
        place = self._places.get((file, sheet))
        if place is None:
            cells = f"{neutralise(file)},{neutralise(sheet) if sheet else ''}"
            place = self._places[(file, sheet)] = cells
        return place

    def _message_cell(self, message: str) -> str:
        cell = self._messages.get(message)
        if cell is None:
            if len(self._messages) >= _REMEMBER:
                self._messages.clear()  # bounded: a run of unique messages must not grow memory
            cell = self._messages[message] = neutralise(self._scrub(message))
        return cell

    def _result_line(self, r: RowResult) -> list[str]:
        # All text, so that CsvLines can join it (csv writes a number as its str: same line);
        # an empty cell needs no neutralising.
        source = r.source
        return [
            neutralise(source.file),
            neutralise(source.sheet) if source.sheet else "",
            str(source.row),
            neutralise(r.key) if r.key else "",
            _STATUS_TEXT[r.status],
            neutralise(r.incident_id) if r.incident_id else "",
            str(r.http_status) if r.http_status else "",
            str(r.attempts),
            neutralise(self._scrub(_message(r))) if r.errors or r.note else "",
            neutralise(r.stage) if r.stage else "",
            self._clock.rfc3339(r.decided_at),
        ]

    def write_would_send(self, source: SourceRef, key: str, body: dict[str, Any]) -> None:
        """Dry runs: record the exact body a row would be sent with, one JSON object a line."""
        line = would_send_line(source.file, source.sheet, source.row, key, body)
        self._would_send().write(line)

    def _would_send(self) -> IO[bytes]:
        if self._bodies_fp is None:
            path = self.folder / "would_send.jsonl"
            self._digests[path] = hashlib.sha256()
            self._bodies_fp = open_private_binary(
                path, buffering=_BUFFER, digest=self._digests[path]
            )
        return self._bodies_fp

    def write_would_send_rows(
        self,
        file: str,
        sheet: str | None,
        rows: list[int],
        keys: list[str],
        bodies: list[dict[str, Any]],
    ) -> None:
        """`write_would_send` of each row in order, a few hundred lines a write: each orjson
        result keeps ~4 KB, so a whole chunk's lines held at once cost ~20 MB of peak memory.
        A body orjson refuses raises JSONEncodeError with the rows before it written, as
        `write_would_send` row by row does."""
        if not rows:
            return
        batch: list[bytes] = []
        try:
            for line in map(would_send_line, repeat(file), repeat(sheet), rows, keys, bodies):
                batch.append(line)
                if len(batch) == _LINES_A_WRITE:
                    self._would_send().write(b"".join(batch))
                    batch.clear()
        finally:
            if batch:  # the file is made by its first line, as row by row
                self._would_send().write(b"".join(batch))

    def written_sha256(self) -> dict[Path, str]:
        """SHA-256 hex digests of results.csv and would_send.jsonl, taken as they were
        written; empty until `close()` (an open file's digest is not yet the file's)."""
        if not self._closed:
            return {}
        return {path: digest.hexdigest() for path, digest in self._digests.items()}

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
        self._failed.close()
        if self._bodies_fp is not None:
            self._bodies_fp.close()
        if self._failed.book is not None:
            for (file, sheet), columns in self._sheets_read.items():
                self._failed.book.add_sheet(file, sheet, columns)  # those without failed rows
            self._failed.book.close()

    def __enter__(self) -> ReportWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def would_send_line(
    file: str, sheet: str | None, row: int, key: str, body: dict[str, Any]
) -> bytes:
    """One line of would_send.jsonl: where the row is, its key, and the body as it would go."""
    line = {"file": file, "sheet": sheet, "row": row, "key": key, "body": body}
    return _DUMPS(line, option=_JSON_LINE)


def _merged(
    ordered: list[RowResult], lines: list[str], alike: SameOutcome, alike_lines: list[str]
) -> list[str]:
    """The lines of `ordered` (sorted by row) and of `alike`, in row order."""
    rows = alike.rows
    if not lines and all(a < b for a, b in pairwise(rows)):
        return alike_lines  # the common chunk: every row alike, in order already
    pairs = [(r.source.row, line) for r, line in zip(ordered, lines, strict=True)]
    pairs += zip(rows, alike_lines, strict=True)
    pairs.sort(key=operator.itemgetter(0))  # stable: a chunk's rows are distinct anyway
    return [line for _, line in pairs]


def _message(r: RowResult) -> str:
    """`r.message`, without building a list for the common row that carries only a note."""
    return r.message if r.errors else r.note
