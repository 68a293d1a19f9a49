"""Cells python-calamine reads otherwise than a person sees them, found in a sheet's XML a block
at a time as its records are read: number cells with a number format (`25%` holding 0.25, the
styles from `style_formats`) and error cells (`#N/A`, read as empty).

XML written the usual way (every cell tag `<c r="A1" ...>`, attributes `name="value"`, no
namespace prefix: Excel, LibreOffice, openpyxl, xlsxwriter) is scanned with patterns; any other
spelling (attributes in another order before `r`, no `r`, single quotes, spaces around `=`,
prefixes) with ElementTree's parser, which reads them all as calamine does. A pass first says
which, and whether the rows come in order (a row's cells must be known before it is read).

Sources: ECMA-376 Part 1, 18.8.30 (numFmt, built-in ids), 18.8.10 (cellXfs: a cell's `s`),
18.8.31 (numFmts), 18.3.1.4 (c: `t` absent or `n` a number, `e` an error).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from typing import IO
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException, ElementTree

from importer.errors import ReadError
from importer.read.columns import column_index, column_letters
from importer.read.number_formats import RowsOutOfOrder

__all__ = [
    "DAMAGED",
    "CellCursor",
    "Shown",
    "damaged",
    "local",
    "part_name",
    "sheet_cells",
    "style_formats",
]

Shown = tuple[str, str]  # ("format", number format code) or ("error", the error shown)
Row = tuple[int, dict[str, Shown]]  # row number, {column letters: what the cell shows}
Opener = Callable[[], AbstractContextManager[IO[bytes]]]
Scanner = Callable[[IO[bytes], dict[int, str]], Iterator[Row]]

# Built-in number formats (ECMA-376 18.8.30) other than General (0) and Text (49); ids 5-8 and
# 41-44 are currency formats that depend on the reader's locale: kept as `#id`.
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
_BLOCK = 1 << 20
# What a damaged or hostile part raises (DefusedXmlException is a ValueError)
DAMAGED = (EOFError, zipfile.BadZipFile, zlib.error, KeyError, ValueError, ElementTree.ParseError)
_FEW_STYLES = 200  # more style numbers than this are matched as any number, then looked up
_PREFIXED_CELL = re.compile(rb":c[\s/>]")
# A cell tag not of the usual form: `r` first, then `name="value"` attributes with at most one
# `s` and one `t`, their values without spaces (`<c r="A1" s="3" t="n">`). A `>`, `&` or `<` in
# a value, other quotes, spaces around `=`, an attribute given twice make it unusual.
_ANY = rb'(?:\s+(?![st]=)[\w:.-]+="[^"<>&]*")*+'
_S, _T = rb'\s+s="[^"\s<>&]*"', rb'\s+t="[^"\s<>&]*"'
_UNUSUAL_CELL = re.compile(
    rb'<c r="(?![A-Za-z]{1,4}[0-9]{1,9}"'
    + _ANY
    + rb"(?:(?:"
    + _S
    + _ANY
    + rb"(?:"
    + _T
    + _ANY
    + rb")?)|(?:"
    + _T
    + _ANY
    + rb"(?:"
    + _S
    + _ANY
    + rb")?))?\s*+/?>)"
)
_ENTITY_IN_TAG = re.compile(rb"<[^>]*&")
_BARE_CELLS = (b"<c>", b"<c/", b"<c\t", b"<c\n", b"<c\r")
# Where a `<c ...>` may be text, not a tag
_HIDING = (b"<![CDATA[", b"<!--")
_ATTRIBUTE = re.compile(rb'([\w:.-]+)="([^"]*)"')
_STYLE_NUMBER = re.compile(rb"\+?([0-9]{1,12})")  # a style index as Rust's parse reads it
_VALUE = re.compile(rb'<c [^>]*?\s[st]="(?:\s|[^"]*\s")')  # s=" 1", t="e "
_TWICE = re.compile(rb'<c [^>]*?\s([st])="[^>]*?\s\1="')  # `s` or `t` given twice
# Where a `<c ...>` may be text, not a tag
_HIDING = (b"<![CDATA[", b"<!--")
_ODD_ATTRIBUTE = re.compile(rb"<[^>]*?(?:\s=|=\s|=')")
_ATTRIBUTE_SIGNS = (b"='", b" =", b"= ", b"\t=", b"=\t", b"\n=", b"=\n", b"\r=", b"=\r")
_TYPE = re.compile(rb'\st="([^"]*)"')
_STYLE = re.compile(rb'\ss="\+?([0-9]{1,12})"')  # a number as Rust's parse reads it
_VALUE = re.compile(rb"<v(?:\s[^>]*)?>([^<]{0,64})</v>")
_REFERENCE = re.compile(r"([A-Za-z]{1,4})([0-9]{1,9})")
_BAD_REFERENCE = re.compile(rb'<c r="(?![A-Za-z]{1,4}[0-9]{1,9}")')


def style_formats(archive: zipfile.ZipFile) -> dict[int, str]:
    """Cell style index (a cell's `s`) → the number format code of each style that does not
    show numbers as General or Text; empty when the workbook has no styles part. The part is
    found through the workbook's relationships, its name in any case. Raises KeyError,
    ElementTree.ParseError or defusedxml's DefusedXmlException for a broken or hostile part."""
    path = _styles_path(archive)
    if path is None:
        return {}
    with archive.open(path) as part:
        root = ElementTree.parse(part).getroot()
    custom: dict[int, str] = {}
    # Transitional or Strict namespace alike; not the numFmts of conditional formats (dxfs)
    listed = next((e for e in root if local(e.tag) == "numFmts"), None)
    for element in listed if listed is not None else []:
        if local(element.tag) == "numFmt":
            custom[_number(element.get("numFmtId"))] = element.get("formatCode", "")
    styles: dict[int, str] = {}
    cell_xfs = next((e for e in root if local(e.tag) == "cellXfs"), None)
    xfs = [xf for xf in cell_xfs if local(xf.tag) == "xf"] if cell_xfs is not None else []
    for index, xf in enumerate(xfs):
        format_id = _number(xf.get("numFmtId", "0"))
        if format_id in _SHOWN_AS_IS and format_id not in custom:
            continue
        code = custom.get(format_id, _BUILT_IN.get(format_id, f"#{format_id}"))
        if code.casefold() not in ("general", "@"):
            styles[index] = code
    return styles


def part_name(archive: zipfile.ZipFile, path: str) -> str | None:
    """The archive's name for part `path`, matched without regard to case (OPC part names are
    case-insensitive, ECMA-376 Part 2, 6.2.2.3); None if there is none."""
    names = archive.namelist()
    if path in names:
        return path
    folded = path.casefold()
    return next((name for name in names if name.casefold() == folded), None)


def sheet_cells(open_part: Opener, styles: dict[int, str], *, name: str) -> CellCursor:
    """The cells of one sheet part shown otherwise than calamine reads them, as a cursor read
    along with the records. Two passes first (which scanner; are the rows in order), then one
    lazily. Raises ReadError (one line, naming file `name`) for a damaged or hostile part,
    OSError for a failing disk."""
    try:
        with open_part() as part:
            usual = _written_usually(part)
        scan: Scanner = _scanned if usual else _parsed
        with open_part() as part:
            disorder = _first_disorder(scan(part, styles))
    except DAMAGED as exc:
        raise damaged(exc, name) from exc
    return CellCursor(_lazily(open_part, scan, styles, name), disorder)


def damaged(exc: BaseException, name: str) -> ReadError:
    """The one-line ReadError for a part that cannot be read to check what its cells show."""
    if isinstance(exc, DefusedXmlException):
        why = "a part declares XML entities"
    else:
        why = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return ReadError(
        f"is a corrupt xlsx workbook (what its cells show cannot be checked: {why})",
        path=name,
        hint="open it in Excel and save it again",
    )


class CellCursor:
    """`sheet_cells` of one sheet, read along with its records (in increasing row order). A
    sheet whose XML holds its rows out of order raises `RowsOutOfOrder` for every row."""

    def __init__(self, rows: Iterator[Row], disorder: tuple[int, int] | None) -> None:
        self._rows, self._disorder = rows, disorder
        self._pending = next(rows, None) if disorder is None else None

    def at(self, number: int) -> dict[str, Shown]:
        """{column letters: (kind, text)} of row `number`; call with increasing numbers."""
        if self._disorder is not None:
            raise RowsOutOfOrder(*self._disorder)
        found: dict[str, Shown] = {}
        while self._pending is not None and self._pending[0] <= number:
            row, cells = self._pending
            if row == number:
                found = cells
            self._pending = next(self._rows, None)
        return found


def _lazily(open_part: Opener, scan: Scanner, styles: dict[int, str], name: str) -> Iterator[Row]:
    try:
        with open_part() as part:
            yield from scan(part, styles)
    except DAMAGED as exc:  # read whole twice before: the file changed since
        raise damaged(exc, name) from exc


def _first_disorder(rows: Iterator[Row]) -> tuple[int, int] | None:
    highest = 0
    for row, _ in rows:
        if row <= highest:
            return row, highest
        highest = row
    return None


def _written_usually(part: IO[bytes]) -> bool:
    """Whether every cell tag is `<c r="...` with attributes spelled `name="value"`, no prefix."""
    tail = b""
    while block := part.read(_BLOCK):
        text = tail + block
        cut = text.rfind(b"<")
        cut = len(text) if cut == -1 or text.find(b">", cut) != -1 else cut
        tail = text[cut:]
        if text.count(b"<c ", 0, cut) != text.count(b'<c r="', 0, cut):
            return False  # `<col>`, `<cfRule>` are other tags: counted as `<c `, `<c>`, `<c/`...
        if any(text.find(tag, 0, cut) != -1 for tag in _BARE_CELLS):
            return False
        if text.find(b":c", 0, cut) != -1 and _PREFIXED_CELL.search(text, 0, cut):
            return False
        if _UNUSUAL_CELL.search(text, 0, cut):
            return False
        if any(text.find(hiding, 0, cut) != -1 for hiding in _HIDING):
            return False
        if text.find(b"&", 0, cut) != -1 and _ENTITY_IN_TAG.search(text, 0, cut):
            return False
    return not tail.startswith(b"<c")


def _scanned(part: IO[bytes], styles: dict[int, str]) -> Iterator[Row]:
    """XML written the usual way: only the cells with a listed style or `t="e"` are matched."""
    if styles and len(styles) <= _FEW_STYLES:
        listed = "|".join(str(index) for index in sorted(styles)).encode()
        wanted = rb'\ss="\+?0*(?:' + listed + rb')"|\st="e"'
    else:
        wanted = rb'\ss="\+?[0-9]|\st="e"' if styles else rb'\st="e"'
    cell = re.compile(rb'<c r="([A-Za-z]{1,4})([0-9]{1,9})"(?=[^>]*?(?:' + wanted + rb"))([^>]*)>")
    current, tail, ended = -1, b"", False
    cells: dict[str, Shown] = {}
    while not ended:
        block = part.read(_BLOCK)
        ended = not block
        text = tail + block
        cut = len(text) if ended else _complete(text)
        tail = text[cut:]
        for match in cell.finditer(text, 0, cut):
            letters, digits, attributes = match.groups()
            shown = _shown(attributes, text, match.end(), cut, styles)
            if shown is None:
                continue
            row = int(digits)
            if row != current:
                if cells:
                    yield current, cells
                current, cells = row, {}
            cells[letters.decode().upper()] = shown
    if cells:
        yield current, cells


def _complete(text: bytes) -> int:
    """Where the cells of `text` read whole end: before the last cell if it is still open (its
    value comes with the next block), else before a tag cut by the block's end. What is carried
    over is one cell at most, never the empty rows after the last cell."""
    last = text.rfind(b"<c ")
    if last != -1:
        end = text.find(b">", last)
        if end == -1 or (text[end - 1] != ord("/") and text.find(b"</c>", end) == -1):
            return last
    cut = text.rfind(b"<")
    return len(text) if cut == -1 or text.find(b">", cut) != -1 else cut


def _shown(
    attributes: bytes, text: bytes, start: int, end: int, styles: dict[int, str]
) -> Shown | None:
    named = dict(_ATTRIBUTE.findall(attributes))  # the usual form: name="value", each once
    kind = named.get(b"t")
    if kind == b"e":
        if attributes.endswith(b"/"):
            return ("error", "")
        close = text.find(b"</c>", start, end)
        value = _VALUE.search(text, start, close if close != -1 else end)
        error = value.group(1).decode("utf-8", "replace") if value else ""
        return ("error", error)
    if kind is not None and kind != b"n":
        return None  # text, boolean or date: not a number
    style = _STYLE_NUMBER.fullmatch(named.get(b"s", b""))
    code = styles.get(int(style.group(1))) if style else None
    return ("format", code) if code is not None else None


def _parsed(part: IO[bytes], styles: dict[int, str]) -> Iterator[Row]:
    """Any spelling, through ElementTree (defused): positions follow the cells without `r`."""
    row, column = 0, -1  # 0-based column of the cell before
    current = -1
    cells: dict[str, Shown] = {}
    holder = None
    for event, element in ElementTree.iterparse(part, events=("start", "end")):
        tag = element.tag.rpartition("}")[2]
        if event == "start":
            if tag == "sheetData":
                holder = element
            elif tag == "row":
                number = element.get("r") or ""
                row, column = (int(number) if number.isdigit() else row + 1), -1
            elif tag == "c":
                match = _REFERENCE.fullmatch(element.get("r") or "")
                column = column_index(match.group(1)) if match else column + 1
                row = int(match.group(2)) if match else row
            continue
        if tag == "c":
            shown = _element_shown(element, styles)
            if shown is not None:
                if row != current:
                    if cells:
                        yield current, cells
                    current, cells = row, {}
                cells[column_letters(column)] = shown
        elif tag == "row" and holder is not None:
            holder.clear()  # memory stays one row
    if cells:
        yield current, cells


def _element_shown(element: Element, styles: dict[int, str]) -> Shown | None:
    kind = element.get("t", "n")
    if kind == "e":
        value = next((c.text for c in element if c.tag.rpartition("}")[2] == "v"), None)
        return ("error", (value or "")[:64])
    if kind != "n":
        return None
    code = styles.get(_number(element.get("s")))
    return ("format", code) if code is not None else None


def _styles_path(archive: zipfile.ZipFile) -> str | None:
    rels = part_name(archive, "xl/_rels/workbook.xml.rels")
    if rels is not None:
        for relation in ElementTree.fromstring(archive.read(rels)).iter():
            if local(relation.tag) == "Relationship" and relation.get("Type", "").endswith(
                "/styles"
            ):
                target = relation.get("Target", "")
                path = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
                found = part_name(archive, posixpath.normpath(path))
                if found is not None:
                    return found
    return part_name(archive, "xl/styles.xml")


def local(tag: str) -> str:
    """An element's name without its namespace: `{...}c` → `c` (Transitional or Strict)."""
    return tag.rpartition("}")[2]


def _number(text: str | None) -> int:
    try:
        return int(text or "")
    except ValueError:
        return -1
