"""What python-calamine does not tell about an .xlsx: the 1904 date system and formulas that
were saved without a value. Read straight from the workbook's zip parts (streamed, defused XML).

A workbook written by a script (openpyxl, xlsxwriter without `value=`) stores `<f>` formulas with
no cached `<v>`: Excel computes them when it opens the file, so a person sees a value, but a
reader gets nothing. Such a cell is refused on its row instead of being read as empty.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, BinaryIO
from xml.etree.ElementTree import Element

from defusedxml import ElementTree

from importer.read.archive import ArchiveFindings
from importer.read.number_formats import (
    FormatCursor,
    first_disorder,
    style_formats,
    styled_number_rows,
)

__all__ = ["WorkbookParts", "workbook_parts"]

_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")
_SCAN_BLOCK = 1 << 20
# An error cell and its shown error: `<c r="C2" t="e"><f>1/0</f><v>#DIV/0!</v></c>`
_ERROR_CELL = re.compile(
    rb'<c r="([A-Z]{1,4})([0-9]{1,9})"[^>]*?\st="e"[^>]*>(?:(?!</c>).)*?<v>([^<]{0,64})</v>',
    re.DOTALL,
)
_MAX_LISTED = 10_000  # formulas without value remembered per sheet; enough to refuse the rows


@dataclass
class WorkbookParts:
    """`date1904`: serials count from 1904-01-01 (old Mac Excel). `empty_formulas`: sheet name →
    {row number: [column letters]} of formula cells saved without a value."""

    date1904: bool = False
    sheet_paths: dict[str, str] = field(default_factory=dict)
    source: Path | BinaryIO | None = None
    # workbook.xml's calcPr fullCalcOnLoad="1": written by a script (openpyxl, xlsxwriter) and
    # never saved by Excel, whose saving drops it. Its formula values are placeholders
    # (xlsxwriter writes 0 for every formula), so no formula cell of it has a value.
    recalculate: bool = False
    # sheet → the row where `_MAX_LISTED` formula cells were listed: later rows are unchecked
    beyond: dict[str, int] = field(default_factory=dict)
    # sheet part → whether it holds a formula element, as the archive check saw while inflating
    # it (`archive.ArchiveFindings`); a part not in it is scanned here
    formulas: dict[str, bool] = field(default_factory=dict)
    errors: dict[str, bool] = field(default_factory=dict)  # the same for error cells
    # cell style index → number format of the styles that show a number otherwise than General
    styles: dict[int, str] | None = None

    def formatted_numbers(self, sheet: str) -> FormatCursor | None:
        """The styled number cells of `sheet`, read along with its records
        (`number_formats.FormatCursor`); None when the workbook has no such style."""
        path = self.sheet_paths.get(sheet)
        if path is None or self.source is None or self.styles == {}:
            return None
        start = None if isinstance(self.source, Path) else self.source.tell()
        try:
            if isinstance(self.source, Path):
                own: Path | io.BytesIO = self.source
            else:  # the caller's stream is not shared with a reader paused mid-sheet
                self.source.seek(0)
                own = io.BytesIO(self.source.read())
            with zipfile.ZipFile(own) as archive:
                if self.styles is None:
                    self.styles = style_formats(archive)
                if not self.styles:
                    return None
                with archive.open(path) as part:  # a pass first: are the rows in order?
                    disorder = first_disorder(styled_number_rows(part, self.styles))
        except (OSError, EOFError, zipfile.BadZipFile, KeyError, ElementTree.ParseError):
            return None  # calamine read the workbook; these extra checks never stop the run
        finally:
            if start is not None and not isinstance(self.source, Path):
                self.source.seek(start)
        return FormatCursor(_styled_rows(own, path, self.styles), disorder)

    def error_cells(self, sheet: str) -> tuple[dict[int, dict[str, str]], int | None]:
        """Cells holding an error (`#N/A`, `#DIV/0!`: `t="e"`), which python-calamine reads as
        empty: row number → {column letters: the error}, and the row where `_MAX_LISTED` were
        listed (None if all); nothing if the sheet cannot be read."""
        path = self.sheet_paths.get(sheet)
        if path is None or self.source is None or self.errors.get(path) is False:
            return {}, None
        start = None if isinstance(self.source, Path) else self.source.tell()
        try:
            with zipfile.ZipFile(self.source) as archive, archive.open(path) as part:
                return _error_cells(part)
        except (OSError, EOFError, zipfile.BadZipFile, KeyError):
            return {}, None  # calamine read the sheet; these extra checks never stop the run
        finally:
            if start is not None and not isinstance(self.source, Path):
                self.source.seek(start)

    def empty_formulas(self, sheet: str) -> dict[int, list[str]]:
        path = self.sheet_paths.get(sheet)
        if path is None or self.source is None or self.formulas.get(path) is False:
            return {}
        start = None if isinstance(self.source, Path) else self.source.tell()
        try:
            with zipfile.ZipFile(self.source) as archive:
                if path not in self.formulas and not _mentions_formula(archive, path):
                    return {}
                found = _formulas_without_value(archive, path, self.recalculate)
        except (OSError, EOFError, zipfile.BadZipFile, KeyError, ElementTree.ParseError):
            return {}  # calamine read the sheet; these extra checks never stop the run
        finally:
            if start is not None and not isinstance(self.source, Path):
                self.source.seek(start)
        if sum(map(len, found.values())) >= _MAX_LISTED:
            self.beyond[sheet] = max(found)
        return found


def workbook_parts(
    source: Path | BinaryIO, findings: ArchiveFindings | None = None
) -> WorkbookParts:
    """The date system and sheet part paths of an .xlsx; a default (1900, none) if unreadable.
    `findings`: what the archive check of this workbook saw, if it was checked."""
    start = None if isinstance(source, Path) else source.tell()
    try:
        with zipfile.ZipFile(source) as archive:
            return WorkbookParts(
                _is_1904(archive),
                _sheet_paths(archive),
                source,
                _recalculates(archive),
                formulas=dict(findings.formulas) if findings else {},
                errors=dict(findings.errors) if findings else {},
            )
    except (OSError, EOFError, zipfile.BadZipFile, KeyError, ElementTree.ParseError):
        return WorkbookParts()
    finally:
        if start is not None and not isinstance(source, Path):
            source.seek(start)


def _is_1904(archive: zipfile.ZipFile) -> bool:
    root = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    properties = root.find(f"{_MAIN}workbookPr")
    flag = "" if properties is None else properties.get("date1904", "")
    return flag.lower() in ("1", "true")


def _recalculates(archive: zipfile.ZipFile) -> bool:
    root = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    properties = root.find(f"{_MAIN}calcPr")
    flag = "" if properties is None else properties.get("fullCalcOnLoad", "")
    return flag.lower() in ("1", "true")


def _sheet_paths(archive: zipfile.ZipFile) -> dict[str, str]:
    workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{_PKG_REL}Relationship")}
    paths = {}
    for sheet in workbook.iter(f"{_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_REL}id"), "")
        if target:
            path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
            paths[sheet.get("name", "")] = posixpath.normpath(path)
    return paths


def _mentions_formula(archive: zipfile.ZipFile, path: str) -> bool:
    """A cheap pass before parsing: most sheets hold no `<f>` element at all."""
    tail = b""
    with archive.open(path) as part:
        while block := part.read(_SCAN_BLOCK):
            window = tail + block
            if b"<f>" in window or b"<f " in window or b":f>" in window or b":f " in window:
                return True
            tail = block[-3:]
    return False


def _styled_rows(
    source: Path | io.BytesIO, path: str, styles: dict[int, str]
) -> Iterator[tuple[int, dict[str, str]]]:
    try:
        with zipfile.ZipFile(source) as archive, archive.open(path) as part:
            yield from styled_number_rows(part, styles)
    except (OSError, EOFError, zipfile.BadZipFile, KeyError):
        return  # calamine read the sheet; these extra checks never stop the run


def _error_cells(part: IO[bytes]) -> tuple[dict[int, dict[str, str]], int | None]:
    found: dict[int, dict[str, str]] = {}
    listed, tail = 0, b""
    while block := part.read(_SCAN_BLOCK):
        text = tail + block
        cut = text.rfind(b"<c ")  # the last cell may be cut: read it with the next block
        cut = len(text) if cut == -1 else cut
        tail = text[cut:]
        for letters, digits, value in _ERROR_CELL.findall(text, 0, cut):
            row = found.setdefault(int(digits), {})
            row[letters.decode()] = value.decode("utf-8", "replace") or "an error"
            listed += 1
            if listed >= _MAX_LISTED:
                return found, int(digits)
    for letters, digits, value in _ERROR_CELL.findall(tail):
        found.setdefault(int(digits), {})[letters.decode()] = value.decode("utf-8", "replace")
    return found, None


def _formulas_without_value(
    archive: zipfile.ZipFile, path: str, recalculate: bool = False
) -> dict[int, list[str]]:
    """Formula cells with no value: no `<v>`, or an empty one that is not text (Excel saves a
    formula that came out as "" as t="str" with an empty `<v>`: that is a value). With
    `recalculate`, every formula cell: its saved value is a placeholder."""
    found: dict[int, list[str]] = {}
    listed = 0
    with archive.open(path) as part:
        for cell in _cells(part):
            if cell.find(f"{_MAIN}f") is None:
                continue
            value = cell.find(f"{_MAIN}v")
            empty = value is None or (not (value.text or "") and cell.get("t") != "str")
            if recalculate or empty:
                match = _CELL_REF.match(cell.get("r", ""))
                if match:
                    found.setdefault(int(match.group(2)), []).append(match.group(1))
                    listed += 1
                    if listed >= _MAX_LISTED:
                        break
    return found


def _cells(part: IO[bytes]) -> Iterator[Element]:
    for _event, element in ElementTree.iterparse(part, events=("end",)):
        if element.tag == f"{_MAIN}c":
            yield element
            element.clear()
        elif element.tag == f"{_MAIN}row":
            element.clear()
