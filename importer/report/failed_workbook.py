"""`failed_rows.xlsx`: a workbook source's rows that need a person, in the source's own format.

One worksheet per source sheet, with the sheet's own name and header, so the file re-imports
with the same mapping (its `sheets:` selection included); cells keep their types (dates stay
date cells, numbers stay numbers, text stays text), plus `import_row` and `import_error`.
Text is written as string cells, exactly as read: a spreadsheet never evaluates a string cell of
an .xlsx file as a formula (unlike text in a CSV), and a re-import must read back what was there.
"""

from __future__ import annotations

import re
from datetime import date, datetime, time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from importer.rows import SheetChunk

if TYPE_CHECKING:
    from xlsxwriter.format import Format
    from xlsxwriter.worksheet import Worksheet

__all__ = ["FailedWorkbook"]

_EXCEL_TEXT = 32_767


class FailedWorkbook:
    """Streams failed rows into `failed_rows.xlsx` (constant memory); `close()` saves it."""

    def __init__(self, path: Path) -> None:
        self.path = path
        options = {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_numbers": False,
            "strings_to_urls": False,
        }
        import xlsxwriter  # made for the first failed row of a workbook: CSV runs never load it

        self.book = xlsxwriter.Workbook(str(path), options)
        self.dates: Format = self.book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.bold: Format = self.book.add_format({"bold": True})
        self.sheets: dict[tuple[str, str | None], tuple[Worksheet, list[int]]] = {}
        self.names: set[str] = set()

    def write(
        self, chunk: SheetChunk, row: int, problem: str, stored: list[Any] | None = None
    ) -> None:
        """Append source row `row` of `chunk` with its row number and problem text; `stored`:
        the row's cells if the caller has them (see `failed_rows.RowCells`)."""
        ws, last = self._sheet(chunk.file, chunk.sheet, list(map(str, chunk.frame.columns)))
        last[0] += 1
        values = stored if stored is not None else list(chunk.frame.loc[row])
        for col, value in enumerate(values):
            self._cell(ws, last[0], col, value)
        ws.write_number(last[0], len(values), row)
        ws.write_string(last[0], len(values) + 1, problem[:_EXCEL_TEXT])

    def add_sheet(self, file: str, sheet: str | None, columns: list[str]) -> None:
        """A sheet of the source with no failed rows: its header alone, so that the mapping's
        `sheets:` still finds every sheet it names."""
        self._sheet(file, sheet, columns)

    def _sheet(
        self, file: str, sheet: str | None, columns: list[str]
    ) -> tuple[Worksheet, list[int]]:
        where = (file, sheet)
        if where not in self.sheets:
            ws = self.book.add_worksheet(self._name(sheet or Path(file).stem))
            header = [*columns, "import_row", "import_error"]
            for col, name in enumerate(header):
                ws.write_string(0, col, name, self.bold)
            ws.freeze_panes(1, 0)
            self.sheets[where] = (ws, [0])
        return self.sheets[where]

    def _name(self, wanted: str) -> str:
        base = re.sub(r"[\[\]:*?/\\]", "_", wanted)[:31] or "Sheet"
        name, n = base, 2
        while name.casefold() in self.names:
            suffix = f" ({n})"
            name, n = base[: 31 - len(suffix)] + suffix, n + 1
        self.names.add(name.casefold())
        return name

    def _cell(self, ws: Worksheet, row: int, col: int, value: Any) -> None:
        if value is None or (isinstance(value, float) and value != value):
            return
        if isinstance(value, bool):
            ws.write_boolean(row, col, value)
        elif isinstance(value, int | float):
            ws.write_number(row, col, value)
        elif isinstance(value, datetime | date):
            moment = value if isinstance(value, datetime) else datetime.combine(value, time())
            ws.write_datetime(row, col, moment.replace(tzinfo=None), self.dates)
        else:
            ws.write_string(row, col, str(value)[:_EXCEL_TEXT])

    def close(self) -> None:
        self.book.close()
        self.path.chmod(0o600)  # the sheet's own cells, maybe personal data: owner only
