"""`validate` writes validation.xlsx: fills and comments on exactly the cells with problems."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime

import openpyxl
from e2e_helpers import COLUMNS, incident_row, write_sheet
from validate_helpers import ORGANIZATIONS, marked_cells, problems, report_folder, validate_args

from importer.report.workbook import FILLS
from importer.validate import Severity

RED = "FF" + FILLS[Severity.ERROR].lstrip("#")
AMBER = "FF" + FILLS[Severity.WARNING].lstrip("#")
NEXT_YEAR = datetime.now(UTC).year + 1
LOOKUP = f"organizations={ORGANIZATIONS}"


def _rows_with_known_problems() -> list[dict[str, str]]:
    rows = [incident_row(n) for n in range(6)]  # spreadsheet rows 2..7
    rows[1]["Title"] = ""  # row 3, column B: required
    rows[2]["Ref"] = rows[0]["Ref"]  # row 4: same key as row 2 -> on the status cell (G)
    rows[3]["Occurred"] = "yesterday-ish"  # row 5, column F: not a date
    rows[4]["Occurred"] = f"{NEXT_YEAR}-01-01 10:00"  # row 6, column F: a warning, in the future
    rows[5]["Org"] = "Narnia"  # row 7, column E: unknown organization
    return rows


def test_csv_source_has_fills_and_comments_on_exactly_the_problem_cells(
    tmp_path, simple_mapping, cli
):
    sheet = write_sheet(tmp_path / "log.csv", _rows_with_known_problems())
    lookup = f"organizations={ORGANIZATIONS}"
    result = cli(validate_args(sheet, simple_mapping, tmp_path, "--lookup", lookup))

    assert result.exit_code == 1, result.stderr
    folder = report_folder(tmp_path)
    cells = marked_cells(folder / "validation.xlsx", "log")
    assert {coord: fill for coord, (fill, _) in cells.items()} == {
        "B3": RED,
        "G4": RED,
        "F5": RED,
        "F6": AMBER,
        "E7": RED,
    }
    assert "required, but empty" in cells["B3"][1]
    assert "same row key as log.csv row 2" in cells["G4"][1].replace(str(tmp_path) + "/", "")
    assert "expected a date like" in cells["F5"][1]
    assert "in the future" in cells["F6"][1]
    assert "expected a known organization" in cells["E7"][1]


def test_source_sheet_keeps_its_columns_rows_and_values_and_looks_finished(
    tmp_path, simple_mapping, cli
):
    rows = _rows_with_known_problems()
    sheet = write_sheet(tmp_path / "log.csv", rows)
    cli(validate_args(sheet, simple_mapping, tmp_path, "--lookup", LOOKUP))

    book = openpyxl.load_workbook(report_folder(tmp_path) / "validation.xlsx")
    assert book.sheetnames == ["Summary", "Preview", "log"]
    ws = book["log"]
    assert [c.value for c in ws[1]] == [*COLUMNS, "status", "problems"]
    for n, row in enumerate(rows, start=2):
        shown = [c.value if c.value is not None else "" for c in ws[n][: len(COLUMNS)]]
        assert shown == [row[c] for c in COLUMNS]  # cell text is text: nothing re-typed
    statuses = [ws.cell(row=n, column=7).value for n in range(2, 8)]
    assert statuses == ["would create", "invalid", "invalid", "invalid", "would create", "invalid"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:H7"
    assert ws.column_dimensions["B"].width > 8


def test_summary_counts_by_field_and_kind_and_preview_holds_the_bodies(
    tmp_path, simple_mapping, cli
):
    sheet = write_sheet(tmp_path / "log.csv", _rows_with_known_problems())
    cli(validate_args(sheet, simple_mapping, tmp_path, "--lookup", LOOKUP))
    folder = report_folder(tmp_path)
    book = openpyxl.load_workbook(folder / "validation.xlsx")

    summary = [[c.value for c in row] for row in book["Summary"].iter_rows()]
    assert summary[1][:2] == ["would create", 2]
    assert summary[2][:2] == ["invalid", 4]
    head = next(r for r in summary if r[0] == "field \\ problem")
    below = summary[summary.index(head) + 1 :]
    table = {r[0]: dict(zip(head[1:], r[1:], strict=True)) for r in below}
    assert table["name"]["required (error)"] == 1
    assert table["dateOccurred"]["not a date (error)"] == 1
    assert table["dateOccurred"]["date in the future (warning)"] == 1
    assert table["orgGroupId"]["unknown organization (error)"] == 1
    assert table["(whole row)"]["duplicate key (error)"] == 1

    preview = list(book["Preview"].iter_rows(values_only=True))
    lines = (folder / "would_send.jsonl").read_text(encoding="utf-8").splitlines()
    would_send = [json.loads(line) for line in lines]
    assert [r[2] for r in preview[1:]] == [b["row"] for b in would_send] == [2, 6]
    names = list(preview[0])
    assert preview[1][names.index("name")] == would_send[0]["body"]["name"]
    assert preview[2][names.index("orgGroupId")] == would_send[1]["body"]["orgGroupId"]


def test_a_second_sheet_gets_its_own_worksheet_with_its_own_problem_cells(
    tmp_path, simple_mapping, cli
):
    book = openpyxl.Workbook()
    first = book.active
    first.title = "2023"
    second = book.create_sheet("2024")
    for ws, offset in ((first, 0), (second, 10)):
        ws.append(COLUMNS)
        for n in range(3):
            ws.append([incident_row(offset + n)[c] for c in COLUMNS])
    first["F2"] = "31/31/2023"  # sheet 2023 row 2: not a date
    second["B3"] = None  # sheet 2024 row 3: no title
    second["E4"] = "Atlantis"  # sheet 2024 row 4: unknown organization
    path = tmp_path / "two.xlsx"
    book.save(path)

    lookup = f"organizations={ORGANIZATIONS}"
    assert cli(validate_args(path, simple_mapping, tmp_path, "--lookup", lookup)).exit_code == 1
    folder = report_folder(tmp_path)
    written = openpyxl.load_workbook(folder / "validation.xlsx")
    assert written.sheetnames == ["Summary", "Preview", "2023", "2024"]
    assert {c: f for c, (f, _) in marked_cells(folder / "validation.xlsx", "2023").items()} == {
        "F2": RED
    }
    second_cells = marked_cells(folder / "validation.xlsx", "2024")
    assert {c: f for c, (f, _) in second_cells.items()} == {"B3": RED, "E4": RED}
    assert "Atlantis" not in second_cells["E4"][1] or "organization" in second_cells["E4"][1]
    lines = {(p["sheet"], p["row"], p["column"], p["kind"]) for p in problems(folder)}
    assert lines == {
        ("2023", "2", "Occurred", "not a date"),
        ("2024", "3", "Title", "required"),
        ("2024", "4", "Org", "unknown organization"),
    }


def test_text_that_looks_like_a_formula_is_neutralised_in_every_report(
    tmp_path, simple_mapping, cli
):
    rows = [incident_row(0), incident_row(1, Org='=HYPERLINK("http://x")')]
    sheet = write_sheet(tmp_path / "log.csv", rows)
    cli(validate_args(sheet, simple_mapping, tmp_path, "--lookup", LOOKUP))
    folder = report_folder(tmp_path)

    ws = openpyxl.load_workbook(folder / "validation.xlsx")["log"]
    assert ws["E3"].data_type == "s" and ws["E3"].value.startswith("'=")
    (line,) = problems(folder)
    assert line["value"].startswith("'=")


def test_the_validation_files_are_owner_only(tmp_path, simple_mapping, cli):
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(0)])
    cli(validate_args(sheet, simple_mapping, tmp_path, "--lookup", LOOKUP))
    folder = report_folder(tmp_path)
    for name in ("problems.csv", "validation.xlsx", "report.html"):
        assert (folder / name).stat().st_mode & 0o077 == 0, name


def test_added_columns_never_share_a_name_with_the_sources_columns(tmp_path, simple_mapping, cli):
    # A sheet with its own `status` and `problems` columns: two columns of the same name, and a
    # filter on "status" might be the sheet's or the tool's.
    sheet = tmp_path / "log.csv"
    with sheet.open("w", newline="", encoding="utf-8") as fp:
        writer = csv.DictWriter(fp, fieldnames=[*COLUMNS, "status", "Problems"])
        writer.writeheader()
        writer.writerows({**incident_row(n), "status": "open", "Problems": "-"} for n in range(2))
    cli(validate_args(sheet, simple_mapping, tmp_path, "--lookup", LOOKUP))

    ws = openpyxl.load_workbook(report_folder(tmp_path) / "validation.xlsx")["log"]
    header = [c.value for c in ws[1]]
    assert header[: len(COLUMNS) + 2] == [*COLUMNS, "status", "Problems"]
    assert len({h.casefold() for h in header}) == len(header), header
    assert [ws.cell(row=2, column=n).value for n in (len(COLUMNS) + 1, len(COLUMNS) + 3)] == [
        "open",
        "would create",
    ]
