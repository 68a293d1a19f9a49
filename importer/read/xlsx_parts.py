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
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import IO, BinaryIO
from xml.etree.ElementTree import Element

from defusedxml import ElementTree

from importer.read.archive import ArchiveFindings
from importer.read.cell_scan import (
    DAMAGED,
    CellCursor,
    damaged,
    local,
    part_name,
    sheet_cells,
    style_formats,
)

__all__ = ["WorkbookParts", "workbook_parts"]

_CELL_REF = re.compile(r"^([A-Z]+)(\d+)$")
_SCAN_BLOCK = 1 << 20
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

    def shown_cells(self, sheet: str, name: str) -> CellCursor | None:
        """The cells of `sheet` shown otherwise than calamine reads them (a number format, an
        error), read along with its records (`cell_scan.sheet_cells`); None when the workbook
        has no such style and the archive check saw no error cell in the sheet. Raises
        ReadError when the styles or the sheet cannot be read for it (calamine could)."""
        path = self.sheet_paths.get(sheet)
        if path is None or self.source is None:
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
                part = part_name(archive, path)
            if part is None or (not self.styles and self.errors.get(path) is False):
                return None
        except DAMAGED as exc:
            raise damaged(exc, name) from exc
        finally:
            if start is not None and not isinstance(self.source, Path):
                self.source.seek(start)
        return sheet_cells(partial(_open_part, own, part), self.styles, name=name)

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
            path, workbook = _workbook(archive)
            return WorkbookParts(
                _workbook_flag(workbook, "workbookPr", "date1904"),
                _sheet_paths(archive, path, workbook),
                source,
                _workbook_flag(workbook, "calcPr", "fullCalcOnLoad"),
                formulas=dict(findings.formulas) if findings else {},
                errors=dict(findings.errors) if findings else {},
            )
    except (OSError, EOFError, zipfile.BadZipFile, KeyError, ElementTree.ParseError):
        return WorkbookParts()
    finally:
        if start is not None and not isinstance(source, Path):
            source.seek(start)


def _workbook(archive: zipfile.ZipFile) -> tuple[str, Element]:
    """The workbook part's name and root: named by the package's officeDocument relationship,
    else `xl/workbook.xml`, in any case. Raises KeyError when there is none."""
    path = "xl/workbook.xml"
    rels = part_name(archive, "_rels/.rels")
    if rels is not None:
        for relation in ElementTree.fromstring(archive.read(rels)).iter():
            kind = relation.get("Type", "")
            if local(relation.tag) == "Relationship" and kind.endswith("/officeDocument"):
                path = posixpath.normpath(relation.get("Target", "").lstrip("/")) or path
                break
    found = part_name(archive, path)
    if found is None:
        raise KeyError(path)
    return found, ElementTree.fromstring(archive.read(found))


def _workbook_flag(root: Element, element: str, flag: str) -> bool:
    found = next((e for e in root if local(e.tag) == element), None)
    return (found.get(flag, "") if found is not None else "").lower() in ("1", "true")


def _sheet_paths(archive: zipfile.ZipFile, path: str, workbook: Element) -> dict[str, str]:
    """Sheet name → its part in the archive, through the workbook's relationships (Transitional
    or Strict namespaces alike, part names in any case)."""
    folder, name = posixpath.split(path)
    rels_name = part_name(archive, posixpath.join(folder, "_rels", name + ".rels"))
    if rels_name is None:
        return {}
    rels = ElementTree.fromstring(archive.read(rels_name))
    targets = {
        r.get("Id"): r.get("Target", "") for r in rels.iter() if local(r.tag) == "Relationship"
    }
    paths = {}
    for sheet in workbook.iter():
        if local(sheet.tag) != "sheet":
            continue
        relation = next((v for k, v in sheet.attrib.items() if k.endswith("}id")), None)
        target = targets.get(relation, "")
        if target:
            whole = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            whole = posixpath.normpath(whole)
            paths[sheet.get("name", "")] = part_name(archive, whole) or whole
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


@contextmanager
def _open_part(source: Path | io.BytesIO, part: str) -> Iterator[IO[bytes]]:
    with zipfile.ZipFile(source) as archive, archive.open(part) as opened:
        yield opened


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
            parts = {local(child.tag): child for child in cell}
            if "f" not in parts:
                continue
            value = parts.get("v")
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
        tag = local(element.tag)
        if tag == "c":
            yield element
            element.clear()
        elif tag == "row":
            element.clear()
