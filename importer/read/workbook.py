"""XLSX workbooks → raw records through python-calamine.

python-calamine 0.9 parses a whole sheet into a compact Rust range when the sheet is opened and
`iter_rows` then hands Python one row at a time, so Python-side memory stays flat; the Rust range
costs a few dozen bytes per cell (see benchmarks/bench_read.py). Formulas are never evaluated:
a formula cell gives the value Excel cached when it saved the file (None if none was cached), and
an error cell (`#DIV/0!`) reads as empty.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from python_calamine import CalamineSheet, CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

from importer.errors import ReadError
from importer.read.archive import ArchiveFindings, check_archive
from importer.read.columns import column_letters
from importer.read.limits import DEFAULT_LIMITS, ReadLimits
from importer.read.number_formats import RowsOutOfOrder, formatted_cell_errors
from importer.rows import RowError

if TYPE_CHECKING:  # the scan and its XML parser load with the first workbook
    from importer.read.cell_scan import CellCursor

__all__ = [
    "Record",
    "SheetFacts",
    "is_hidden",
    "open_workbook",
    "select_sheets",
    "sheet_records",
    "worksheet_names",
]

Record = tuple[int, list[Any]]  # (1-based sheet row number, cells; empty cells None)

ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls, and every encrypted Office file
_ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")  # a directory entry name in OLE2
_SCAN_BLOCK = 1 << 20
_EXACT_INT = 2**53  # floats at or above this are not exact integers any more
# archives checked: stat facts → the limits and what the check found
_CHECKED: dict[tuple[int, ...], tuple[ReadLimits, ArchiveFindings]] = {}
_CHECKED_KEPT = 64


def open_workbook(
    source: Path | BinaryIO,
    *,
    name: str,
    limits: ReadLimits = DEFAULT_LIMITS,
    findings: ArchiveFindings | None = None,
) -> CalamineWorkbook:
    """Open an .xlsx workbook, saying in one line why when it is not one; its zip entries are
    checked against `limits` before any XML is parsed (see `importer.read.limits`), and what
    the check saw is added to `findings`."""
    if isinstance(source, Path):
        with source.open("rb") as fp:
            _check_is_xlsx(fp, name=name)
            fp.seek(0)
            found = _check_archive_once(fp, name=name, limits=limits)
        workbook = CalamineWorkbook.from_path(source)
    else:
        start = source.tell()
        _check_is_xlsx(source, name=name)
        source.seek(start)
        found = check_archive(source, name=name, limits=limits)
        source.seek(start)
        workbook = CalamineWorkbook.from_filelike(source)
    if findings is not None:
        findings.formulas.update(found.formulas)
        findings.errors.update(found.errors)
    return workbook


def _check_archive_once(fp: BinaryIO, *, name: str, limits: ReadLimits) -> ArchiveFindings:
    """`check_archive`, skipped for a file this process has checked under the same limits and
    that has not changed since: same device, inode, size, modification and change times (a
    file written, touched back or replaced changes one of them; `st_ctime_ns` cannot be set).
    A run opens a workbook twice, for its first sheet's rows and for the other sheets' headers
    (`sheets.sheet_headers`); the check inflates every entry, about as long as calamine's
    parse (1.5 s CPU for a 100k-row sheet), and paid it twice."""
    facts = os.fstat(fp.fileno())
    seen = (facts.st_dev, facts.st_ino, facts.st_size, facts.st_mtime_ns, facts.st_ctime_ns)
    checked = _CHECKED.get(seen)
    if checked is not None and checked[0] == limits:
        return checked[1]
    found = check_archive(fp, name=name, limits=limits)
    _CHECKED[seen] = (limits, found)
    while len(_CHECKED) > _CHECKED_KEPT:
        del _CHECKED[next(iter(_CHECKED))]
    return found


def _check_is_xlsx(fp: BinaryIO, *, name: str) -> None:
    head = fp.read(len(OLE2_MAGIC))
    if not head:
        raise ReadError("empty file: not an xlsx workbook", path=name)
    if head == OLE2_MAGIC:
        if _contains(fp, _ENCRYPTED_STREAM):
            raise ReadError(
                "the workbook is password-protected (encrypted)",
                path=name,
                hint="open it in Excel, remove the password and save it again",
            )
        raise ReadError(
            "is an Excel 97-2003 (.xls) file, not .xlsx",
            path=name,
            hint="open it in Excel and save it as .xlsx",
        )
    if not head.startswith(ZIP_MAGIC):
        raise ReadError("is not an xlsx workbook (not a zip archive)", path=name)


def _contains(fp: BinaryIO, needle: bytes) -> bool:
    """Whether the rest of `fp` holds `needle`, read block by block (OLE2 directories can sit
    anywhere in the file)."""
    tail = b""
    while block := fp.read(_SCAN_BLOCK):
        if needle in tail + block:
            return True
        tail = block[-(len(needle) - 1) :]
    return False


def worksheet_names(workbook: CalamineWorkbook) -> list[str]:
    """Names of the sheets that hold cells (chart sheets do not), hidden ones too, in order."""
    return [m.name for m in workbook.sheets_metadata if m.typ == SheetTypeEnum.WorkSheet]


def select_sheets(
    workbook: CalamineWorkbook, wanted: Sequence[str] | None, *, name: str
) -> list[str]:
    """The sheets to read: all worksheets, or `wanted` matched case-insensitively as Excel does."""
    existing = worksheet_names(workbook)
    if wanted is None:
        return existing
    by_folded = {sheet.casefold(): sheet for sheet in existing}
    chosen = []
    for sheet in wanted:
        match = sheet if sheet in existing else by_folded.get(sheet.casefold())
        if match is None:
            listed = ", ".join(repr(s) for s in existing) or "none"
            raise ReadError(f"no sheet named {sheet!r}; the workbook has: {listed}", path=name)
        if match not in chosen:  # a sheet named twice is still read once
            chosen.append(match)
    return chosen


@dataclass
class SheetFacts:
    """What a sheet's cells cannot say: rows refused while reading (a merge across columns, a
    formula saved without a value), filled in as the records are read; formulas found up front."""

    empty_formulas: dict[int, list[str]] = field(default_factory=dict)
    refused: dict[int, list[RowError]] = field(default_factory=dict)
    formulas_beyond: int | None = None  # rows after it were not checked for formulas: refused
    # cells shown otherwise than read (a number format, an error), read along with the records
    shown: CellCursor | None = None
    unordered: str | None = None  # why the rows' cells cannot be checked (cell_scan)
    not_as_shown: set[str] = field(default_factory=set)  # cells refused for it: "C2"
    last_row: int | None = None  # the sheet's last row number (its dimension), once read


def is_hidden(workbook: CalamineWorkbook, sheet: str) -> bool:
    """Whether Excel hides the sheet's tab (hidden or "very hidden")."""
    for meta in workbook.sheets_metadata:
        if meta.name == sheet:
            return bool(meta.visible != SheetVisibleEnum.Visible)
    return False


