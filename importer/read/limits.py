"""Resource limits of the reader: what a hostile or broken file may cost before it is refused.

Every limit has a default that a real migration never meets and a one-line error past it:

- `max_entry_bytes` / `max_ratio`: every zip entry of an xlsx is checked *before* any XML is
  parsed: its declared uncompressed size, its compression ratio (the zip-bomb test Apache POI's
  `ZipSecureFile` applies: 1 % minimum inflate ratio, after a grace size), and then its real
  inflated size, counted while inflating into nothing (a bomb may lie in its directory).
- `max_columns`: a header wider than Excel's 16,384 columns refuses the file; a data row with more
  cells than that is a row error (the extra cells are dropped, never shifted).
- `max_cell_chars`: a longer cell is a row error; the rest of the file goes on.
- `max_sheet_cells`: the rectangle from a worksheet's first to its last used cell, counted from
  the `r="B7"` references while the entry is inflated: calamine allocates that whole rectangle,
  so two cells at A1 and XFD1048576 in a 2 KB file would otherwise ask for 17 billion cells.
- `max_row_chars`: a CSV line longer than this is a row error (it is skipped without being split
  into cells, so memory stays bounded); a quoted record that runs on past it over many lines is
  a file error (an unclosed quote swallowing the file).
"""

from __future__ import annotations

import dataclasses
import functools
import re
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any, BinaryIO

from importer.errors import ConfigError, ReadError
from importer.rows import RowError

__all__ = [
    "DEFAULT_LIMITS",
    "LineFeed",
    "ReadLimits",
    "RowGuard",
    "RowTooLong",
    "Suspect",
    "check_archive",
    "parse_limits",
]

_LOCAL_HEADER = struct.Struct("<IHHHHHIIIHH")
_LOCAL_SIGNATURE = 0x04034B50
_BLOCK = 1 << 16
_MACRO_PARTS = ("vbaproject.bin", "vbaprojectsignature.bin")
_WORKSHEET = re.compile(r"xl/worksheets/[^/]+\.xml", re.IGNORECASE)
# In a worksheet only <row r="7"> and <c r="B7"> carry an attribute named r. No leading `\s`:
# a literal start is three times faster, and a longer name ending in r only widens the extent.
_ROW_REF = re.compile(rb'r="([0-9]{1,9})"')
_CELL_COLUMN = re.compile(rb'r="([A-Za-z]{1,4})[0-9]')
_TAIL = 256  # bytes kept between blocks so a reference split by a block edge is still seen


@dataclass(frozen=True)
class ReadLimits:
    """Limits of one read; sizes in bytes, lengths in characters (Python `len`)."""

    max_entry_bytes: int = 1 << 30  # 1 GiB of XML: a sheet of several million cells
    max_ratio: int = 100  # Apache POI's default: an entry may inflate to 100 times its size
    ratio_grace_bytes: int = 1 << 20  # small entries (styles, tiny sheets) compress better
    max_columns: int = 16_384  # Excel's last column, XFD
    max_cell_chars: int = 131_072  # four times Excel's own cell limit of 32,767
    max_row_chars: int = 4 << 20
    max_sheet_cells: int = 50_000_000  # first to last used cell: 1M rows x 50 columns


DEFAULT_LIMITS = ReadLimits()


def parse_limits(items: list[str], base: ReadLimits = DEFAULT_LIMITS) -> ReadLimits:
    """`["max_cell_chars=200000", ...]` → ReadLimits; raises ConfigError for a bad item."""
    names = [f.name for f in dataclasses.fields(ReadLimits)]
    changes: dict[str, int] = {}
    for item in items:
        name, sep, text = item.partition("=")
        if not sep or name.strip() not in names:
            raise ConfigError(
                f"--limit {item!r}: expected NAME=NUMBER", hint=f"names: {', '.join(names)}"
            )
        try:
            value = int(text.replace("_", ""))
        except ValueError:
            value = 0
        if value < 1:
            raise ConfigError(f"--limit {item!r}: expected a whole number of at least 1")
        changes[name.strip()] = value
    return dataclasses.replace(base, **changes)


class RowTooLong:
    """Stands for the cells of a CSV line longer than `max_row_chars` (never split into cells)."""

    __slots__ = ("chars",)

    def __init__(self, chars: int) -> None:
        self.chars = chars


_is_text = functools.partial(type.__instancecheck__, str)


class Suspect(list[Any]):
    """The cells of a CSV record long enough to hold a cell past `max_cell_chars`: only these
    are measured cell by cell (a plain `list` from the CSV reader cannot hold one)."""


class LineFeed:
    """The lines of a text stream for `csv.reader`, never holding more than `max_row_chars`.

    A line past the limit is read to its end in blocks, counted, and fed as an empty line;
    `cut` then holds its length until the caller takes it. Call `record_done()` after each
    record: a record that grows past the limit over many lines raises ReadError.
    """

    def __init__(self, text: IO[str], *, limits: ReadLimits, name: str) -> None:
        self._text, self._max, self._name = text, limits.max_row_chars, name
        self._pending = 0
        self.chars = 0  # of the record just finished, after `record_done()`
        self.cut: int | None = None

    def __iter__(self) -> Iterator[str]:
        # The hot loop of CSV reading: locals only, one length test per line.
        readline, limit = self._text.readline, self._max
        size = limit + 1
        while line := readline(size):
            chars = len(line)
            if chars > limit and not line.endswith(("\n", "\r")):
                self.cut = chars + self._drain()
                line, chars = "\n", 1
            self._pending += chars
            if self._pending > limit:
                raise ReadError(
                    f"a record runs on past {self._max:,} characters (an unclosed quote?)",
                    path=self._name,
                    hint="fix the quoting, or raise --limit max_row_chars",
                )
            yield line

    def _drain(self) -> int:
        chars = 0
        while more := self._text.readline(_BLOCK):
            chars += len(more)
            if more.endswith(("\n", "\r")):
                break
        return chars

    def record_done(self) -> int | None:
        """Start counting the next record; the length of a cut line in this one, if any."""
        self.chars = self._pending
        cut, self.cut, self._pending = self.cut, None, 0
        return cut


