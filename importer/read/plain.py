"""Whole CSV lines that need no csv state machine → a table of cells, with str methods only.

Most exports quote a cell only to hold a delimiter or a line break (`,"Paris, FR",`): each
quote opens or closes a whole cell, none is doubled or left open. Then every quoted cell is cut
out whole and replaced by a NUL (a block read this way holds none), the rest is plain text, and
a record is a line split at the delimiter: the records `csv.reader` gives, without its Python
objects per row. Anything else (`""` inside a cell, `a"b`, `"a"b`, an open quote, a line break
`str.splitlines` sees and a text stream does not) is left to `csv.reader` by the caller.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import compress, count, repeat

import numpy as np
import numpy.typing as npt

__all__ = ["QUOTED", "Lines", "line_table", "plain_lines", "quoted_lines"]

Cells = npt.NDArray[np.object_]
Numbers = npt.NDArray[np.int64]

QUOTED = "\x00"  # stands for a quoted cell in the text around it
# Compared cell by cell: numpy would turn a plain "\x00" into the empty string of a `<U1` array.
_QUOTED_CELL = np.array(QUOTED, dtype=object)


@dataclass(slots=True)
class Lines:
    """The records of whole lines: `lines` of unquoted text (an empty one is no record); each
    `QUOTED` in them a cell of `quoted`, in order; `cells`, if given, `lines` joined by the
    delimiter and split at it."""

    lines: list[str]
    quoted: Sequence[str] = ()
    cells: list[str] | None = None


def plain_lines(text: str) -> Lines:
    """The records of whole lines `text` holding no quote (and no NUL)."""
    return Lines(text.splitlines())


def quoted_lines(text: str, delimiter: str) -> Lines | None:
    """The records of whole lines `text` (no NUL) if each of its quotes opens or closes a whole
    cell; None otherwise."""
    parts = text.split('"')
    if not len(parts) % 2:
        return None  # a quote open at the end: csv finds where its record starts
    quoted = parts[1::2]
    lines = QUOTED.join(parts[::2]).splitlines()
    cells = delimiter.join(lines).split(delimiter)
    # A quoted cell had a delimiter, a line break or the text's edge on either side (a quote
    # opening or closing a cell, never one inside it) if and only if its stand-in is a cell.
    if cells.count(QUOTED) != len(quoted):
        return None
    return Lines(lines, quoted, cells)


def line_table(
    found: Lines, delimiter: str, first: int, width: int
) -> tuple[Numbers, Cells] | None:
    """The records numbered from `first` and their cells, if every record has `width` cells or
    more that are all empty; None otherwise. Empty cells are None."""
    lines, cells = found.lines, found.cells
    if "" in lines:  # empty lines: not records, their numbers are not reused
        numbers = np.fromiter(compress(count(first), lines), dtype=np.int64)
        lines, cells = list(filter(None, lines)), None
    else:
        numbers = np.arange(first, first + len(lines), dtype=np.int64)
    separators = set(map(str.count, lines, repeat(delimiter)))
    length = separators.pop() + 1 if len(separators) == 1 else width
    if separators or length < width:
        return None
    if not lines:
        return numbers, np.empty((0, width), dtype=object)
    if cells is None:
        cells = delimiter.join(lines).split(delimiter)
    table: Cells = np.fromiter(cells, dtype=object, count=len(cells)).reshape(len(lines), length)
    if found.quoted:
        _put_quoted(table, found.quoted)
    if length > width:
        if not (table[:, width:] == "").all():
            return None
        table = table[:, :width]
    table[table == ""] = None
    return numbers, table


def _put_quoted(table: Cells, quoted: Sequence[str]) -> None:
    """Each `QUOTED` of `table` → its cell of `quoted` (row by row, left to right)."""
    cells = np.fromiter(quoted, dtype=object, count=len(quoted))
    # A file quotes the same columns in most rows: the first row's are searched alone first.
    columns = np.flatnonzero(table[0] == _QUOTED_CELL)
    part = table[:, columns]
    found = part == _QUOTED_CELL
    if np.count_nonzero(found) == len(cells):
        part[found] = cells
        table[:, columns] = part
    else:
        table[table == _QUOTED_CELL] = cells
