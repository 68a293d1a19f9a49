"""The reader's API: XLSX sheets and cell types, chunking, format detection, bad files."""

from __future__ import annotations

import csv
import datetime as dt
import gc
import io
import shutil
from pathlib import Path
from typing import Any

import pytest
from python_calamine import (
    CalamineError,
    PasswordError,
    WorksheetNotFound,
    XmlError,
    ZipError,
)

from importer.errors import ReadError
from importer.read.sheets import list_sheets, read_rows, rows_from_file, to_read_error
from importer.read.workbook import OLE2_MAGIC
from importer.rows import SheetChunk

FIXTURES = Path(__file__).parents[1] / "fixtures"
TWO_SHEETS = FIXTURES / "two_sheets.xlsx"


def rows(chunks: Any) -> list[tuple[str | None, int, dict[str, Any]]]:
    """Every row as (sheet, row number, {column: cell}), None cells left out."""
    return [
        (
            chunk.sheet,
            int(number),
            {k: v for k, v in zip(chunk.frame.columns, values, strict=True) if v is not None},
        )
        for chunk in chunks
        for number, values in zip(
            chunk.frame.index, chunk.frame.itertuples(index=False), strict=True
        )
    ]


# --- xlsx -----------------------------------------------------------------------------------


def test_xlsx_cells_keep_their_types_and_rows_their_sheet_numbers():
    incidents = [r for r in rows(read_rows(TWO_SHEETS)) if r[0] == "Incidents"]
    assert incidents == [
        (
            "Incidents",
            2,
            {
                "Name": "Laptop stolen",
                "Type": "Loss",
                "Occurred": dt.datetime(2024, 3, 1, 14, 30),
                "Discovered": dt.date(2024, 3, 2),
                "Affected": 120,
                "Notify": True,
                "Cost": 1999.99,
                "Twice": 240,  # a formula: the value Excel cached
            },
        ),
        # the uncached formula in Twice is None
        (
            "Incidents",
            3,
            {
                "Name": "Phishing e-mail",
                "Type": "Phishing",
                "Occurred": dt.date(2024, 3, 5),
                "Affected": 3,
                "Notify": False,
                "Cost": 0.5,
            },
        ),
        # row 4 is empty; the #DIV/0! error cell of row 5 reads as empty
        ("Incidents", 5, {"Name": "Misdirected letter", "Type": "Other"}),
        ("Incidents", 6, {"Name": "  Spaces kept  ", "Type": "0042"}),
    ]


def test_whole_numbers_are_int_and_dates_are_not_strings():
    (incidents, _archive) = read_rows(TWO_SHEETS)
    frame = incidents.frame
    assert type(frame.loc[2, "Affected"]) is int
    assert type(frame.loc[2, "Occurred"]) is dt.datetime
    assert type(frame.loc[2, "Discovered"]) is dt.date
    assert set(map(str, frame.dtypes)) == {"object"}


def test_sheet_with_data_away_from_a1_keeps_excel_row_numbers_and_column_letters():
    (chunk,) = read_rows(TWO_SHEETS, sheets=["Archive 2023"])
    assert chunk.sheet == "Archive 2023"
    # header in B3:D3, a value under the blank header E3, an empty row 5
    assert list(chunk.frame.columns) == ["Name (1)", "Occurred", "Name (2)", "Column E"]
    assert chunk.frame.index.tolist() == [4, 6]
    assert list(chunk.frame.loc[4]) == ["Old", dt.date(2023, 5, 1), "x", "y"]


def test_all_sheets_in_workbook_order_by_default():
    assert [c.sheet for c in read_rows(TWO_SHEETS)] == ["Incidents", "Archive 2023"]


def test_sheets_in_the_order_asked_and_names_matched_case_insensitively():
    chunks = read_rows(TWO_SHEETS, sheets=["archive 2023", "Incidents"])
    assert [c.sheet for c in chunks] == ["Archive 2023", "Incidents"]


def test_a_sheet_named_twice_is_read_once():
    chunks = read_rows(TWO_SHEETS, sheets=["Incidents", "INCIDENTS"])
    assert [c.sheet for c in chunks] == ["Incidents"]


def test_sheets_are_ignored_for_csv():
    assert len(rows(read_rows(FIXTURES / "utf8.csv", sheets=["Incidents"]))) == 2


def test_unknown_sheet_names_the_sheets_that_exist():
    with pytest.raises(ReadError) as caught:
        list(read_rows(TWO_SHEETS, sheets=["Incidents", "2024"]))
    assert str(caught.value) == (
        f"{TWO_SHEETS}: no sheet named '2024'; the workbook has: 'Incidents', 'Archive 2023'"
    )