class RowGuard:
    """Checks the header and each row against the limits; rows get errors, never exceptions."""

    def __init__(self, limits: ReadLimits, *, name: str, csv: bool = False) -> None:
        """`csv`: rows come from `csv_records`, which marks the only rows that can hold an
        over-long cell as `Suspect`, so plain rows skip the cell-by-cell check (hot path)."""
        self._limits, self._name, self._csv = limits, name, csv

    def check_header(self, cells: list[Any], *, where: str = "") -> None:
        """Raise ReadError for a header wider than `max_columns`."""
        if cells and isinstance(cells[0], RowTooLong):
            raise ReadError(
                f"{where}the header line has {cells[0].chars:,} characters, more than "
                f"{self._limits.max_row_chars:,} (one line and no line breaks: not a sheet?)",
                path=self._name,
                hint="is it the right file? raise --limit max_row_chars if it is",
            )
        limit = self._limits.max_columns
        if len(cells) > limit:
            raise ReadError(
                f"{where}the header has {len(cells):,} columns, more than {limit:,}",
                path=self._name,
                hint="is it the right file? raise --limit max_columns if it is",
            )

    def check_row(self, cells: list[Any], columns: list[str]) -> list[RowError]:
        """Problems of one row; cells past a limit are blanked or dropped in place."""
        if self._csv and type(cells) is list and len(cells) <= self._limits.max_columns:
            return []  # csv_records marks every row that could be too long as Suspect
        if len(cells) == 1 and isinstance(cells[0], RowTooLong):
            chars = cells.pop().chars
            return [
                RowError(
                    f"the line has {chars:,} characters, more than {self._limits.max_row_chars:,}"
                    " (--limit max_row_chars); it was not read"
                )
            ]
        errors: list[RowError] = []
        limit = self._limits.max_columns
        if len(cells) > limit:
            errors.append(
                RowError(
                    f"the row has {len(cells):,} cells, more than {limit:,} "
                    "(--limit max_columns); it was not read"
                )
            )
            cells.clear()
            return errors
        longest = self._limits.max_cell_chars
        if max(map(len, filter(_is_text, cells)), default=0) <= longest:
            return errors  # the common case, measured in C: no Python loop per cell
        for position, cell in enumerate(cells):
            if type(cell) is str and len(cell) > longest:
                errors.append(
                    RowError(
                        f"the cell has {len(cell):,} characters, more than {longest:,} "
                        "(--limit max_cell_chars)",
                        column=columns[position] if position < len(columns) else None,
                    )
                )
                cells[position] = None
        return errors


def check_archive(fp: BinaryIO, *, name: str, limits: ReadLimits) -> None:
    """Refuse an xlsx whose zip entries are too big, too compressed, lie about their size, are
    encrypted, or hold macros; `fp` is left at an undefined position. Raises ReadError."""
    import zipfile

    try:
        entries = zipfile.ZipFile(fp).infolist()
    except (zipfile.BadZipFile, ValueError) as exc:
        if isinstance(exc.__context__, OSError):  # zipfile hides a failing disk as "not a zip"
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
    for info in entries:
        extent = _Extent() if _WORKSHEET.fullmatch(info.filename) else None
        _check_inflated(fp, info, name, extent)
        if extent is not None:
            extent.check(info.filename, name, limits)


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
    """The first and last row and column a worksheet's XML references."""

    def __init__(self) -> None:
        self.rows: set[int] = set()
        self.columns: set[bytes] = set()
        self._tail = b""

    def feed(self, data: bytes) -> None:
        text = self._tail + data
        rows = set(_ROW_REF.findall(text))
        if rows:
            numbers = [int(r) for r in rows]
            self.rows.update((min(numbers), max(numbers)))
        columns = set(_CELL_COLUMN.findall(text))
        if columns:
            self.columns.update(c.upper() for c in columns)
            self.columns = {min(self.columns, key=_column_key), max(self.columns, key=_column_key)}
        self._tail = text[-_TAIL:]

    def check(self, entry: str, name: str, limits: ReadLimits) -> None:
        if not self.rows or not self.columns:
            return
        height = max(self.rows) - min(self.rows) + 1
        keys = sorted(map(_column_key, self.columns))
        width = _column_number(keys[-1][1]) - _column_number(keys[0][1]) + 1
        if height * width > limits.max_sheet_cells:
            raise ReadError(
                f"{entry} spans {height:,} rows x {width:,} columns ({height * width:,} cells), "
                f"more than {limits.max_sheet_cells:,}",
                path=name,
                hint="is it the right file? raise --limit max_sheet_cells if it is",
            )


def _column_key(letters: bytes) -> tuple[int, bytes]:
    return len(letters), letters


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
