"""An xlsx archive checked before any XML is parsed: what a hostile workbook may cost.

`check_archive` applies `ReadLimits.max_entry_bytes`, `max_ratio`, `max_sheet_cells` and
`max_sparsity` (see `importer.read.limits` for what each means): each zip entry's declared
size and ratio, then its real inflated size counted while inflating into nothing (a bomb may
lie in its directory), and each worksheet's extent placed from its row and cell tags as
calamine would allocate it. Split from `limits.py`, which keeps the limits and the row guard.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from importer.errors import ReadError
from importer.read.limits import ReadLimits

__all__ = ["ArchiveFindings", "check_archive"]

_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_LOCAL_SIGNATURE = 0x04034B50
_BLOCK = 1 << 16
_MACRO_PARTS = ("vbaproject.bin", "vbaprojectsignature.bin")
_WORKSHEET = re.compile(r"xl/worksheets/[^/]+\.xml", re.IGNORECASE)
# The start tags of rows and cells, with their `r` reference if they have one (OOXML lets both
# omit it: a row then follows the row before, a cell the cell before) and a `/` if self-closing.
_TAG = re.compile(
    rb'<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])(?:[^>]*?\sr="([A-Za-z]{0,4})([0-9]{0,9})")?'
    rb"[^>]*?(/?)>"
)
# The fast path, for sheets whose every row and cell tag starts with its `r` (as Excel, LibreOffice,
# openpyxl and xlsxwriter write them): tags counted (`<c` as often as `<c r="`, so no `<c>`,
# `<c/>`, `<c\tr=` or `<cols>`), a malformed `r` searched for, and only the valued cells
# matched (`<c r="A1" ...>`, not self-closing). Each pattern starts with a literal: one starting
# with `<` and an alternation was five times slower.
_VALUED_CELL = re.compile(rb'<c r="([A-Za-z]{1,4})([0-9]{1,9})"[^>]*(?<!/)>')
_BAD_CELL_REF = re.compile(rb'<c r="(?![A-Za-z]{1,4}[0-9]{1,9}")')
_BAD_ROW_REF = re.compile(rb'<row r="(?![0-9]{1,9}")')
# Tags with a namespace prefix (`<x:c ...>`), which the counts above do not see.
_SLOW_SIGNS = (*(b":c" + end for end in (b" ", b">", b"/", b"\t", b"\r", b"\n")), b":row")
_SIGN_PARTS = (b":c", b":row")
_MAX_TAG = 1 << 20  # a start tag longer than this is not from a spreadsheet
# A formula element, `<f>` or `<f t="shared" ...>`, maybe with a namespace prefix (`<x:f>`).
_FORMULA_TAGS = (b"<f>", b"<f ", b":f>", b":f ")


@dataclass
class ArchiveFindings:
    """What `check_archive` saw while inflating the entries. `formulas`: worksheet entry name
    (`xl/worksheets/sheet1.xml`) → whether it holds a formula element: a sheet without one
    needs no search for formulas saved without a value (`xlsx_parts.WorkbookParts`)."""

    formulas: dict[str, bool] = field(default_factory=dict)
    errors: dict[str, bool] = field(default_factory=dict)  # entry → holds an error cell (t="e")


def check_archive(fp: BinaryIO, *, name: str, limits: ReadLimits) -> ArchiveFindings:
    """Refuse an xlsx whose zip entries are too big, too compressed, lie about their size, are
    encrypted, or hold macros; `fp` is left at an undefined position. Raises ReadError."""
    import zipfile

    try:
        entries = zipfile.ZipFile(fp).infolist()
    # NotImplementedError: a directory asking for a zip version or feature Python lacks
    except (zipfile.BadZipFile, ValueError, NotImplementedError, EOFError) as exc:
        # zipfile hides a failing disk as "not a zip"
        if isinstance(exc.__context__, OSError) and not isinstance(exc, NotImplementedError):
            raise exc.__context__ from None  # the caller translates OSError
        reason = f"is not a valid xlsx workbook (broken zip archive: {exc})"
        raise ReadError(reason, path=name) from exc
    for info in entries:
        if info.filename.rsplit("/", 1)[-1].lower() in _MACRO_PARTS:
            raise ReadError(
                "is a macro-enabled workbook (it holds a VBA project)",
                path=name,
                hint="save a copy as .xlsx (Excel Workbook) and import that",
            )
        _check_declared(info, name, limits)
    findings = ArchiveFindings()
    for info in entries:
        extent = _Extent(name) if _WORKSHEET.fullmatch(info.filename) else None
        _check_inflated(fp, info, name, extent)
        if extent is not None:
            extent.check(info.filename, limits)
            findings.formulas[info.filename] = extent.formula
            findings.errors[info.filename] = extent.error
    return findings


def _check_declared(info: Any, name: str, limits: ReadLimits) -> None:
    size, packed = info.file_size, info.compress_size
    if info.flag_bits & 0x1:
        raise ReadError(
            "the workbook is password-protected (encrypted)",
            path=name,
            hint="open it in Excel, remove the password and save it again",
        )
    if size > limits.max_entry_bytes:
        raise ReadError(
            f"zip entry {info.filename!r} expands to {size:,} bytes, more than "
            f"{limits.max_entry_bytes:,} (a zip bomb?)",
            path=name,
            hint="raise --limit max_entry_bytes if the workbook is genuine",
        )
    if size > limits.ratio_grace_bytes and size > limits.max_ratio * max(packed, 1):
        raise ReadError(
            f"zip entry {info.filename!r} expands {size // max(packed, 1):,} times "
            f"({packed:,} → {size:,} bytes), more than {limits.max_ratio} (a zip bomb?)",
            path=name,
            hint="raise --limit max_ratio if the workbook is genuine",
        )


class _Extent:
    """The rectangle of the cells with a value that a worksheet's XML places, as calamine would
    allocate it. Rows and cells without `r` follow the one before; rows without cells and
    self-closing cells (formatting left behind, `<c r="XFD1048576" s="1"/>`) hold no value."""

    def __init__(self, name: str) -> None:
        self.rows: list[int] = []  # lowest and highest, once a cell is seen
        self.columns: list[int] = []
        self.values = 0
        self.formula = False  # a formula element seen
        self.error = False  # an error cell (`t="e"`, #N/A) seen
        self._name = name
        self._row = self._column = 0
        self._tail = b""  # a start tag cut by the block edge

    def feed(self, data: bytes) -> None:
        text = self._tail + data
        cut = text.rfind(b"<")
        if cut == -1 or text.find(b">", cut) != -1:
            cut = len(text)
        self._tail = text[cut:]
        if len(self._tail) > _MAX_TAG:
            raise ReadError("is not a valid xlsx workbook (a tag of over 1 MiB)", path=self._name)
        if not self.formula and (text.find(b"<f") != -1 or text.find(b":f") != -1):
            self.formula = any(tag in text for tag in _FORMULA_TAGS)
        if not self.error and text.find(b't="e"') != -1:
            self.error = True
        if not _all_referenced(text, cut):
            self._follow(text, 0, cut, update=True)
            return
        cells = _VALUED_CELL.findall(text, 0, cut)
        self.values += len(cells)
        if cells:
            numbers = {int(digits) for digits in {d for _, d in cells}}
            columns = {_column_number(c.upper()) for c in {c for c, _ in cells}}
            self._widen(min(numbers), max(numbers), min(columns), max(columns))
        self._follow(text, max(text.rfind(b"<row", 0, cut), 0), cut, update=False)

    def _follow(self, text: bytes, start: int, end: int, *, update: bool) -> None:
        """Place every row and cell tag of `text[start:end]` one by one (about a microsecond
        each); `update`: widen the rectangle too, not only the position."""
        row, column, rows, columns = self._row, self._column, [], []
        for kind, letters, digits, empty in _TAG.findall(text, start, end):
            if kind == b"row":
                row, column = (int(digits) if digits else row + 1), 0
                continue
            column = _column_number(letters.upper()) if letters else column + 1
            if digits:
                row = int(digits)
            if not empty:
                rows.append(row)
                columns.append(column)
        self._row, self._column = row, column
        self.values += len(rows) if update else 0
        if update and rows:
            self._widen(min(rows), max(rows), min(columns), max(columns))

    def _widen(self, top: int, bottom: int, left: int, right: int) -> None:
        if self.rows:
            top, bottom = min(top, self.rows[0]), max(bottom, self.rows[1])
            left, right = min(left, self.columns[0]), max(right, self.columns[1])
        self.rows, self.columns = [top, bottom], [left, right]

    def check(self, entry: str, limits: ReadLimits) -> None:
        if not self.rows:
            return
        height = self.rows[1] - self.rows[0] + 1
        width = self.columns[1] - self.columns[0] + 1
        if height * width > limits.max_sheet_cells:
            raise ReadError(
                f"{entry} spans {height:,} rows x {width:,} columns ({height * width:,} cells), "
                f"more than {limits.max_sheet_cells:,}",
                path=self._name,
                hint="is it the right file? raise --limit max_sheet_cells if it is",
            )
        if height * width > limits.sparse_grace_cells and height * width > (
            limits.max_sparsity * self.values
        ):
            raise ReadError(
                f"{entry} spans {height:,} rows x {width:,} columns ({height * width:,} cells) "
                f"but holds {self.values:,} values, fewer than one in {limits.max_sparsity} "
                "(a stray value far from the data?)",
                path=self._name,
                hint="delete the stray cells, or raise --limit max_sparsity",
            )


def _all_referenced(text: bytes, end: int) -> bool:
    """Whether every row and cell tag of `text[:end]` starts with its `r`, written the usual way
    (`<row r="7"`, `<c r="AB7"`): then `_VALUED_CELL` finds every cell with a value."""
    count, find = text.count, text.find
    if count(b"<c", 0, end) != count(b'<c r="', 0, end):
        return False
    if count(b"<row", 0, end) != count(b'<row r="', 0, end):
        return False
    # Each sign holds one of these parts: most blocks hold neither, found by two quick scans.
    if any(find(part, 0, end) != -1 for part in _SIGN_PARTS) and any(
        find(sign, 0, end) != -1 for sign in _SLOW_SIGNS
    ):
        return False
    bad = _BAD_CELL_REF.search(text, 0, end) or _BAD_ROW_REF.search(text, 0, end)
    return bad is None


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - ord("A") + 1
    return number


def _check_inflated(fp: BinaryIO, info: Any, name: str, extent: _Extent | None = None) -> None:
    """Inflate one entry into nothing, stopping one block past its declared size."""
    fp.seek(info.header_offset)
    header = fp.read(_LOCAL_HEADER.size)
    if len(header) < _LOCAL_HEADER.size or _LOCAL_HEADER.unpack(header)[0] != _LOCAL_SIGNATURE:
        raise ReadError(
            f"is not a valid xlsx workbook (bad zip entry {info.filename!r})", path=name
        )
    fields = _LOCAL_HEADER.unpack(header)
    fp.seek(fields[9] + fields[10], 1)
    if info.compress_type == 0:  # stored
        if info.compress_size != info.file_size:
            raise _lying(info, name)
        left = info.file_size
        while extent is not None and left > 0 and (block := fp.read(min(_BLOCK, left))):
            left -= len(block)
            extent.feed(block)
        return
    if info.compress_type != 8:
        raise ReadError(
            f"zip entry {info.filename!r} uses a compression Excel does not write "
            f"(method {info.compress_type})",
            path=name,
        )
    inflater = zlib.decompressobj(-15)
    left, out = info.compress_size, 0
    try:
        while left > 0 and not inflater.eof:
            block = fp.read(min(_BLOCK, left))
            if not block:
                break
            left -= len(block)
            data = block
            while data and not inflater.eof:
                inflated = inflater.decompress(data, _BLOCK)
                out += len(inflated)
                if out > info.file_size:
                    raise _lying(info, name)
                if extent is not None:
                    extent.feed(inflated)
                data = inflater.unconsumed_tail
    except zlib.error as exc:
        raise ReadError(
            f"is a corrupt xlsx workbook (zip entry {info.filename!r}: {exc})", path=name
        ) from exc


def _lying(info: Any, name: str) -> ReadError:
    return ReadError(
        f"zip entry {info.filename!r} inflates past its declared {info.file_size:,} bytes "
        "(a zip bomb?)",
        path=name,
    )