def sheet_records(
    workbook: CalamineWorkbook, sheet: str, facts: SheetFacts | None = None
) -> tuple[int, Iterator[Record]]:
    """The 0-based sheet column of the first cell of each record, and the sheet's non-empty rows
    numbered as Excel numbers them. With `facts`, merged cells are read as Excel shows them
    (docs/cells.md) and refusals are recorded in it."""
    data = workbook.get_sheet_by_name(sheet)
    start = data.start
    if start is None:  # no cell at all
        return 0, iter(())
    records = _records(data)
    if facts is not None and data.end is not None:
        facts.last_row = data.end[0] + 1  # 0-based in calamine
    if facts is not None and (
        facts.empty_formulas or data.merged_cell_ranges or facts.shown is not None
    ):
        records = _with_merges_and_formulas(records, data, start[1], facts)
    return start[1], records


def _with_merges_and_formulas(
    records: Iterator[Record], data: CalamineSheet, first_column: int, facts: SheetFacts
) -> Iterator[Record]:
    """A merge down one column: its value on every covered row (Excel shows one tall cell).
    A merge across columns: the row is refused, because which column the value belongs to is a
    guess. A formula without a cached value: the row is refused, naming the cell, and so are the
    rows a merge spreads it over. A merge that starts in (or above) the header row and reaches
    into the data refuses the data rows it covers: they would read the header's name."""
    down: dict[int, list[tuple[int, int, str]]] = {}  # covered row -> (column, top row, name)
    tops: dict[int, list[int]] = {}  # top row number -> columns whose value fills down
    across: dict[int, str] = {}
    for (top, left), (bottom, right) in data.merged_cell_ranges or []:
        name = f"{column_letters(left)}{top + 1}:{column_letters(right)}{bottom + 1}"
        if left == right:
            column = left - first_column
            tops.setdefault(top + 1, []).append(column)
            for row in range(top + 2, bottom + 2):
                down.setdefault(row, []).append((column, top + 1, name))
        else:
            for row in range(top + 1, bottom + 2):
                across.setdefault(row, name)
    values: dict[tuple[int, int], Any] = {}
    header: int | None = None
    for number, cells in records:
        if header is None:  # the reader's header is the first non-blank record
            header = number
        for column in tops.get(number, []):
            if 0 <= column < len(cells):
                values[(number, column)] = cells[column]
        heading: list[str] = []
        formulas = list(facts.empty_formulas.get(number, []))
        for column, top, name in down.get(number, []):
            if top <= header:
                heading.append(name)
                continue
            letters = name.split(":")[0].rstrip("0123456789")
            if letters in facts.empty_formulas.get(top, []):
                formulas.append(f"{letters}{top}")
                continue
            if f"{letters}{top}" in facts.not_as_shown:
                facts.refused.setdefault(number, []).append(
                    RowError(
                        f"merged cells {name} show cell {letters}{top} here too, which is "
                        f"refused on row {top} (what it shows is not what it holds)",
                        column=letters,
                        cell_only=True,
                    )
                )
                continue
            value = values.get((top, column))
            if value is not None and column >= 0:
                cells.extend([None] * (column + 1 - len(cells)))
                cells[column] = value
        if number != header:
            _refuse(facts, number, across.get(number), formulas, heading)
            _refuse_not_as_shown(facts, number, cells, first_column)
            beyond = facts.formulas_beyond
            if beyond is not None and number > beyond:
                facts.refused.setdefault(number, []).append(
                    RowError(
                        f"the sheet has too many formula cells without a value to list (row "
                        f"{beyond} was the last one checked); open and save it in Excel, or "
                        "paste the values"
                    )
                )
        yield number, cells


