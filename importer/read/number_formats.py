"""Number cells a workbook shows otherwise than their stored number: `25%` holding 0.25,
`1,200.00` holding 1200, `$1,200` or `1.2E+03`. python-calamine hands over the number; the
sheet a person reads shows the formatted text. Such a cell is never sent as the bare number:
a format this module can reproduce exactly (`0`, `0.00`, `#,##0.00`, `0%`, ...) is compared
with General, and the row is refused when the two differ or the format is any other kind.

Sources: ECMA-376 Part 1, 18.8.30 (numFmt: the built-in format ids) and 18.8.10 (cellXfs: a
cell's `s` is an index into it); 18.3.1.4 (c: `t` absent or `n` is a number).
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from importer.read.columns import column_index
from importer.rows import RowError

__all__ = ["RowsOutOfOrder", "formatted_cell_errors", "number_text", "shown_number"]

_SIMPLE = re.compile(r"(?P<group>#,##)?0(?:\.(?P<places>0{1,30}))?(?P<percent>%)?")


class RowsOutOfOrder(Exception):
    """A sheet's XML holds a row after a later one (`cell_scan.CellCursor`)."""

    def __init__(self, row: int, after: int) -> None:
        super().__init__(f"row {row} after row {after}")
        self.row, self.after = row, after


def number_text(value: float) -> str:
    """17.0 → "17", 0.1 → "0.1", 1e21 → "1e+21": what Excel shows in General format, without
    `.0` artefacts; at most 15 significant digits, as Excel keeps (0.1 + 0.2 → "0.3")."""
    if math.isfinite(value) and float(value).is_integer() and abs(value) < 1e16:
        return str(int(value))
    return f"{float(value):.15g}"


def shown_number(code: str, value: float) -> str | None:
    """The text Excel shows for `value` in format `code` when the format is one of the simple
    kinds (`0`, `0.00`, `#,##0`, `#,##0.00`, `0%`, `0.00%`: any number of places), halves
    rounded away from zero as Excel rounds them; None for any other format."""
    match = _SIMPLE.fullmatch(code)
    if match is None:
        return None
    try:
        number = Decimal(number_text(float(value)))
    except InvalidOperation:
        return None
    if not number.is_finite():
        return None
    if match["percent"]:
        number *= 100
    places = len(match["places"] or "")
    try:
        rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    except InvalidOperation:  # more digits than the decimal context holds: not shown here
        return None
    text = f"{rounded:,.{places}f}" if match["group"] else f"{rounded:.{places}f}"
    if text.lstrip("-").strip("0.,") == "":
        text = text.lstrip("-")  # Excel shows 0, not -0
    return text + ("%" if match["percent"] else "")


def formatted_cell_errors(
    formats: dict[str, str], number: int, cells: list[Any], first: int
) -> list[RowError]:
    """One error per number cell of row `number` whose format (`formats`: column letters →
    code, from `formatted_number_cells`) shows it otherwise than General, naming the cell, what
    it shows and what it holds. `cells` start at 0-based sheet column `first`."""
    errors = []
    for letters, code in formats.items():
        at = column_index(letters) - first
        value = cells[at] if 0 <= at < len(cells) else None
        if type(value) is not int and type(value) is not float:
            continue  # a date, text or empty: not a number calamine read
        general = number_text(value)
        shown = shown_number(code, value)
        if shown == general:
            continue
        if shown is not None:
            what = f"shows {shown} (number format '{code}') but holds the number {general}"
        else:
            what = f"holds the number {general} shown in number format '{code}', not reproduced"
        errors.append(
            RowError(
                f"cell {letters}{number} {what}; a cell is sent as it shows or not at all: "
                "format the column as General, or as Text and type the values as they should "
                "read, or save the sheet as CSV (Excel writes each cell as it shows it)",
                column=letters,  # the reader swaps in the header's name
                cell_only=True,
            )
        )
    return errors
