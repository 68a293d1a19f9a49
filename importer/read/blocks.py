"""CSV text → blocks of records: about 64 K characters of whole lines parsed at once.

`importer.read.delimited.line_records` pays Python work per line and per record. Here a block
of text whose quotes each open or close a whole cell (or that has none) is split into cells by
str methods (`importer.read.plain`); any other is split into lines by `io.StringIO` and parsed
by one `list(csv.reader(...))`. A block whose records all have the header's width becomes one
2-D array of cells: the same records, numbered the same, with no Python loop per row. The
line-by-line reader takes over for the rest of the file at the first block that needs its care
per line: a NUL, more than `max_row_chars` characters (a line or a record that may be past the
limit), a quote still open at the end of the file, or a record the csv module refuses. Both
readers share the text (and its decoder), so every byte is still read once.
"""

from __future__ import annotations

import csv
import io
from collections import deque
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from itertools import accumulate, chain, compress, count, islice
from typing import IO, Any, BinaryIO

import numpy as np
import numpy.typing as npt

from importer.read.delimited import (
    Record,
    csv_text,
    is_blank_record,
    line_records,
    record_cells,
)
from importer.read.limits import DEFAULT_LIMITS, ReadLimits, has_lone_surrogate
from importer.read.plain import Lines, line_table, plain_lines, quoted_lines

__all__ = ["Block", "csv_blocks"]

Cells = npt.NDArray[np.object_]
Numbers = npt.NDArray[np.int64]
_Rows = list[list[str]]

