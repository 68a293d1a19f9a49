"""Cells a workbook shows otherwise than python-calamine reads them (docs/cells.md): `25%`
holding 0.25 is never sent as 0.25, `#N/A` never as an empty cell; the row is refused, naming
the cell, what it shows and what it holds."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from importer.read import read_rows
from importer.read.cell_scan import style_formats
from importer.read.number_formats import shown_number

# (value, number format, refused): openpyxl writes each as a number cell with its style
CELLS = [
    (0.25, "0%", True),  # shows 25%
    (1200, "#,##0", True),  # shows 1,200
    (12, "#,##0", False),  # shows 12, as General
    (1.25, "0.00", False),
    (1.5, "0.00", True),  # shows 1.50
    (1200, '"$"#,##0.00', True),  # a format not reproduced
    (datetime(2024, 3, 1), "dd/mm/yyyy", False),  # calamine reads a date: not a number
    (17, "0", False),
    (2.675, "0.00", True),  # shows 2.68
    ("text", "0%", False),  # a text cell keeps its text whatever its style
    (0.1234, "0.00%", True),
    (45000, "General", False),
    (0.5, "# ?/?", True),  # a fraction: not reproduced
]


def _book(path: Path, cells: list[tuple[object, str, bool]] = CELLS) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Ref", "Title", "Amount"])
    for row, (value, code, _) in enumerate(cells, start=2):
        ws.append([f"R-{row}", "t", value])
        ws.cell(row, 3).number_format = code
    wb.save(path)
    return path


def test_a_number_shown_otherwise_than_general_refuses_its_row_and_no_other(tmp_path):
    (chunk,) = read_rows(_book(tmp_path / "n.xlsx"))
    refused = {row for row, (_, _, refuse) in enumerate(CELLS, start=2) if refuse}
    assert set(chunk.row_errors) == refused
    (error,) = chunk.row_errors[2]
    assert error.column == "Amount"
    assert error.message.startswith(
        "cell C2 shows 25% (number format '0%') but holds the number 0.25; a cell is sent as it "
        "shows or not at all: format the column as General"
    )
    (money,) = chunk.row_errors[7]
    assert money.message.startswith(
        "cell C7 holds the number 1200 shown in number format '\"$\"#,##0.00', not reproduced"
    )
    assert chunk.frame.loc[4, "Amount"] == 12 and chunk.frame.loc[9, "Amount"] == 17


def test_a_number_cell_whose_type_comes_before_its_style_is_seen_too(tmp_path):
    plain = _book(tmp_path / "p.xlsx", [(0.25, "0%", True)])
    path = tmp_path / "t.xlsx"
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(rb'<c r="C2" s="(\d+)" t="n">', rb'<c r="C2" t="n" s="\1">', data)
                assert b't="n" s="' in data
            zout.writestr(item, data)
    (chunk,) = read_rows(path)
    assert set(chunk.row_errors) == {2}


def test_a_workbook_read_from_a_stream_is_checked_the_same(tmp_path):
    from importer.read.sheets import rows_from_file

    data = _book(tmp_path / "s.xlsx").read_bytes()
    (chunk,) = rows_from_file(io.BytesIO(data), name="s.xlsx", format="xlsx")
    assert set(chunk.row_errors) == {r for r, (_, _, x) in enumerate(CELLS, start=2) if x}


def test_a_sheet_of_many_dated_and_numbered_cells_is_read_along_without_refusals(tmp_path):
    # Date cells are number cells with a style: a listing of them (capped) refused every row
    # past the cap. They are read along with the records now, a block of XML at a time.
    import xlsxwriter

    path = tmp_path / "many.xlsx"
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet()
    when, whole = (
        book.add_format({"num_format": "dd/mm/yyyy hh:mm"}),
        book.add_format({"num_format": "0"}),
    )
    sheet.write_row(0, 0, ["Ref", "When", "Count"])
    for row in range(1, 30_001):
        sheet.write_string(row, 0, f"R-{row}")
        sheet.write_datetime(row, 1, datetime(2020, 1, 1), when)
        sheet.write_number(row, 2, row, whole)
    sheet.write_number(30_001, 2, 0.5, whole)  # shows 1
    book.close()
    rows = 0
    for chunk in read_rows(path):
        rows += len(chunk.frame)
        refused = set(chunk.row_errors)
        assert refused <= {30_002}
    assert rows == 30_001 and refused == {30_002}
    assert chunk.row_errors[30_002][0].message.startswith("cell C30002 shows 1 (number format")


def test_a_sheet_whose_xml_holds_styled_rows_out_of_order_is_refused(tmp_path):
    # Calamine places cells by their reference; read along, a styled cell in a row the XML holds
    # after a later row could not be checked before its row was read.
    cells = [(1200, "#,##0", True), (5, "#,##0", False), (7, "#,##0", False)]
    plain = _book(tmp_path / "o.xlsx", cells)
    data = zipfile.ZipFile(plain).read("xl/worksheets/sheet1.xml")
    rows = re.findall(rb'<row r="\d+".*?</row>', data)
    swapped = data.replace(rows[1] + rows[2], rows[2] + rows[1])
    (chunk,) = read_rows(_rewritten(plain, swapped))
    assert set(chunk.row_errors) == {2, 3, 4}
    (error,) = chunk.row_errors[3]
    assert error.message.startswith(
        "the sheet's XML holds its rows out of order (row 2 after row 3)"
    )


@pytest.mark.parametrize(
    ("code", "value", "shown"),
    [
        ("0", 0.5, "1"),  # halves away from zero, as Excel rounds
        ("0", -0.5, "-1"),
        ("0", 2.5, "3"),
        ("0", 17, "17"),
        ("0.00", 2.675, "2.68"),  # the 15-digit value Excel shows, not the binary 2.67499...
        ("0.0", -0.001, "0.0"),  # no minus sign on a zero
        ("#,##0.00", 1234567.891, "1,234,567.89"),
        ("#,##0", -1200, "-1,200"),
        ("0%", 0.001, "0%"),
        ("0.00%", 0.1234, "12.34%"),
        ("0.000", 0.1 + 0.2, "0.300"),
        ("0.00", 1e21, "1000000000000000000000.00"),
        ("# ?/?", 0.5, None),
        ('"$"#,##0', 1, None),
        ("0.00E+00", 1200, None),
        ("[Red]0.00", 1, None),
        ("0;-0", 1, None),
    ],
)
def test_the_simple_formats_are_shown_as_excel_shows_them(code, value, shown):
    assert shown_number(code, value) == shown


def test_cell_styles_map_to_their_number_formats_and_general_and_text_are_left_out():
    styles = (
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<numFmts><numFmt numFmtId="164" formatCode="0.0%"/><numFmt numFmtId="3" '
        'formatCode="General"/></numFmts>'
        '<cellStyleXfs><xf numFmtId="10"/></cellStyleXfs>'
        '<cellXfs><xf numFmtId="0"/><xf numFmtId="164"/><xf numFmtId="49"/><xf numFmtId="9"/>'
        '<xf numFmtId="3"/><xf numFmtId="7"/><xf/></cellXfs></styleSheet>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/styles.xml", styles)
    with zipfile.ZipFile(buffer) as archive:
        # a custom code overrides a built-in id; ids 5-8 depend on the locale: kept by number
        assert style_formats(archive) == {1: "0.0%", 3: "0%", 5: "#7"}
    with zipfile.ZipFile(io.BytesIO(), "w") as empty:
        assert style_formats(empty) == {}


def _errors_book(path: Path, rows: int = 3) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Ref", "Title", "Amount"])
    for row in range(2, rows + 2):
        ws.append([f"R-{row}", "t", "#N/A" if row % 2 == 0 else 5])
    ws["B3"] = "=1/0"
    wb.save(path)
    data = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    assert b'<c r="C2" t="e"><v>#N/A</v></c>' in data
    # the cached error result of a formula, as Excel saves it
    patched = data.replace(
        b'<c r="B3"><f>1/0</f><v /></c>', b'<c r="B3" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
    )
    assert patched != data
    return _rewritten(path, patched)


def _rewritten(path: Path, sheet: bytes) -> Path:
    out = path.with_name("patched-" + path.name)
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, sheet if item.filename == "xl/worksheets/sheet1.xml" else data)
    return out


def test_a_cell_showing_an_error_refuses_its_row_instead_of_reading_as_empty(tmp_path):
    (chunk,) = read_rows(_errors_book(tmp_path / "e.xlsx"))
    assert set(chunk.row_errors) == {2, 3, 4}
    (na,) = chunk.row_errors[2]
    assert na.column == "Amount"
    assert na.message == (
        "cell C2 shows the error #N/A, which reads as an empty cell; correct the formula or "
        "clear the cell in Excel"
    )
    # openpyxl asks Excel to recalculate on opening: the formula is refused as such too
    (division,) = [e for e in chunk.row_errors[3] if "shows the error" in e.message]
    assert division.column == "Title" and "cell B3 shows the error #DIV/0!" in division.message


def test_error_cells_cut_by_the_scan_blocks_are_found(tmp_path, monkeypatch):
    from importer.read import cell_scan

    monkeypatch.setattr(cell_scan, "_BLOCK", 7)
    (chunk,) = read_rows(_errors_book(tmp_path / "e.xlsx", rows=6))
    assert {2, 3, 4, 6} <= set(chunk.row_errors)
    assert all("shows the error" in e.message for e in chunk.row_errors[6])


def test_the_archive_check_says_which_sheets_hold_an_error_cell(tmp_path):
    from importer.read.archive import check_archive
    from importer.read.limits import ReadLimits

    with _errors_book(tmp_path / "e.xlsx").open("rb") as fp:
        errors = check_archive(fp, name="e.xlsx", limits=ReadLimits()).errors
    with _book(tmp_path / "n.xlsx").open("rb") as fp:
        none = check_archive(fp, name="n.xlsx", limits=ReadLimits()).errors
    assert list(errors.values()) == [True] and list(none.values()) == [False]


def test_a_duration_cell_refuses_its_row_instead_of_sending_pythons_text(tmp_path):
    # calamine reads [h]:mm as a time span; its Python text ("1 day, 12:00:00") is not what
    # Excel shows (36:00)
    from datetime import timedelta

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Ref", "Title", "Amount"])
    ws.append(["R-2", "t", timedelta(hours=36)])
    ws.cell(2, 3).number_format = "[h]:mm"
    ws.append(["R-3", "t", 5])
    path = tmp_path / "d.xlsx"
    wb.save(path)
    (chunk,) = read_rows(path)
    assert set(chunk.row_errors) == {2}
    (error,) = chunk.row_errors[2]
    assert error.column == "Amount"
    assert error.message.startswith("cell C2 holds a duration (1 day, 12:00:00), which Excel")
