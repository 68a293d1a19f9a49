"""The first pipeline stage: a CSV or XLSX file → `SheetChunk`s of at most `chunk_size` rows.

Each row keeps the number a spreadsheet shows for it (header row counted; a CSV record with
quoted newlines is one row). What the reader decides for the stages after it:
- Header: the first non-empty row. Names are stripped; a blank one becomes `Column C` (the
  spreadsheet column letter, as Excel shows the file); every copy of a repeated one is numbered,
  `Name (1)`, `Name (2)`, so that no mapping silently takes the first.
- Rows the reader refuses (past a limit, wider than the header, merged across columns, a formula
  without a value) come with `SheetChunk.row_errors`; hidden sheets read without being named
  are flagged `hidden`, and a workbook on the 1904 date system `date1904` (docs/cells.md).
- Cells: CSV cells are `str` exactly as in the file; XLSX cells are `str`, `int` (whole numbers),
  `float`, `bool`, `datetime`/`date` (and `time`/`timedelta` for time-only and duration cells).
  Empty cells are `None`.
- Empty lines and xlsx rows with no cell or only blank text are not yielded; later rows keep
  their numbers. A CSV row of only delimiters or blank text is yielded (all cells `None` or
  blank), so the mapping reports it as `skipped: blank row`.
- A row longer than the header keeps its extra cells under `Column F`-style names, in the chunks
  that have such rows; trailing empty cells are dropped, so `a,b,,` has two columns.
- A sheet with a header and no rows yields one empty chunk, so callers still see its columns.
- XLSX with `sheets=None`: every worksheet in order (hidden ones too, flagged), skipping empty
  ones.
  `sheets` is ignored for CSV.
Every failure to read surfaces as `ReadError` with a one-line reason. How encodings and
delimiters are detected: `importer.read.delimited`; what XLSX cells give: `importer.read.workbook`.
"""

from __future__ import annotations

import csv
from collections.abc import Container, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Literal, TypeVar

from python_calamine import (
    CalamineError,
    CalamineWorkbook,
    PasswordError,
    WorksheetNotFound,
    XmlError,
    ZipError,
)

from importer.errors import ReadError
from importer.read.archive import ArchiveFindings
from importer.read.chunks import csv_chunks, first_filled, record_chunks
from importer.read.columns import Columns, located
from importer.read.delimited import detect_encoding, sniff_delimiter
from importer.read.limits import DEFAULT_LIMITS, ReadLimits, RowGuard
from importer.read.workbook import (
    OLE2_MAGIC,
    ZIP_MAGIC,
    SheetFacts,
    is_hidden,
    open_workbook,
    select_sheets,
    sheet_records,
    worksheet_names,
)
from importer.rows import SheetChunk

if TYPE_CHECKING:  # the zip parts and their XML parser load with the first workbook
    from importer.read.xlsx_parts import WorkbookParts

__all__ = [
    "Format",
    "check_input",
    "detect_encoding",
    "file_format",
    "hidden_sheets",
    "list_sheets",
    "read_rows",
    "rows_from_file",
    "sheet_headers",
    "sniff_delimiter",
    "to_read_error",
]

Format = Literal["csv", "xlsx"]
_SUFFIXES: dict[str, Format] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
}
_FOREIGN = (OSError, UnicodeError, csv.Error, CalamineError)
_T = TypeVar("_T")


def read_rows(
    path: Path,
    *,
    sheets: Sequence[str] | None = None,
    chunk_size: int = 5000,
    limits: ReadLimits = DEFAULT_LIMITS,
    encoding: str | None = None,
) -> Iterator[SheetChunk]:
    """Stream `path` as chunks; the format comes from the extension, else from the first bytes.
    `encoding` overrides the detected encoding of CSV text (ignored for workbooks).

    A missing file or a directory fails here; anything else on the first `next()`. Rows past
    a limit (`importer.read.limits`) come with `SheetChunk.row_errors`.
    """
    path = Path(path)
    name = str(path)
    _check_chunk_size(chunk_size)
    file_format = _format_of(path, name)
    chunks = _path_chunks(path, name, file_format, sheets, chunk_size, limits, encoding)
    return _translated(chunks, name)