_READ = 1 << 16  # characters per read: a few hundred rows, well under `max_cell_chars`
# Parsed after each block: a record of its own only if the block ended between records (no
# data line holds a NUL: such blocks go to the line-by-line reader).
_END = "\x00\n"
_END_RECORD = ["\x00"]
_NOT_FAST = frozenset('"\x00\r\n')  # delimiters left to the line-by-line reader
# Where `str.splitlines` also breaks a line, and a text stream does not.
_OTHER_BREAKS = ("\v", "\f", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")


@dataclass(slots=True)
class Block:
    """Consecutive records. A table block holds rows of exactly `cells.shape[1]` cells (empty
    ones None) numbered by `numbers`; any other block lists its `records`."""

    records: list[Record] = field(default_factory=list)
    numbers: Numbers | None = None
    cells: Cells | None = None

    def each(self) -> Iterator[Record]:
        """The records as `csv_records` yields them (a table row of empty cells is `[]`)."""
        if self.cells is None or self.numbers is None:
            return iter(self.records)
        return (
            (number, row if any(row) else [])
            for number, row in zip(self.numbers.tolist(), self.cells.tolist(), strict=True)
        )


@dataclass(slots=True)
class _State:
    number: int = 0  # records read so far, blank ones too
    width: int | None = None  # the first record with a cell: csv_records' header width


def csv_blocks(
    fp: BinaryIO,
    *,
    name: str,
    limits: ReadLimits = DEFAULT_LIMITS,
    encoding: str | None = None,
) -> Generator[Block, None, None]:
    """The records of `csv_records(fp, ...)`, in blocks; past the first block that the
    line-by-line reader must read, one record per block (so its errors come where they did)."""
    text, delimiter = csv_text(fp, name=name, limits=limits, encoding=encoding)
    try:
        state = _State()
        rest = yield from _fast_blocks(text, delimiter, limits, state)
        if rest is None:
            return
        resumed = _Resumed(rest, text)
        for record in line_records(
            resumed, delimiter, name=name, limits=limits, after=state.number, width=state.width
        ):
            yield Block([record])
    finally:
        text.detach()  # the caller owns fp: a TextIOWrapper would close it when collected


def _fast_blocks(
    text: IO[str], delimiter: str, limits: ReadLimits, state: _State
) -> Generator[Block, None, str | None]:
    """Blocks while the text allows; returns the text read but not parsed (the line-by-line
    reader goes on from there), or None at the end of the file."""
    if delimiter in _NOT_FAST:
        return ""
    size = max(1, min(_READ, limits.max_row_chars // 2))
    carry = ""  # a line cut by the read, or the lines of a record cut by it
    while True:
        more = text.read(max(size, len(carry)))  # a long record: read it in fewer passes
        data = carry + more
        if not data:
            return None
        if len(data) > limits.max_row_chars or "\x00" in data or has_lone_surrogate(data):
            return data  # said line by line: a row too long, a NUL, a lone surrogate
        cut = _whole_lines(data) if more else len(data)
        parsed = _parse(data[:cut], delimiter)
        if parsed is None or (parsed[1] and not more):
            return data  # a csv error, or a quote open at the end: said line by line
        records, rest = parsed
        carry = rest + data[cut:]
        if _count(records):
            yield _block(records, data[: cut - len(rest)], delimiter, limits, state)
        if not more:
            return None


def _whole_lines(data: str) -> int:
    """The length of the lines of `data` that the next read cannot go on: not the last line if
    it has no line break, or only `\r` (half of a `\r\n`?)."""
    if data.endswith("\n"):
        return len(data)
    end = len(data) - 1 if data.endswith("\r") else len(data)
    return max(data.rfind("\n", 0, end), data.rfind("\r", 0, end)) + 1


def _lines(text: str) -> list[str]:
    """The lines of `text` as a stream opened with `newline=""` reads them (`\r`, `\n`, `\r\n`)."""
    if any(other in text for other in _OTHER_BREAKS):
        return io.StringIO(text, newline="").readlines()
    return text.splitlines(keepends=True)  # the same lines, in a third of the time


def _parse(text: str, delimiter: str) -> tuple[_Rows | Lines, str] | None:
    """The records of the whole lines `text` (no NUL), and the text of a last one that a quoted
    cell runs on past them (it is read again with the next lines); None if csv refuses a record."""
    if any(other in text for other in _OTHER_BREAKS):
        return _csv_parse(text, delimiter)
    if '"' not in text:
        return plain_lines(text), ""
    found = quoted_lines(text, delimiter)
    return (found, "") if found is not None else _csv_parse(text, delimiter)


def _csv_parse(text: str, delimiter: str) -> tuple[_Rows, str] | None:
    lines = _lines(text)
    try:
        rows = list(csv.reader(chain(lines, [_END]), delimiter=delimiter))
        if rows[-1] == _END_RECORD:
            rows.pop()
            return rows, ""
        rows.pop()
        reader = csv.reader(iter(lines), delimiter=delimiter)
        deque(islice(reader, len(rows)), maxlen=0)
        return rows, "".join(lines[reader.line_num :])
    except csv.Error:
        return None


def _block(
    records: _Rows | Lines, text: str, delimiter: str, limits: ReadLimits, state: _State
) -> Block:
    first = state.number + 1
    state.number += _count(records)
    # No record of a block this short can hold a cell past `max_cell_chars`.
    if state.width is not None and len(text) <= limits.max_cell_chars:
        if isinstance(records, Lines):
            table = line_table(records, delimiter, first, state.width)
        else:
            table = _table(records, first, state.width)
        if table is not None:
            return Block(numbers=table[0], cells=table[1])
    return Block(_records(_lines(text), delimiter, first, limits, state))


def _count(records: _Rows | Lines) -> int:
    return len(records.lines) if isinstance(records, Lines) else len(records)


def _table(rows: _Rows, first: int, width: int) -> tuple[Numbers, Cells] | None:
    """The rows as one array if every non-blank one has `width` cells, or more that are all
    empty; None otherwise (the rows need `record_cells` one by one)."""
    lengths = set(map(len, rows))
    if 0 in lengths:  # empty lines: not records, their numbers are not reused
        numbers = np.fromiter(compress(count(first), rows), dtype=np.int64)
        rows = list(filter(None, rows))
        lengths.discard(0)
    else:
        numbers = np.arange(first, first + len(rows), dtype=np.int64)
    length = lengths.pop() if len(lengths) == 1 else width
    if lengths or length < width:
        return None
    cells: Cells = np.fromiter(
        chain.from_iterable(rows), dtype=object, count=len(rows) * length
    ).reshape(len(rows), length)
    if length > width:
        if not (cells[:, width:] == "").all():
            return None
        cells = cells[:, :width]
    cells[cells == ""] = None
    return numbers, cells


def _records(
    lines: list[str], delimiter: str, first: int, limits: ReadLimits, state: _State
) -> list[Record]:
    """The records of whole `lines` as `line_records` gives them, one by one."""
    reader = csv.reader(iter(lines), delimiter=delimiter)
    ends = list(accumulate(map(len, lines)))
    records: list[Record] = []
    before = 0
    for number, record in enumerate(reader, start=first):
        chars, before = ends[reader.line_num - 1] - before, ends[reader.line_num - 1]
        cells: list[Any] = record_cells(record, chars, state.width, limits.max_cell_chars)
        if record:
            if state.width is None and not is_blank_record(cells):
                state.width = len(cells)
            records.append((number, cells))
    return records


class _Resumed:
    """Text already read from a stream, then the rest of the stream: `readline` as one."""

    def __init__(self, head: str, rest: IO[str]) -> None:
        while head.endswith("\r") and (more := rest.read(1)):
            head += more  # a "\r" may be half of a "\r\n": a line never ends at the seam
        self._head = io.StringIO(head, newline="")
        self._left = len(head)
        self._rest = rest

    def readline(self, size: int = -1) -> str:
        if not self._left:
            return self._rest.readline(size)
        line = self._head.readline(size)
        self._left -= len(line)
        if self._left or line.endswith(("\n", "\r")) or len(line) == size:
            return line
        return line + self._rest.readline(size - len(line) if size >= 0 else -1)
