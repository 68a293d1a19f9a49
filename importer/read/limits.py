"""Resource limits of the reader: what a hostile or broken file may cost before it is refused.

Every limit has a default that a real migration never meets and a one-line error past it:

- `max_entry_bytes` / `max_ratio`: every zip entry of an xlsx is checked *before* any XML is
  parsed: its declared uncompressed size, its compression ratio (the zip-bomb test Apache POI's
  `ZipSecureFile` applies: 1 % minimum inflate ratio, after a grace size), and then its real
  inflated size, counted while inflating into nothing (a bomb may lie in its directory).
- `max_columns`: a header wider than Excel's 16,384 columns refuses the file; a data row with more
  cells than that is a row error (the extra cells are dropped, never shifted).
- `max_cell_chars`: a longer cell is a row error; the rest of the file goes on.
- `max_sheet_cells`: the rectangle from a worksheet's first to its last cell with a value, placed
  from the `r="B7"` references (or, without them, after the row or cell before) while the entry
  is inflated; cells and rows without a value (formatting left behind) do not count: calamine
  allocates that whole rectangle, so two cells at A1 and XFD1048576 in a 2 KB file would
  otherwise ask for 17 billion cells.
- `max_sparsity`: a rectangle of more than `sparse_grace_cells` cells must hold a value in one
  cell of every `max_sparsity` (1 %), or a stray value far from the data (A1 and AX1000000: 50
  million cells, 1.6 GB) makes a tiny file cost what a million full rows do.
- `max_row_chars`: a CSV line longer than this is a row error (it is skipped without being split
  into cells, so memory stays bounded); a quoted record that runs on past it over many lines is
  a file error (an unclosed quote swallowing the file).

The zip-archive checks that apply the first four live in `importer.read.archive`.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any, Protocol

from importer.errors import ConfigError, ReadError
from importer.rows import RowError

__all__ = [
    "DEFAULT_LIMITS",
    "LineFeed",
    "LoneSurrogate",
    "NulByte",
    "ReadLimits",
    "RowGuard",
    "RowTooLong",
    "Suspect",
    "TextLines",
    "UnclosedQuote",
    "has_lone_surrogate",
    "parse_limits",
]

_BLOCK = 1 << 16


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
    max_sparsity: int = 100  # a rectangle past `sparse_grace_cells` needs a value in 100 cells
    sparse_grace_cells: int = 1_000_000


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


class UnclosedQuote:
    """Stands for the cells of a CSV record whose quote is never closed: it ran to the end of
    the file, and the `lines` after its first were never read as rows of their own."""

    __slots__ = ("lines",)

    def __init__(self, lines: int) -> None:
        self.lines = lines


class NulByte:
    """Stands for the cells of a CSV record that holds a NUL byte (no sheet shows one)."""

    __slots__ = ()


class LoneSurrogate:
    """Stands for the cells of a CSV record whose text holds a lone surrogate (U+D800–U+DFFF
    alone): no character, but what codecs such as utf-7 or unicode_escape decode from some
    bytes. No UTF-8 report, ledger or request can hold it."""

    __slots__ = ()


_is_text = functools.partial(type.__instancecheck__, str)
_STAND_INS = (NulByte, LoneSurrogate, UnclosedQuote, RowTooLong)
_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(text: str) -> bool:
    """Whether `text` holds a lone surrogate (ASCII text, the common case, is told in C)."""
    return not text.isascii() and _SURROGATE.search(text) is not None


# A header that is one of these stand-ins refuses the file: (message, hint).
_HEADER_REFUSALS: dict[type, tuple[str, str]] = {
    UnclosedQuote: (
        "the header opens a quote that is never closed (it runs to the end of the file)",
        'close the quote, or write a literal quote as two: ""',
    ),
    NulByte: (  # UTF-16 text: the binary check of the first MiB passed it
        "the header line holds a NUL character (no sheet shows one: a damaged or binary file?)",
        "remove the NUL characters, or export the sheet again",
    ),
    LoneSurrogate: (
        "the header line holds a lone surrogate, which is no character (a codec such as utf-7 "
        "or unicode_escape decodes one from some bytes)",
        "check --encoding (or the mapping's `encoding`)",
    ),
}
# A row that is one of these stand-ins is that row's error; its cells were never read.
_ROW_REFUSALS: dict[type, str] = {
    NulByte: "the line holds a NUL byte (binary data, or UTF-16 text?); it was not read",
    LoneSurrogate: (
        "the line holds a lone surrogate, which is no character (is the encoding right?); "
        "it was not read"
    ),
}


class Suspect(list[Any]):
    """The cells of a CSV record long enough to hold a cell past `max_cell_chars`: only these
    are measured cell by cell (a plain `list` from the CSV reader cannot hold one)."""


class TextLines(Protocol):
    """What `LineFeed` reads: a text stream's `readline`."""

    def readline(self, size: int = -1, /) -> str: ...