def rows_from_file(
    fp: BinaryIO,
    *,
    name: str,
    format: Format,
    sheets: Sequence[str] | None = None,
    chunk_size: int = 5000,
    limits: ReadLimits = DEFAULT_LIMITS,
    encoding: str | None = None,
) -> Iterator[SheetChunk]:
    """`read_rows` over an open binary file; `name` labels the chunks and errors."""
    _check_chunk_size(chunk_size)
    if format == "xlsx":
        return _translated(_fp_workbook_chunks(fp, name, sheets, chunk_size, limits), name)
    return _translated(csv_chunks(fp, name, chunk_size, limits, encoding), name)


def file_format(path: Path) -> Format:
    """`csv` or `xlsx`, as `read_rows` decides it (extension, else the first bytes).

    Raises `ReadError` for a missing file or a directory.
    """
    path = Path(path)
    return _format_of(path, str(path))


def sheet_headers(
    path: Path,
    *,
    sheets: Sequence[str] | None = None,
    skip: Container[str | None] = (),
    limits: ReadLimits = DEFAULT_LIMITS,
) -> Iterator[tuple[str, list[str]]]:
    """`(sheet, column names)` of each selected non-empty worksheet but those in `skip` (and
    hidden ones, unless named), named as `read_rows` names them, without making a chunk.

    python-calamine parses a whole sheet when it is opened, so each sheet asked for costs one
    parse of its XML (no Python work per row). Raises `ReadError` as `read_rows` does.
    """
    path = Path(path)
    name = str(path)
    return _translated_items(_sheet_headers(path, name, sheets, skip, limits), name)


def _sheet_headers(
    path: Path,
    name: str,
    sheets: Sequence[str] | None,
    skip: Container[str | None],
    limits: ReadLimits,
) -> Iterator[tuple[str, list[str]]]:
    with open_workbook(path, name=name, limits=limits) as workbook:
        for sheet in select_sheets(workbook, sheets, name=name):
            if sheet in skip or (sheets is None and is_hidden(workbook, sheet)):
                continue  # a hidden sheet read without being named: its rows are only reported
            first_column, records = sheet_records(workbook, sheet, SheetFacts())
            header = first_filled(records)
            if header is not None:
                RowGuard(limits, name=name).check_header(header[1], where=f"sheet {sheet!r}: ")
                yield sheet, Columns(header[1], first_column).names


def list_sheets(path: Path) -> list[str]:
    """The worksheet names of a workbook in order, hidden ones too; `[]` for CSV."""
    path = Path(path)
    name = str(path)
    if _format_of(path, name) == "csv":
        return []
    try:
        with open_workbook(path, name=name) as workbook:
            return worksheet_names(workbook)
    except _FOREIGN as exc:
        raise to_read_error(exc, name) from exc


def hidden_sheets(path: Path) -> list[str]:
    """The worksheets Excel hides (hidden or very hidden), in order; `[]` for CSV."""
    path = Path(path)
    name = str(path)
    if _format_of(path, name) == "csv":
        return []
    try:
        with open_workbook(path, name=name) as workbook:
            return [s for s in worksheet_names(workbook) if is_hidden(workbook, s)]
    except _FOREIGN as exc:
        raise to_read_error(exc, name) from exc


def to_read_error(exc: BaseException, name: str) -> ReadError:
    """The one-line `ReadError` for an exception raised by the libraries the reader uses."""
    hint = None
    match exc:
        case FileNotFoundError():
            reason = "file not found"
        case IsADirectoryError():
            reason = "is a directory, not a file"
        case PermissionError():
            reason = "permission denied"
        case OSError():
            reason = f"cannot read the file: {exc.strerror or exc}"
        case UnicodeError():
            reason = f"cannot decode the text: {exc}"
        case csv.Error():
            reason = f"not valid CSV: {exc}"
        case PasswordError():
            reason = "the workbook is password-protected (encrypted)"
            hint = "open it in Excel, remove the password and save it again"
        case ZipError():
            reason = f"is not a valid xlsx workbook (broken zip archive: {exc})"
        case XmlError():
            reason = f"is a corrupt xlsx workbook (bad XML: {exc})"
        case WorksheetNotFound():
            reason = f"sheet not found: {exc}"
        case CalamineError():
            reason = f"cannot read the workbook: {exc}"
        case _:
            reason = f"cannot be read: {type(exc).__name__}: {exc}"
    return ReadError(" ".join(reason.split()), path=name, hint=hint)


