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