class LineFeed:
    """The lines of a text stream for `csv.reader`, never holding more than `max_row_chars`.

    A line past the limit is read to its end in blocks, counted, and fed as an empty line;
    `cut` then holds its length until the caller takes it. Call `record_done()` after each
    record: a record that grows past the limit over many lines raises ReadError.
    """

    def __init__(self, text: TextLines, *, limits: ReadLimits, name: str) -> None:
        self._text, self._max, self._name = text, limits.max_row_chars, name
        self._pending = 0
        self.chars = 0  # of the record just finished, after `record_done()`
        self.cut: int | None = None
        # Set when the reader asked past the last line: only a record inside a quote does that.
        self.eof = False
        self._nul = self._surrogate = False

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
            if "\x00" in line:
                self._nul = True
            if not line.isascii() and _SURROGATE.search(line):
                self._surrogate = True
            if self._pending > limit:
                raise ReadError(
                    f"a record runs on past {self._max:,} characters (an unclosed quote?)",
                    path=self._name,
                    hint="fix the quoting, or raise --limit max_row_chars",
                )
            yield line
        self.eof = True

    def _drain(self) -> int:
        chars = 0
        while more := self._text.readline(_BLOCK):
            chars += len(more)
            if more.endswith(("\n", "\r")):
                break
        return chars

    def took_nul(self) -> bool:
        """Whether the record just finished held a NUL byte (call after `record_done()`)."""
        nul, self._nul = self._nul, False
        return nul

    def took_surrogate(self) -> bool:
        """Whether the record just finished held a lone surrogate (call after `record_done()`)."""
        surrogate, self._surrogate = self._surrogate, False
        return surrogate

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
        """Raise ReadError for a header that is not one: wider than `max_columns`, longer
        than `max_row_chars`, a quote never closed, a NUL character."""
        refusal = _HEADER_REFUSALS.get(type(cells[0])) if cells else None
        if refusal is not None:
            message, hint = refusal
            raise ReadError(f"{where}{message}", path=self._name, hint=hint)
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

    def all_clear(self, rows: list[list[Any]]) -> bool:
        """Whether `check_row` finds nothing in any of `rows` (and so changes none), measured
        in C for the whole chunk: the common case needs no Python loop per row."""
        if max(map(len, rows), default=0) > self._limits.max_columns:
            return False
        checked = [row for row in rows if type(row) is not list] if self._csv else rows
        if any(len(row) == 1 and isinstance(row[0], _STAND_INS) for row in checked):
            return False
        cells = chain.from_iterable(checked)
        return max(map(len, filter(_is_text, cells)), default=0) <= self._limits.max_cell_chars

    def check_row(self, cells: list[Any], columns: list[str]) -> list[RowError]:
        """Problems of one row; cells past a limit are blanked or dropped in place."""
        if self._csv and type(cells) is list and len(cells) <= self._limits.max_columns:
            return []  # csv_records marks every row that could be too long as Suspect
        if len(cells) == 1 and type(cells[0]) in _ROW_REFUSALS:
            return [RowError(_ROW_REFUSALS[type(cells.pop())])]
        if len(cells) == 1 and isinstance(cells[0], UnclosedQuote):
            lines = cells.pop().lines
            return [
                RowError(
                    f"a quote opened in this row is never closed: the {lines:,} lines after it, "
                    "to the end of the file, were not read as rows"
                )
            ]
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