def _translated(chunks: Iterator[SheetChunk], name: str) -> Iterator[SheetChunk]:
    # The one boundary where foreign exceptions become ReadError; our own ReadErrors pass as is.
    try:
        yield from chunks
    except _FOREIGN as exc:
        raise to_read_error(exc, name) from exc


def _translated_items(items: Iterator[_T], name: str) -> Iterator[_T]:
    try:
        yield from items
    except _FOREIGN as exc:
        raise to_read_error(exc, name) from exc


def _check_chunk_size(chunk_size: int) -> None:
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")


def check_input(path: Path) -> None:
    """Raise ReadError (one line) unless `path` is a regular file: missing, a folder, a device."""
    name = str(path)
    if path.is_dir():
        raise ReadError("is a directory, not a file", path=name)
    if not path.exists():
        raise ReadError("file not found", path=name)
    if not path.is_file():
        raise ReadError("is not a regular file (a device, pipe or socket)", path=name)


def _format_of(path: Path, name: str) -> Format:
    check_input(path)
    known = _SUFFIXES.get(path.suffix.lower())
    if known is not None:
        return known
    try:
        with path.open("rb") as fp:
            head = fp.read(len(OLE2_MAGIC))
    except OSError as exc:
        raise to_read_error(exc, name) from exc
    return "xlsx" if head.startswith((ZIP_MAGIC, OLE2_MAGIC)) else "csv"


def _path_chunks(
    path: Path,
    name: str,
    file_format: Format,
    sheets: Sequence[str] | None,
    chunk_size: int,
    limits: ReadLimits,
    encoding: str | None = None,
) -> Iterator[SheetChunk]:
    if file_format == "xlsx":
        from importer.read.xlsx_parts import workbook_parts

        findings = ArchiveFindings()
        with open_workbook(path, name=name, limits=limits, findings=findings) as workbook:
            parts = workbook_parts(path, findings)
            yield from _workbook_chunks(workbook, name, sheets, chunk_size, limits, parts)
    else:
        with path.open("rb") as fp:
            yield from csv_chunks(fp, name, chunk_size, limits, encoding)


def _fp_workbook_chunks(
    fp: BinaryIO, name: str, sheets: Sequence[str] | None, chunk_size: int, limits: ReadLimits
) -> Iterator[SheetChunk]:
    from importer.read.xlsx_parts import workbook_parts

    findings = ArchiveFindings()
    with open_workbook(fp, name=name, limits=limits, findings=findings) as workbook:
        parts = workbook_parts(fp, findings)
        yield from _workbook_chunks(workbook, name, sheets, chunk_size, limits, parts)


def _workbook_chunks(
    workbook: CalamineWorkbook,
    name: str,
    sheets: Sequence[str] | None,
    chunk_size: int,
    limits: ReadLimits,
    parts: WorkbookParts,
) -> Iterator[SheetChunk]:
    any_header = False
    for sheet in select_sheets(workbook, sheets, name=name):
        facts = SheetFacts(empty_formulas=parts.empty_formulas(sheet))
        facts.formulas_beyond = parts.beyond.get(sheet)
        facts.number_formats = parts.formatted_numbers(sheet)
        facts.error_cells, facts.errors_beyond = parts.error_cells(sheet)
        first_column, records = sheet_records(workbook, sheet, facts)
        header = first_filled(records)
        if header is None:
            if sheets is not None:
                raise ReadError(f"sheet {sheet!r} is empty: no header row", path=name)
            continue
        any_header = True
        for chunk in record_chunks(
            header,
            records,
            file=name,
            sheet=sheet,
            first_column=first_column,
            chunk_size=chunk_size,
            guard=RowGuard(limits, name=name),
        ):
            for row in chunk.frame.index if facts.refused else ():
                found = [located(e, chunk, first_column) for e in facts.refused.pop(row, [])]
                if found:
                    chunk.row_errors.setdefault(row, []).extend(found)
            # A hidden sheet is read only when named (`sheets`); else its rows are reported.
            chunk.hidden = sheets is None and is_hidden(workbook, sheet)
            chunk.date1904 = parts.date1904
            chunk.last_row = facts.last_row
            yield chunk
    if not any_header:
        raise ReadError("every sheet of the workbook is empty: no header row", path=name)