def _refuse(
    facts: SheetFacts,
    number: int,
    merge: str | None,
    formulas: list[str],
    heading: list[str],
) -> None:
    errors = [
        RowError(
            f"merged cells {name} join the header row with this row, so the row's cell would "
            "read the header's name; unmerge them in Excel"
        )
        for name in heading
    ]
    if merge is not None:
        errors.append(
            RowError(
                f"merged cells {merge} span several columns, so which column the value belongs "
                "to is a guess; unmerge them in Excel"
            )
        )
    for cell in formulas:
        letters = cell.rstrip("0123456789")
        at = cell if cell != letters else f"{letters}{number}"
        errors.append(
            RowError(
                f"cell {at} is a formula saved without its value (a file written by "
                "a script); open and save it in Excel, or paste the values",
                column=letters,  # the reader swaps in the header's name
                cell_only=True,
            )
        )
    if errors:
        facts.refused.setdefault(number, []).extend(errors)


def _refuse_not_as_shown(facts: SheetFacts, number: int, cells: list[Any], first: int) -> None:
    """Refuse a row with a number cell shown otherwise than as General (`number_formats`), or a
    cell showing an error, which calamine reads as empty (`cell_scan`)."""
    errors = [
        RowError(
            f"cell {column_letters(first + at)}{number} holds a duration ({value}), which Excel "
            "shows in its own format ([h]:mm, mm:ss); format the column as Text and type the "
            "values as they should read",
            column=column_letters(first + at),
            cell_only=True,
        )
        for at, value in enumerate(cells)
        if type(value) is timedelta
    ]
    if facts.shown is None:
        if errors:
            facts.refused.setdefault(number, []).extend(errors)
        return
    if facts.unordered is None:
        try:
            shown = facts.shown.at(number)
        except RowsOutOfOrder as exc:
            facts.unordered = (
                f"the sheet's XML holds its rows out of order ({exc}), so what its cells show "
                "cannot be checked; open and save it in Excel"
            )
        else:
            formats = {at: text for at, (kind, text) in shown.items() if kind == "format"}
            errors += formatted_cell_errors(formats, number, cells, first)
            errors += [
                RowError(
                    f"cell {at}{number} shows {f'the error {text}' if text else 'an error'}, "
                    "which reads as an empty cell; correct the formula or clear the cell in Excel",
                    column=at,  # the reader swaps in the header's name
                    cell_only=True,
                )
                for at, (kind, text) in shown.items()
                if kind == "error"
            ]
    if facts.unordered is not None:
        errors.append(RowError(facts.unordered))
    for error in errors:
        if error.column is not None:
            facts.not_as_shown.add(f"{error.column}{number}")
    if errors:
        facts.refused.setdefault(number, []).extend(errors)


def _records(data: CalamineSheet) -> Iterator[Record]:
    # python-calamine 0.9 starts iter_rows at sheet row 1 even when the data starts lower
    # (upstream issue #177), but at the first used column; tests pin both.
    for number, raw in enumerate(data.iter_rows(), start=1):
        # Inline rather than a function per cell: this loop is most of the reader's Python time.
        # Every xlsx number is stored as a float; a whole one is an int, as the user typed it.
        cells = [
            None
            if value == ""
            else int(value)
            if type(value) is float and value.is_integer() and -_EXACT_INT < value < _EXACT_INT
            else value
            for value in raw
        ]
        while cells and cells[-1] is None:
            cells.pop()
        if not all(_is_blank(cell) for cell in cells):
            yield number, cells


def _is_blank(cell: Any) -> bool:
    return cell is None or (type(cell) is str and cell.isspace())
