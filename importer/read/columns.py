"""Sheet columns as the reader names them, and the row refusals located by column.

Names: the header's, stripped; a blank one `Column C` (its letter); every copy of a repeated one
numbered, `Country (1)`, `Country (2)`; cells right of the header `Column F`. A row with filled
cells right of the header is refused: its cells may have shifted (docs/cells.md).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from itertools import chain
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from importer.rows import RowError, SheetChunk

__all__ = [
    "Cells",
    "Columns",
    "cell_table",
    "column_index",
    "column_letters",
    "located",
    "refuse_narrow",
    "refuse_wide",
]

Cells = npt.NDArray[np.object_]


def located(error: RowError, chunk: SheetChunk, first_column: int) -> RowError:
    """A refusal located by column letter (`C`) → the header's name for that column."""
    if error.column is None or not error.column.isalpha():
        return error
    position = column_index(error.column) - first_column
    names = chunk.frame.columns
    name = str(names[position]) if 0 <= position < len(names) else f"Column {error.column}"
    return replace(error, column=name)


def column_index(letters: str) -> int:
    """`A` → 0, `AA` → 26."""
    index = 0
    for letter in letters.upper():
        index = index * 26 + ord(letter) - ord("A") + 1
    return index - 1


def column_letters(index: int) -> str:
    """0 → `A`, 26 → `AA`: the inverse of `column_index`."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


def refuse_wide(
    number: int, cells: list[Any], width: int, columns: Columns, refused: dict[int, list[RowError]]
) -> None:
    """A row with filled cells right of its header is refused: its cells may have shifted."""
    extra = [
        f"{columns.letter(position)} {str(cell)[:40]!r}"
        for position, cell in enumerate(cells[width:], start=width)
        if cell is not None and str(cell).strip()
    ]
    if extra:
        refused[number] = [
            RowError(
                f"{len(extra)} cell(s) right of the header's last column: {', '.join(extra)}; "
                "cells may have shifted (an unquoted separator, like 1,200 in a comma CSV?)"
            )
        ]


def refuse_narrow(
    number: int, cells: list[Any], width: int, columns: Columns, refused: dict[int, list[RowError]]
) -> None:
    """A CSV row with fewer cells than its header is refused: a separator is missing somewhere,
    so the cells after it may have moved one column left (a date sent as the description)."""
    missing = [repr(name) for name in columns.names[len(cells) : width]]
    shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
    refused[number] = [
        RowError(
            f"the row has {len(cells)} cell(s), the header {width}: no cell under {shown}; "
            "cells may have shifted left (a missing separator?); write the missing "
            "separators, even for empty cells"
        )
    ]


class Columns:
    """Column names of one sheet: the header's, made unique, then `Column X` for extra cells."""

    def __init__(self, header: list[Any], first_column: int) -> None:
        self._first_column = first_column
        self._taken: set[str] = set()
        self._used: set[str] = set()  # the names given so far; a set, or naming is quadratic
        self._suffixes: dict[str, int] = {}  # next suffix to try for a repeated name
        texts = ["" if cell is None else str(cell).strip() for cell in header]
        self._taken.update(texts)
        self.names: list[str] = []
        # Every copy of a repeated name is numbered, the first too: a mapping that names the
        # bare `Country` of `Country,Country` is refused at start instead of taking the first.
        repeated = {text for text, count in Counter(texts).items() if text and count > 1}
        copies: Counter[str] = Counter()
        for position, text in enumerate(texts):
            if text in repeated:
                copies[text] += 1
                self._add(text, copies[text])
            else:
                self._add(text or self._letter_name(position))
        self._header_width = len(self.names)

    def frame(self, rows: list[list[Any]], numbers: list[int]) -> pd.DataFrame:
        """Rows of cells → a frame; short rows padded, names added for cells past the header."""
        width = self.widen(max(map(len, rows), default=0))
        values = np.array(cell_table(rows, width).T, order="C")
        return self.table(values, np.asarray(numbers, dtype=np.int64))

    def widen(self, width: int) -> int:
        """The frame width for rows of up to `width` cells, naming the columns right of the
        header (`Column F`) that it needs."""
        width = max(self._header_width, width)
        while len(self.names) < width:
            self._add(self._letter_name(len(self.names)))
        return width

    def table(self, values: Cells, numbers: npt.NDArray[np.int64]) -> pd.DataFrame:
        """A frame of `values` (one array row per column, as many as `widen` gave), indexed by
        row number. Each column's cells side by side, as pandas stores a frame built of rows."""
        return pd.DataFrame(
            values.T,
            columns=pd.Index(self.names[: len(values)], dtype=object),
            index=pd.Index(numbers, dtype="int64", name="row"),
            dtype=object,
            copy=False,
        )

    def _letter_name(self, position: int) -> str:
        return f"Column {self.letter(position)}"

    def letter(self, position: int) -> str:
        return _column_letters(self._first_column + position)

    def _add(self, name: str, copy: int | None = None) -> None:
        if copy is not None or name in self._used:
            # Names only get taken, so the first free suffix never goes down: start from the
            # last one given to this name (or its copy number), or naming is quadratic.
            start = self._suffixes.get(name, 1 if copy is not None else 2)
            suffix = max(copy, start) if copy is not None else start
            while f"{name} ({suffix})" in self._taken:
                suffix += 1
            self._suffixes[name] = suffix + 1
            name = f"{name} ({suffix})"
        self._taken.add(name)
        self._used.add(name)
        self.names.append(name)


def cell_table(rows: list[list[Any]], width: int) -> Cells:
    """Rows of at most `width` cells → a (rows x width) array, short rows padded with None."""
    padded = [row if len(row) == width else [*row, *[None] * (width - len(row))] for row in rows]
    cells: Cells = np.fromiter(
        chain.from_iterable(padded), dtype=object, count=len(rows) * width
    ).reshape(len(rows), width)
    return cells


def _column_letters(index: int) -> str:
    """0 → `A`, 25 → `Z`, 26 → `AA`, as spreadsheets label columns."""
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters
