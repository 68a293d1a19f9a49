"""`failed_rows*.csv` (and `failed_rows.xlsx`): the rows that need a person, re-importable as is.

Each file holds the source's own columns plus `import_sheet` (workbooks only), `import_row` and
`import_error`: `failed_rows.csv`, and one more file per other set of source columns (sheets
with the same header share one). Workbook sources also get `failed_rows.xlsx`, in their own
format (see `importer.report.failed_workbook`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO, Any, cast

import numpy as np
import pandas as pd

from importer.formulas import neutralise
from importer.mapping import cell_text, serial_text
from importer.report.csv_lines import CsvLines
from importer.report.failed_workbook import FailedWorkbook
from importer.report.files import open_private
from importer.rows import RowResult, SheetChunk

__all__ = ["FailedRows", "RowCells"]


class FailedRows:
    """Streams failed rows into one CSV file per set of source columns, and workbook sources'
    rows into `failed_rows.xlsx`; `close()` finishes them."""

    def __init__(
        self, folder: Path, serial_headers: Callable[[Sequence[str]], set[str]] | None
    ) -> None:
        self.folder = folder
        self._serial_headers = serial_headers
        self._files: dict[tuple[str, ...], tuple[IO[str], CsvLines, set[str]]] = {}
        self.paths: list[Path] = []  # in the order they were created
        self.book: FailedWorkbook | None = None

    def of(self, chunk: SheetChunk) -> ChunkFailures:
        """The writer of `chunk`'s failed rows; call it at the chunk's first failed row (it
        creates the chunk's file if its columns have none yet)."""
        columns = tuple(map(str, chunk.frame.columns))
        source = (*columns, "import_sheet" if chunk.sheet else "")
        if source not in self._files:
            path = self.folder / _failed_name(len(self._files), chunk)
            fp = open_private(path, newline="")
            writer = CsvLines(fp)
            ours = ["import_sheet"] if chunk.sheet else []
            names = [*(neutralise(str(c)) for c in chunk.frame.columns), *ours]
            writer.writerow([*names, "import_row", "import_error"])
            serials = self._serial_headers(list(columns)) if self._serial_headers else set()
            self._files[source] = (fp, writer, serials)
            self.paths.append(path)
        _, writer, serials = self._files[source]
        return ChunkFailures(self, chunk, writer, [c in serials for c in columns])

    def workbook(self) -> FailedWorkbook:
        """`failed_rows.xlsx`, created at the first failed row of a workbook source."""
        if self.book is None:
            self.book = FailedWorkbook(self.folder / "failed_rows.xlsx")
            self.paths.append(self.book.path)
        return self.book

    def close(self) -> None:
        for fp, _, _ in self._files.values():
            fp.close()


class ChunkFailures:
    """Writes the failed rows of one chunk: what every row of the chunk shares is worked out
    once (its columns, where it came from, how to read a row's cells)."""

    def __init__(
        self, files: FailedRows, chunk: SheetChunk, writer: CsvLines, serial: list[bool]
    ) -> None:
        self._files, self._chunk, self._writer, self._serial = files, chunk, writer, serial
        self._cells = RowCells(chunk.frame)
        # Files and sheets with the same header share this file: say where the row came from.
        self._where = Path(chunk.file).name + (f" [sheet {chunk.sheet}]" if chunk.sheet else "")
        self._sheet = [neutralise(chunk.sheet)] if chunk.sheet else []

    def write(self, result: RowResult, message: str) -> None:
        """Append `result`'s source row with its problem (`message`, already scrubbed)."""
        chunk, row = self._chunk, result.source.row
        stored = self._cells.stored(row)
        values = stored if stored is not None else self._cells.loc(row)
        date1904 = chunk.date1904
        cells = [
            _serial_value(v, date1904) if serial else _safe_value(v)
            for serial, v in zip(self._serial, values, strict=True)
        ]
        problem = f"{self._where} row {row}: {result.status.value}: {message}"
        self._writer.writerow([*cells, *self._sheet, str(row), neutralise(problem)])
        if chunk.sheet is not None:
            self._files.workbook().write(chunk, row, problem, stored)


class RowCells:
    """A row's cells as `frame.loc[row].to_list()` gives them; when every column holds objects
    (as the readers make them) and rows are unique, straight from the frame's array, since
    `.loc` costs tens of microseconds a call and a bad file can fail every row."""

    def __init__(self, frame: pd.DataFrame) -> None:
        self._frame = frame
        objects = all(isinstance(d, np.dtype) and d.kind == "O" for d in frame.dtypes)
        plain = objects and frame.index.is_unique
        self._array = frame.to_numpy() if plain else None

    def stored(self, row: int) -> list[Any] | None:
        """The objects the frame holds on `row`; None when only `loc` can say."""
        if self._array is None:
            return None
        try:
            at = self._frame.index.get_loc(row)
        except KeyError:
            return None  # `loc` raises it
        if not isinstance(at, int):
            return None
        return cast("list[Any]", self._array[at].tolist())

    def loc(self, row: int) -> list[Any]:
        return cast("pd.Series[Any]", self._frame.loc[row]).to_list()


def _safe_value(value: Any) -> Any:
    """A source cell for a CSV, as the mapping reads it so that the file re-imports with the same
    mapping (`true`, `2024-03-02T09:15:00`, `7.5`; not Python's `True`): numbers as Excel shows
    them (never formulas), text neutralised."""
    if type(value) is str:  # most cells
        return neutralise(value)
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


def _failed_name(index: int, chunk: SheetChunk) -> str:
    if index == 0:
        return "failed_rows.csv"
    label = Path(chunk.file).stem + (f"-{chunk.sheet}" if chunk.sheet else "")
    return f"failed_rows-{re.sub(r'[^A-Za-z0-9_.-]+', '_', label)}.csv"
