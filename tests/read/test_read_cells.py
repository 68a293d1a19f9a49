"""The reader's side of docs/cells.md: refused rows, numbered copies, merges, formulas, hidden
sheets, the 1904 date system, encodings and Excel's `sep=` line — on the committed fixtures."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest

from importer.errors import ReadError
from importer.read import read_rows
from importer.read.delimited import detect_encoding
from importer.read.sheets import rows_from_file

CELLS = Path(__file__).resolve().parents[1] / "fixtures" / "cells"


def _one(name: str, **options: object):
    chunks = list(read_rows(CELLS / name, **options))  # type: ignore[arg-type]
    return chunks


def test_a_row_wider_than_its_header_is_refused_naming_the_extra_cells():
    (chunk,) = _one("wide.csv")
    assert list(chunk.frame.columns) == ["Ref", "Title", "Records", "Occurred", "Column E"]
    assert set(chunk.row_errors) == {2}  # W-3 ends in empty cells: nothing shifted
    (error,) = chunk.row_errors[2]
    assert "1 cell(s) right of the header's last column: E '2024-01-02'" in error.message


def test_every_copy_of_a_repeated_header_is_numbered():
    (chunk,) = _one("repeated.csv")
    assert list(chunk.frame.columns) == [
        "Ref",
        "Title",
        "Country (1)",
        "Country (2)",
        "Country (3)",
    ]


def test_merged_cells_formulas_and_hidden_sheets():
    log, old = _one("workbook_cells.xlsx")
    assert log.frame["Occurred"].tolist()[:2] == [date(2024, 5, 6), date(2024, 5, 6)]  # merge down
    assert [e.message.split(" span")[0] for e in log.row_errors[4]] == ["merged cells A4:B4"]
    (formula,) = log.row_errors[5]
    assert formula.column == "Title"
    assert formula.message.startswith("cell B5 is a formula saved without its value")
    assert set(log.row_errors) == {4, 5}
    assert (log.hidden, old.hidden, old.sheet) == (False, True, "Old")


def test_a_hidden_sheet_named_is_read_as_any_other():
    (old,) = _one("workbook_cells.xlsx", sheets=["old"])
    assert not old.hidden
    assert old.frame["Title"].tolist() == ["Archived row"]


def test_the_1904_date_system_is_flagged_for_the_mapping():
    (chunk,) = _one("serials_1904.xlsx")
    assert chunk.date1904
    assert chunk.frame["Occurred"].tolist()[0] == 44195  # the serial stays a number
    (plain,) = _one("ids.xlsx")
    assert not plain.date1904


@pytest.mark.parametrize(
    ("text", "encoding"),
    [
        ("Popis\nPřístup k údajům zaměstnanců\n", "cp1250"),  # Czech
        ("Opis\nŁódź, zażółć gęślą jaźń\n", "cp1250"),  # Polish
        ("Nom\nÉvénement à Zürich, « urgent »\nFrançois Lefèvre\n", "cp1252"),  # French
        ("Name\nJürgen Groß, Åsa Öberg, Malmö\n", "cp1252"),  # German, Swedish
        ("Nombre\nJosé Peña, Málaga, Coruña\n", "cp1252"),  # Spanish
        ("Nome\nPerché no, città, più\n", "cp1252"),  # Italian
    ],
    ids=["czech", "polish", "french", "german-swedish", "spanish", "italian"],
)
def test_central_european_text_is_told_from_western(text, encoding):
    assert detect_encoding(text.encode(encoding)) == encoding


def test_an_encoding_given_overrides_detection_and_an_unknown_one_is_a_read_error():
    (chunk,) = _one("hungarian.csv")
    assert chunk.frame["Ref"].tolist() == ["H-1"]
    assert chunk.frame.iloc[0, 1] == "Õrzõ"  # a tie stays cp1252: the user must say
    (chunk,) = _one("hungarian.csv", encoding="cp1250")
    assert chunk.frame.iloc[0, 1] == "Őrző"
    with pytest.raises(ReadError, match="unknown encoding 'klingon'"):
        list(read_rows(CELLS / "hungarian.csv", encoding="klingon"))


def test_excels_sep_line_names_the_delimiter_and_is_not_a_row():
    (chunk,) = _one("sep_line.csv")
    assert list(chunk.frame.columns) == ["Ref", "Title", "Records"]
    assert chunk.frame.loc[2].tolist() == ["P-1", "Comma, kept", "1,5"]
    data = "\ufeffsep=,\nA;B,C\n".encode()
    (chunk,) = rows_from_file(io.BytesIO(data), name="bom.csv", format="csv")
    assert list(chunk.frame.columns) == ["A;B", "C"]


def _merged_book(path: Path, merge: str, rows: list[list[object]]) -> Path:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "S"
    for row in rows:
        ws.append(row)
    ws.merge_cells(merge)
    wb.save(path)
    return path


def test_a_header_cell_merged_down_over_data_rows_refuses_them(tmp_path):
    # Excel shows 'Ref' as one tall header cell: row 2 has no Ref, it must not get 'Ref' as one.
    rows = [["Ref", "Title"], [None, "second"], [None, "third"], ["R-4", "fourth"]]
    (chunk,) = read_rows(_merged_book(tmp_path / "h.xlsx", "A1:A3", rows))
    assert chunk.frame["Ref"].tolist()[:2] != ["Ref", "Ref"]
    assert set(chunk.row_errors) == {2, 3}
    assert chunk.row_errors[2][0].message.startswith("merged cells A1:A3 join the header row")
    assert chunk.frame.loc[4, "Ref"] == "R-4"


def test_rows_under_a_merged_formula_without_value_are_refused_too(tmp_path):
    rows = [["Ref", "Title", "Details"], ["R-2", "t", "=CONCAT(B2, B3)"], ["R-3", "u", None]]
    (chunk,) = read_rows(_merged_book(tmp_path / "f.xlsx", "C2:C3", rows))
    assert set(chunk.row_errors) == {2, 3}
    (error,) = chunk.row_errors[3]
    assert error.message.startswith("cell C2 is a formula saved without its value")
    assert error.column == "Details"


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be", "utf_16_le", "utf-32-le"])
def test_an_encoding_given_reads_wide_text_without_a_byte_order_mark(encoding):
    data = "Ref,Title\nR-1,Zürich\n".encode(encoding)
    (chunk,) = rows_from_file(io.BytesIO(data), name="wide.csv", format="csv", encoding=encoding)
    assert chunk.frame.loc[2].tolist() == ["R-1", "Zürich"]


def test_wide_text_without_a_byte_order_mark_is_refused_with_the_option_to_give():
    data = "Ref,Title\nR-1,Zürich\n".encode("utf-16-le")
    with pytest.raises(ReadError, match="NUL bytes") as refused:
        list(rows_from_file(io.BytesIO(data), name="wide.csv", format="csv"))
    assert "--encoding utf-16-le" in str(refused.value.hint)


@pytest.mark.parametrize(
    ("codec", "given"),
    [("utf-8-sig", "utf-8"), ("utf-16", "utf-16-le"), ("utf-16", "utf-16"), ("utf-32", "utf-32")],
)
def test_an_encoding_given_does_not_read_the_byte_order_mark_as_text(codec, given):
    data = "Ref,Title\nR-1,Zürich\n".encode(codec)  # Excel's "CSV UTF-8" starts with a BOM
    (chunk,) = rows_from_file(io.BytesIO(data), name="bom.csv", format="csv", encoding=given)
    assert list(chunk.frame.columns) == ["Ref", "Title"]
    assert chunk.frame.loc[2].tolist() == ["R-1", "Zürich"]


def _patched_book(path: Path, cells: dict[str, str], *, recalc: bool) -> Path:
    """A workbook whose formula cells carry the cached values Excel (or xlsxwriter) writes:
    `cells` maps a reference to its whole `<c>` element; `recalc` keeps openpyxl's
    fullCalcOnLoad="1" (a file written by a script), else drops it as Excel does on saving."""
    import re
    import zipfile

    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "S"
    ws.append(["Ref", "Title", "Details"])
    for row in range(2, 4):
        ws.append([f"R-{row}", "t", f"=A{row}"])
    plain = path.with_suffix(".plain.xlsx")
    wb.save(plain)
    with zipfile.ZipFile(plain) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename).decode()
            if item.filename == "xl/worksheets/sheet1.xml":
                for ref, element in cells.items():
                    data = re.sub(rf'<c r="{ref}"[^>]*>.*?</c>', element, data)
            if item.filename == "xl/workbook.xml" and not recalc:
                data = data.replace(' fullCalcOnLoad="1"', "")
            zout.writestr(item, data)
    return path


def test_a_formula_whose_saved_value_is_empty_text_is_read_as_empty(tmp_path):
    # Excel saves =IF(...,"",...) that came out empty as t="str" with an empty <v>: a value.
    cells = {"C2": '<c r="C2" t="str"><f>IF(A2="x","y","")</f><v></v></c>'}
    (chunk,) = read_rows(_patched_book(tmp_path / "e.xlsx", cells, recalc=False))
    assert 2 not in chunk.row_errors
    assert chunk.frame.loc[2, "Details"] is None


def test_formula_values_of_a_workbook_excel_never_calculated_are_refused(tmp_path):
    # xlsxwriter stores 0 as every formula's value and asks Excel to recalculate on opening
    # (fullCalcOnLoad): the 0 is a placeholder, not what a person sees.
    cells = {
        "C2": '<c r="C2"><f>A2</f><v>0</v></c>',
        "C3": '<c r="C3" t="str"><f>A3</f><v>R-3</v></c>',
    }
    (chunk,) = read_rows(_patched_book(tmp_path / "x.xlsx", cells, recalc=True))
    assert set(chunk.row_errors) == {2, 3}
    assert chunk.row_errors[2][0].message.startswith("cell C2 is a formula saved without")
    (chunk,) = read_rows(_patched_book(tmp_path / "y.xlsx", cells, recalc=False))
    assert not chunk.row_errors  # saved by Excel: the cached values are what it shows
    assert chunk.frame["Details"].tolist() == [0, "R-3"]


def test_rows_past_the_formulas_a_sheet_can_list_are_refused(tmp_path, monkeypatch):
    from importer.read import xlsx_parts

    monkeypatch.setattr(xlsx_parts, "_MAX_LISTED", 1)
    cells = {"C2": '<c r="C2"><f>A2</f></c>', "C3": '<c r="C3"><f>A3</f></c>'}
    (chunk,) = read_rows(_patched_book(tmp_path / "m.xlsx", cells, recalc=False))
    assert chunk.row_errors[2][0].message.startswith("cell C2 is a formula saved without")
    (error,) = chunk.row_errors[3]  # never listed, still refused
    assert error.message.startswith("the sheet has too many formula cells without a value")


def test_a_csv_row_narrower_than_its_header_is_refused_naming_the_missing_cells():
    # 1,a,2024-01-01 under Ref,Title,Details,Occurred: the date would be sent as Details.
    data = b"Ref,Title,Details,Occurred\n1,a,2024-01-01\n2,b,,\n3,c,x,2024-01-03\n4,d\n"
    (chunk,) = rows_from_file(io.BytesIO(data), name="short.csv", format="csv")
    assert set(chunk.row_errors) == {2, 5}
    (error,) = chunk.row_errors[2]
    assert error.message == (
        "the row has 3 cell(s), the header 4: no cell under 'Occurred'; cells may have shifted "
        "left (a missing separator?); write the missing separators, even for empty cells"
    )
    assert "no cell under 'Details', 'Occurred'" in chunk.row_errors[5][0].message
    assert chunk.frame.loc[2].tolist() == ["1", "a", "2024-01-01", None]  # kept for failed_rows


def test_a_workbook_row_with_empty_trailing_cells_is_not_narrow(tmp_path):
    rows = [["Ref", "Title", "Details"], ["R-2", "t"], ["R-3", "u"], ["R-4", "v"]]
    (chunk,) = read_rows(_merged_book(tmp_path / "n.xlsx", "A10:A11", rows))
    assert not chunk.row_errors