def test_empty_sheets_are_skipped_header_only_gives_an_empty_chunk_hidden_ones_are_read():
    chunks = list(read_rows(FIXTURES / "odd_sheets.xlsx"))
    assert [(c.sheet, list(c.frame.columns), len(c.frame)) for c in chunks] == [
        ("Header only", ["Name", "Type"], 0),
        ("Lists", ["Type"], 1),
    ]


def test_an_empty_sheet_asked_for_by_name_is_an_error():
    with pytest.raises(ReadError, match=r"sheet 'Empty' is empty: no header row"):
        list(read_rows(FIXTURES / "odd_sheets.xlsx", sheets=["Empty"]))


def test_list_sheets():
    assert list_sheets(TWO_SHEETS) == ["Incidents", "Archive 2023"]
    assert list_sheets(FIXTURES / "odd_sheets.xlsx") == ["Empty", "Header only", "Lists"]
    assert list_sheets(FIXTURES / "utf8.csv") == []


def test_xlsx_from_a_file_object_reads_like_the_path():
    with TWO_SHEETS.open("rb") as fp:
        from_fp = rows(rows_from_file(fp, name=str(TWO_SHEETS), format="xlsx"))
    assert from_fp == rows(read_rows(TWO_SHEETS))


# --- chunking -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["two_sheets.xlsx", "quoted.csv", "blank_lines.csv", "ragged.csv"])
def test_small_chunks_hold_the_same_rows_as_one_big_chunk(name):
    small = list(read_rows(FIXTURES / name, chunk_size=2))
    assert all(len(chunk.frame) <= 2 for chunk in small)
    assert rows(small) == rows(read_rows(FIXTURES / name, chunk_size=10_000))


def test_chunks_are_full_except_the_last_of_each_sheet(tmp_path):
    path = tmp_path / "many.csv"
    path.write_text("Name\n" + "".join(f"r{n}\n" for n in range(7)))
    chunks = list(read_rows(path, chunk_size=3))
    assert [c.frame.index.tolist() for c in chunks] == [[2, 3, 4], [5, 6, 7], [8]]


def test_chunk_size_must_be_positive():
    with pytest.raises(ValueError, match="chunk_size"):
        read_rows(TWO_SHEETS, chunk_size=0)


def test_abandoning_the_stream_closes_the_file():
    # pytest turns an unclosed-file ResourceWarning into an error (filterwarnings = error)
    chunks = read_rows(FIXTURES / "utf8_late_invalid.csv", chunk_size=10)
    next(chunks)
    del chunks
    gc.collect()


# --- format detection -----------------------------------------------------------------------


def test_a_workbook_without_extension_is_read_as_xlsx(tmp_path):
    path = tmp_path / "export"
    shutil.copy(TWO_SHEETS, path)
    assert [c.sheet for c in read_rows(path)] == ["Incidents", "Archive 2023"]


def test_text_with_an_unknown_extension_is_read_as_csv(tmp_path):
    path = tmp_path / "export.dat"
    path.write_bytes(b"Name;Type\nA;B\n")
    assert rows(read_rows(path)) == [(None, 2, {"Name": "A", "Type": "B"})]


# --- bad files: one-line ReadError ----------------------------------------------------------


def _copy(name: str, as_name: str):
    def make(tmp_path: Path) -> Path:
        target = tmp_path / as_name
        shutil.copy(FIXTURES / name, target)
        return target

    return make


BAD_FILES = [
    ("missing", lambda tmp: tmp / "nope.csv", "file not found"),
    ("directory", lambda tmp: tmp, "is a directory, not a file"),
    ("empty-csv", lambda tmp: FIXTURES / "empty.csv", "empty file: no header row"),
    ("blank-lines-only", lambda tmp: FIXTURES / "blank_lines_only.csv", "empty file: no header"),
    ("random-bytes-xlsx", lambda tmp: FIXTURES / "not_a_sheet.xlsx", "not an xlsx workbook"),
    ("truncated-xlsx", lambda tmp: FIXTURES / "truncated.xlsx", "broken zip archive"),
    ("encrypted-xlsx", lambda tmp: FIXTURES / "encrypted.xlsx", "password-protected"),
    ("encrypted-no-extension", _copy("encrypted.xlsx", "export"), "password-protected"),
    ("empty-xlsx", _copy("empty.csv", "empty.xlsx"), "empty file: not an xlsx workbook"),
    ("random-bytes-csv", _copy("not_a_sheet.xlsx", "data.csv"), "binary file"),
    ("workbook-named-csv", _copy("two_sheets.xlsx", "data.csv"), "Excel workbook, not CSV"),
    ("all-sheets-empty", lambda tmp: _workbook_of_empty_sheet(tmp), "every sheet"),
]


