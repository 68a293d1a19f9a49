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
import zipfile
from collections.abc import Iterator
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import IO, Any

from defusedxml import ElementTree

from importer.rows import RowError

__all__ = [
    "FormatCursor",
    "RowsOutOfOrder",
    "first_disorder",
    "formatted_cell_errors",
    "number_text",
    "shown_number",
    "style_formats",
    "styled_number_rows",
]

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_STYLES = "xl/styles.xml"
# Built-in number formats (ECMA-376 18.8.30) that are not General (0) or Text (49, `@`); ids
# 5-8 and 41-44 are currency formats that depend on the reader's locale: kept as `#id`.
_BUILT_IN = {
    1: "0",
    2: "0.00",
    3: "#,##0",
    4: "#,##0.00",
    9: "0%",
    10: "0.00%",
    11: "0.00E+00",
    12: "# ?/?",
    13: "# ??/??",
    37: "#,##0 ;(#,##0)",
    38: "#,##0 ;[Red](#,##0)",
    39: "#,##0.00;(#,##0.00)",
    40: "#,##0.00;[Red](#,##0.00)",
    48: "##0.0E+0",
}
_SHOWN_AS_IS = {0, 49}  # General, Text
_SIMPLE = re.compile(r"(?P<group>#,##)?0(?:\.(?P<places>0{1,30}))?(?P<percent>%)?")
_SCAN_BLOCK = 1 << 20


def style_formats(archive: zipfile.ZipFile) -> dict[int, str]:
    """Cell style index (a cell's `s`) → the number format code of each style that does not
    show numbers as General or Text; empty when the workbook has no styles part. Raises
    KeyError, ElementTree.ParseError (defused) for a broken part."""
    if _STYLES not in archive.namelist():
        return {}
    custom: dict[int, str] = {}
    styles: dict[int, str] = {}
    with archive.open(_STYLES) as part:
        root = ElementTree.parse(part).getroot()
    for element in root.iter(f"{_MAIN}numFmt"):
        custom[_number(element.get("numFmtId"))] = element.get("formatCode", "")
    cell_xfs = root.find(f"{_MAIN}cellXfs")
    for index, xf in enumerate(cell_xfs.iter(f"{_MAIN}xf") if cell_xfs is not None else []):
        format_id = _number(xf.get("numFmtId", "0"))
        if format_id in _SHOWN_AS_IS and format_id not in custom:
            continue
        code = custom.get(format_id, _BUILT_IN.get(format_id, f"#{format_id}"))
        if code not in ("General", "@"):
            styles[index] = code
    return styles


def styled_number_rows(
    part: IO[bytes], styles: dict[int, str]
) -> Iterator[tuple[int, dict[str, str]]]:
    """Number cells (no `t`, or `t="n"`) whose style is in `styles`, a row at a time in the
    order the sheet's XML holds them: (row number, {column letters: format code}). Reads the
    part a block at a time: memory is one block and one row."""
    if not styles:
        return
    numbers = "|".join(str(index) for index in sorted(styles))
    cell = re.compile(
        rb'<c r="([A-Z]{1,4})([0-9]{1,9})"(?=[^>]*?\ss="(' + numbers.encode() + rb')")'
        rb"([^>]*)(?<!/)>"
    )
    current, tail = -1, b""
    cells: dict[str, str] = {}
    while True:
        block = part.read(_SCAN_BLOCK)
        text = tail + block
        cut = text.rfind(b"<")
        if not block or cut == -1 or text.find(b">", cut) != -1:
            cut = len(text)
        tail = text[cut:]
        for letters, digits, style, attributes in cell.findall(text, 0, cut):
            if b' t="' in attributes and b' t="n"' not in attributes:
                continue  # text, boolean, error or date: not a number
            row = int(digits)
            if row != current:
                if cells:
                    yield current, cells
                current, cells = row, {}
            cells[letters.decode()] = styles[int(style)]
        if not block:
            break
    if cells:
        yield current, cells


def first_disorder(rows: Iterator[tuple[int, dict[str, str]]]) -> tuple[int, int] | None:
    """The first (row, earlier row above it) where `styled_number_rows` go back up the sheet;
    None when they only go down, as Excel writes them."""
    highest = 0
    for row, _ in rows:
        if row <= highest:
            return row, highest
        highest = row
    return None


class FormatCursor:
    """The styled number cells of one sheet (`styled_number_rows`), read along with its records,
    which come in increasing row order: a row's cells must be known before the row is read, so
    a sheet whose XML holds them out of order (`disorder`, from `first_disorder` in a pass
    before) raises `RowsOutOfOrder` for every row."""

    def __init__(
        self, rows: Iterator[tuple[int, dict[str, str]]], disorder: tuple[int, int] | None
    ) -> None:
        self._rows, self._disorder = rows, disorder
        self._pending = next(rows, None) if disorder is None else None

    def at(self, number: int) -> dict[str, str]:
        """{column letters: format code} of row `number`; call with increasing numbers."""
        if self._disorder is not None:
            raise RowsOutOfOrder(*self._disorder)
        found: dict[str, str] = {}
        while self._pending is not None and self._pending[0] <= number:
            row, cells = self._pending
            if row == number:
                found = cells
            self._pending = next(self._rows, None)
        return found


class RowsOutOfOrder(Exception):
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
    rounded = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
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
        at = _column_index(letters) - 1 - first
        value = cells[at] if 0 <= at < len(cells) else None
        if type(value) is not int and type(value) is not float:
            continue  # a date, text or empty: not a number calamine read
        general = number_text(value)
        shown = shown_number(code, value)
        if shown == general:
            continue
        if shown is not None:
            what = f"shows {shown} (number format {code!r}) but holds the number {general}"
        else:
            what = f"holds the number {general} shown in number format {code!r}, not reproduced"
        errors.append(
            RowError(
                f"cell {letters}{number} {what}; a cell is sent as it shows or not at all: "
                "format the column as General, or as Text and type the values as they should "
                "read, or save the sheet as CSV (Excel writes each cell as it shows it)",
                column=letters,  # the reader swaps in the header's name
            )
        )
    return errors


def _column_index(letters: str) -> int:
    """1-based column number of `AB`-style letters."""
    index = 0
    for letter in letters:
        index = index * 26 + ord(letter) - ord("A") + 1
    return index


def _number(text: str | None) -> int:
    try:
        return int(text or "0")
    except ValueError:
        return -1
