"""Re-importing a `failed_rows*.csv`: undo exactly the formula escaping the report applied.

The report writes every text cell through `importer.formulas.neutralise` (OWASP's leading `'`).
A file whose last header cell is `import_error` is one of those files, so its cells are restored
with `importer.formulas.restore`, and the value sent is the value of the original sheet. Any
other file is read as it is: a `'` typed into a source cell stays.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from importer.formulas import restore

__all__ = ["FAILED_ROWS_MARKER", "is_failed_rows_header", "restored", "restored_header"]

FAILED_ROWS_MARKER = "import_error"
_Record = tuple[int, list[Any]]


def is_failed_rows_header(cells: list[Any]) -> bool:
    """Whether a header row is that of a failed-rows file the report wrote."""
    return bool(cells) and cells[-1] == FAILED_ROWS_MARKER


def restored(records: Iterator[_Record]) -> Iterator[_Record]:
    """`records` with every text cell restored (see `importer.formulas`), each record's list
    of the same type: a `Suspect` (a NUL, an over-long cell) must stay one for the row guard."""
    for number, cells in records:
        yield number, type(cells)(restore(c) if type(c) is str else c for c in cells)


def restored_header(header: _Record) -> _Record:
    """The header of a failed-rows file with its names restored."""
    return next(restored(iter([header])))
