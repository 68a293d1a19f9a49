"""Records → `SheetChunk`s: the header, each row checked (limits, wider or narrower than the
header), `chunk_size` rows per frame.

A CSV file comes in blocks (`importer.read.blocks`): rows of a table block have the header's
width and need no check, so they go into the frame as one array; every other row is checked one
by one, as every workbook row is.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import chain, islice
from typing import Any, BinaryIO

import numpy as np
import pandas as pd

from importer.errors import ReadError
from importer.read.blocks import Block, Cells, Numbers, csv_blocks
from importer.read.columns import Columns, cell_table, refuse_narrow, refuse_wide
from importer.read.delimited import is_blank_record
from importer.read.limits import DEFAULT_LIMITS, ReadLimits, RowGuard
from importer.read.restore import is_failed_rows_header, restored, restored_header
from importer.rows import RowError, SheetChunk

__all__ = ["csv_chunks", "first_filled", "record_chunks"]

_Record = tuple[int, list[Any]]


def csv_chunks(
    fp: BinaryIO,
    name: str,
    chunk_size: int,
    limits: ReadLimits = DEFAULT_LIMITS,
    encoding: str | None = None,
) -> Iterator[SheetChunk]:
    """The chunks of the CSV text in `fp`; its first record with a non-blank cell is the header."""
    blocks = csv_blocks(fp, name=name, limits=limits, encoding=encoding)
    try:  # close it before the caller closes fp: its cleanup needs the file open
        header, rest = _header(blocks)
        if header is None:
            raise ReadError("empty file: no header row", path=name)
        guard = RowGuard(limits, name=name, csv=True)
        if is_failed_rows_header(header[1]):  # a report of ours: undo its formula escaping
            records = chain(rest, chain.from_iterable(block.each() for block in blocks))
            yield from record_chunks(
                restored_header(header),
                restored(records),
                file=name,
                sheet=None,
                first_column=0,
                chunk_size=chunk_size,
                guard=guard,
                narrow=True,
            )
            return
        # The rest of the header's block one by one, then whole blocks.
        yield from _block_chunks(
            header,
            chain([Block(list(rest))], blocks),
            file=name,
            chunk_size=chunk_size,
            guard=guard,
        )
    finally:
        blocks.close()


def _header(blocks: Iterator[Block]) -> tuple[_Record | None, Iterator[_Record]]:
    """The header record, and the records after it in its block."""
    for block in blocks:
        records = block.each()
        header = first_filled(records)
        if header is not None:
            return header, records
    return None, iter(())


def first_filled(records: Iterator[_Record]) -> _Record | None:
    """The header: the first record with a non-blank cell (blank rows above it are not data)."""
    for record in records:
        if not is_blank_record(record[1]):
            return record
    return None


def record_chunks(
    header: _Record,
    records: Iterator[_Record],
    *,
    file: str,
    sheet: str | None,
    first_column: int,
    chunk_size: int,
    guard: RowGuard,
    narrow: bool = False,
) -> Iterator[SheetChunk]:
    """`narrow`: refuse rows with fewer cells than the header (CSV: a workbook row simply does
    not store its empty trailing cells)."""
    guard.check_header(header[1], where=f"sheet {sheet!r}: " if sheet else "")
    columns = Columns(header[1], first_column)
    width = len(header[1])
    yielded = False
    while batch := list(islice(records, chunk_size)):
        numbers = [number for number, _ in batch]
        rows = [cells for _, cells in batch]
        errors: dict[int, list[RowError]] = {}
        lengths = set(map(len, rows))
        fits = lengths <= {0, width} if narrow else max(lengths) <= width
        if not (fits and guard.all_clear(rows)):
            for number, cells in batch:
                _check(number, cells, width, columns, guard, errors, narrow=narrow)
        yield SheetChunk(file, sheet, columns.frame(rows, numbers), errors)
        yielded = True
    if not yielded:
        yield SheetChunk(file, sheet, columns.frame([], []), {})


def _check(
    number: int,
    cells: list[Any],
    width: int,
    columns: Columns,
    guard: RowGuard,
    errors: dict[int, list[RowError]],
    *,
    narrow: bool,
) -> None:
    if problems := guard.check_row(cells, columns.names):
        errors[number] = problems
    elif len(cells) > width:
        refuse_wide(number, cells, width, columns, errors)
    elif narrow and cells and len(cells) < width:
        refuse_narrow(number, cells, width, columns, errors)


def _block_chunks(
    header: _Record, blocks: Iterator[Block], *, file: str, chunk_size: int, guard: RowGuard
) -> Iterator[SheetChunk]:
    """`record_chunks(header, records, narrow=True)` for a CSV file's records in blocks."""
    guard.check_header(header[1])
    columns = Columns(header[1], 0)
    width = len(header[1])
    pending = _Pending()
    yielded = False
    for block in blocks:
        if block.cells is not None and block.numbers is not None and block.cells.shape[1] == width:
            start, end = 0, len(block.cells)
            while start < end:  # a table's rows need no check: only cut them into chunks
                stop = min(end, start + chunk_size - pending.rows)
                pending.add_table(block.numbers[start:stop], block.cells[start:stop])
                start = stop
                if pending.rows == chunk_size:
                    yield SheetChunk(file, None, pending.frame(columns), pending.errors)
                    pending, yielded = _Pending(), True
            continue
        for number, cells in block.each():
            _check(number, cells, width, columns, guard, pending.errors, narrow=True)
            pending.add_row(number, cells)
            if pending.rows == chunk_size:
                yield SheetChunk(file, None, pending.frame(columns), pending.errors)
                pending, yielded = _Pending(), True
    if pending.rows or not yielded:
        yield SheetChunk(file, None, pending.frame(columns), pending.errors)


class _Pending:
    """The rows of the chunk being filled, in order: arrays of table rows, lists of others."""

    def __init__(self) -> None:
        self.rows = 0
        self.errors: dict[int, list[RowError]] = {}
        self._parts: list[tuple[Numbers | list[int], Cells | list[list[Any]]]] = []

    def add_table(self, numbers: Numbers, cells: Cells) -> None:
        self._parts.append((numbers, cells))
        self.rows += len(numbers)

    def add_row(self, number: int, cells: list[Any]) -> None:
        if not self._parts or isinstance(self._parts[-1][1], np.ndarray):
            self._parts.append(([], []))
        numbers, rows = self._parts[-1]
        assert isinstance(numbers, list) and isinstance(rows, list)
        numbers.append(number)
        rows.append(cells)
        self.rows += 1

    def frame(self, columns: Columns) -> pd.DataFrame:
        widest = max(
            (len(row) for _, rows in self._parts if isinstance(rows, list) for row in rows),
            default=0,
        )
        width = columns.widen(widest)
        values: Cells = np.empty((width, self.rows), dtype=object)
        numbers = np.empty(self.rows, dtype=np.int64)
        at = 0
        for part, cells in self._parts:
            table = cell_table(cells, width) if isinstance(cells, list) else cells
            end = at + len(table)
            values[: table.shape[1], at:end] = table.T
            values[table.shape[1] :, at:end] = None  # cells right of a table's: none
            numbers[at:end] = part
            at = end
        return columns.table(values, numbers)