def _workbook_of_empty_sheet(tmp_path: Path) -> Path:
    from openpyxl import Workbook

    path = tmp_path / "blank.xlsx"
    Workbook().save(path)
    return path


@pytest.mark.parametrize(
    ("make", "message"), [c[1:] for c in BAD_FILES], ids=[c[0] for c in BAD_FILES]
)
def test_bad_file_is_a_one_line_read_error(tmp_path, make, message):
    path = make(tmp_path)
    with pytest.raises(ReadError) as caught:
        list(read_rows(path))
    error = caught.value
    assert message in str(error)
    assert str(error).startswith(f"{path}: ")
    assert "\n" not in str(error)


def test_missing_file_fails_at_the_call_not_at_the_first_chunk(tmp_path):
    with pytest.raises(ReadError, match="file not found"):
        read_rows(tmp_path / "nope.xlsx")
    with pytest.raises(ReadError, match="file not found"):
        list_sheets(tmp_path / "nope.xlsx")


def test_legacy_xls_bytes_are_told_apart_from_encrypted_ones():
    fake_xls = io.BytesIO(OLE2_MAGIC + bytes(504))
    with pytest.raises(ReadError, match=r"Excel 97-2003 \(.xls\) file") as caught:
        list(rows_from_file(fake_xls, name="old.xlsx", format="xlsx"))
    assert caught.value.hint == "open it in Excel and save it as .xlsx"


def test_encrypted_workbook_error_has_a_hint():
    with pytest.raises(ReadError) as caught:
        list(read_rows(FIXTURES / "encrypted.xlsx"))
    assert caught.value.hint is not None
    assert "remove the password" in caught.value.hint


class FailingFile(io.BytesIO):
    """A file whose disk fails after its first four bytes (EIO)."""

    def read(self, size: int | None = -1) -> bytes:
        if self.tell() > 0:
            raise OSError(5, "Input/output error")
        return super().read(4)

    read1 = read


@pytest.mark.parametrize("file_format", ["csv", "xlsx"])
def test_a_foreign_exception_while_reading_becomes_read_error_with_its_cause(file_format):
    source = FailingFile((FIXTURES / "two_sheets.xlsx").read_bytes())
    if file_format == "csv":
        source = FailingFile(b"Name\nA\n")
    with pytest.raises(ReadError, match="cannot read the file: Input/output error") as caught:
        list(rows_from_file(source, name="x", format=file_format))
    assert isinstance(caught.value.__cause__, OSError)


# Each exception type the reader's libraries raise, and the reason it becomes.
FOREIGN = [
    (FileNotFoundError(2, "No such file or directory"), "file not found"),
    (IsADirectoryError(21, "Is a directory"), "is a directory, not a file"),
    (PermissionError(13, "Permission denied"), "permission denied"),
    (OSError(5, "Input/output error"), "cannot read the file: Input/output error"),
    (UnicodeError("UTF-16 stream does not start with BOM"), "cannot decode the text: UTF-16"),
    (csv.Error("unexpected end of data"), "not valid CSV: unexpected end of data"),
    (PasswordError("Workbook is password protected"), "the workbook is password-protected"),
    (ZipError("invalid Zip archive"), "is not a valid xlsx workbook (broken zip archive"),
    (XmlError("tag not closed"), "is a corrupt xlsx workbook (bad XML: tag not closed)"),
    (WorksheetNotFound("Incidents"), "sheet not found: Incidents"),
    (CalamineError("Cannot detect\nfile format"), "cannot read the workbook: Cannot detect file"),
]


@pytest.mark.parametrize(("exc", "reason"), FOREIGN, ids=[type(exc).__name__ for exc, _ in FOREIGN])
def test_foreign_exceptions_map_to_one_line_read_errors(exc, reason):
    error = to_read_error(exc, "in.xlsx")
    assert isinstance(error, ReadError)
    assert str(error).startswith(f"in.xlsx: {reason}")
    assert "\n" not in str(error)


def test_every_exception_type_the_boundary_catches_has_its_own_reason():
    from importer.read import sheets

    mapped = {type(exc) for exc, _ in FOREIGN}
    for caught_type in sheets._FOREIGN:
        assert caught_type in mapped, f"{caught_type.__name__} has no row in FOREIGN"


def test_chunks_are_sheet_chunks():
    assert all(isinstance(c, SheetChunk) for c in read_rows(TWO_SHEETS))
