"""`validate` against the sandbox register: what it accepts is accepted when sent, over HTTP."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from e2e_helpers import incident_row, read_results, run_args, write_sheet
from validate_helpers import ORGANIZATIONS, problems, report_folder, validate_args

ROOT = Path(__file__).resolve().parents[2]


def _mixed_rows() -> list[dict[str, str]]:
    rows = [incident_row(n) for n in range(16)]
    rows[2]["Title"] = "   "  # required
    rows[5]["Occurred"] = "2024-02-30 10:00"  # not a date
    rows[8]["Org"] = "Atlantis"  # unknown organization
    rows[11]["Ref"] = rows[10]["Ref"]  # duplicate key
    rows[13]["Org"] = "ab865441-5b88-4d8d-bb9a-6ea560e69069"  # EMEA by id: valid
    return rows


def _accepted(folder) -> set[int]:
    with (folder / "results.csv").open(encoding="utf-8") as fp:
        return {int(r["row"]) for r in csv.DictReader(fp) if r["status"] == "would create"}


@pytest.mark.parametrize("how", ["offline with a lookup file", "online"])
def test_every_row_validate_accepts_is_created_by_the_register(
    how, tmp_path, simple_mapping, register, cli
):
    sheet = write_sheet(tmp_path / "log.csv", _mixed_rows())
    extra = ["--lookup", f"organizations={ORGANIZATIONS}"] if how.startswith("offline") else []
    extra += ["--online"] if how == "online" else []
    checked = cli(validate_args(sheet, simple_mapping, tmp_path / "v", *extra), register=register)
    assert checked.exit_code == 1, checked.stderr
    accepted = _accepted(report_folder(tmp_path / "v"))
    assert accepted == set(range(2, 18)) - {4, 7, 10, 13}

    sent = cli(run_args(sheet, simple_mapping, tmp_path / "r"), register=register)
    results = {int(r["row"]): r for r in read_results(tmp_path / "r" / "reports")}
    created = {row for row, r in results.items() if r["status"] == "created"}
    assert created == accepted
    assert {r for r, x in results.items() if x["status"] == "invalid"} == {4, 7, 10, 13}
    assert sent.exit_code == 1
    assert len(register.incidents()) == len(accepted)


def test_offline_validation_reports_lookups_as_not_checked_and_passes(
    tmp_path, simple_mapping, cli
):
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(n) for n in range(3)])
    result = cli(validate_args(sheet, simple_mapping, tmp_path))

    assert result.exit_code == 0, result.stderr
    found = problems(report_folder(tmp_path))
    assert {(p["row"], p["severity"], p["kind"], p["column"]) for p in found} == {
        (str(n), "warning", "lookup not checked", "Org") for n in (2, 3, 4)
    }
    assert found[0]["value"] == incident_row(0)["Org"]
    assert "lookup not checked" in result.stdout


def test_header_drift_stops_before_anything_with_missing_and_unexpected_columns(
    tmp_path, simple_mapping, cli
):
    sheet = tmp_path / "log.csv"
    sheet.write_text(
        "Ref,Titel,Details,Type,Organisation,Occurred,Notes\n"
        "T-1,a,b,Phishing,France,2024-01-01 10:00,x\n",
        encoding="utf-8",
    )
    result = cli(validate_args(sheet, simple_mapping, tmp_path))

    assert result.exit_code == 2
    (line, hint) = result.stderr.strip().splitlines()
    assert "missing columns 'Title' (closest: 'Titel')" in line
    assert "'Org' (closest: 'Organisation')" in line
    assert "unexpected columns: 'Titel', 'Organisation', 'Notes'" in line
    assert hint.startswith("Hint: ")
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())


@pytest.mark.parametrize(
    ("limit", "exit_code", "created"),
    [("2", 6, 0), ("10%", 6, 0), ("3", 1, 7), ("30%", 1, 7)],
    ids=["count exceeded", "percent exceeded", "count met", "percent met"],
)
def test_max_invalid_sends_nothing_when_the_file_is_worse(
    limit, exit_code, created, tmp_path, simple_mapping, register, cli
):
    rows = [incident_row(n) for n in range(10)]
    for n in (1, 4, 7):
        rows[n]["Occurred"] = "not a date"
    sheet = write_sheet(tmp_path / "log.csv", rows)

    result = cli(
        run_args(sheet, simple_mapping, tmp_path, "--max-invalid", limit), register=register
    )

    assert result.exit_code == exit_code, result.stderr
    assert len(register.incidents()) == created
    results = read_results(tmp_path / "reports")
    assert len(results) == 10  # every row ends in the report
    assert sum(r["status"] == "invalid" for r in results) == 3
    if exit_code == 6:
        not_sent = [r for r in results if r["status"] == "failed"]
        assert len(not_sent) == 7
        assert "more than --max-invalid" in not_sent[0]["message"]


def test_acknowledged_rows_let_a_nightly_run_pass_until_a_new_problem_appears(
    tmp_path, simple_mapping, register, cli
):
    rows = [incident_row(n) for n in range(6)]
    rows[2]["Title"] = ""
    sheet = write_sheet(tmp_path / "log.csv", rows)
    known = tmp_path / "known-bad.txt"
    known.write_text("# accepted on 2026-11-30\ntest-log:T-00002\n", encoding="utf-8")

    first = cli(
        run_args(sheet, simple_mapping, tmp_path / "a", "--acknowledged", str(known)),
        register=register,
    )
    assert first.exit_code == 0, first.stderr
    (row,) = [r for r in read_results(tmp_path / "a" / "reports") if r["status"] == "invalid"]
    assert "acknowledged" in row["message"]

    rows[4]["Occurred"] = "soon"  # a new problem
    write_sheet(sheet, rows)
    second = cli(
        run_args(sheet, simple_mapping, tmp_path / "b", "--acknowledged", str(known)),
        register=register,
    )
    assert second.exit_code == 1


def test_an_earlier_problems_csv_acknowledges_its_problems_but_not_new_ones_on_the_same_row(
    tmp_path, simple_mapping, cli
):
    rows = [incident_row(n) for n in range(4)]
    rows[1]["Title"] = ""
    sheet = write_sheet(tmp_path / "log.csv", rows)
    lookup = ["--lookup", f"organizations={ORGANIZATIONS}"]
    assert cli(validate_args(sheet, simple_mapping, tmp_path / "a", *lookup)).exit_code == 1
    known = report_folder(tmp_path / "a") / "problems.csv"

    again = validate_args(sheet, simple_mapping, tmp_path / "b", *lookup, "--acknowledged")
    assert cli([*again, str(known)]).exit_code == 0

    rows[1]["Occurred"] = "later"  # the same row, a new problem
    write_sheet(sheet, rows)
    third = validate_args(sheet, simple_mapping, tmp_path / "c", *lookup, "--acknowledged")
    result = cli([*third, str(known)])
    assert result.exit_code == 1
    summary = json.loads((report_folder(tmp_path / "c") / "summary.json").read_text())
    assert summary["acknowledged"] == 0


def test_changed_since_import_says_which_fields_changed_old_to_new(
    tmp_path, simple_mapping, register, cli
):
    rows = [incident_row(n) for n in range(3)]
    sheet = write_sheet(tmp_path / "log.csv", rows)
    assert cli(run_args(sheet, simple_mapping, tmp_path / "a"), register=register).exit_code == 0

    rows[1]["Title"] = "Renamed incident"
    write_sheet(sheet, rows)
    again = run_args(sheet, simple_mapping, tmp_path / "a2")
    again[again.index("--ledger") + 1] = str(tmp_path / "a" / "ledger.sqlite")
    assert cli(again, register=register).exit_code == 0
    changed = [r for r in read_results(tmp_path / "a2" / "reports") if r["row"] == "3"]
    assert changed[0]["status"] == "changed since import"
    assert "name: 'Test incident 1' → 'Renamed incident'" in changed[0]["message"]
    assert "description" not in changed[0]["message"]  # only what changed

    update = run_args(sheet, simple_mapping, tmp_path / "a3", "--update-changed")
    update[update.index("--ledger") + 1] = str(tmp_path / "a" / "ledger.sqlite")
    assert cli(update, register=register).exit_code == 0
    (updated,) = [r for r in read_results(tmp_path / "a3" / "reports") if r["row"] == "3"]
    assert updated["status"] == "updated"
    assert updated["message"] == "changed: name: 'Test incident 1' → 'Renamed incident'"


def test_validate_with_a_ledger_shows_changed_fields_on_the_page(
    tmp_path, simple_mapping, register, cli
):
    rows = [incident_row(n) for n in range(3)]
    sheet = write_sheet(tmp_path / "log.csv", rows)
    assert cli(run_args(sheet, simple_mapping, tmp_path / "a"), register=register).exit_code == 0
    rows[0]["Details"] = "New details"
    write_sheet(sheet, rows)

    extra = ["--ledger", str(tmp_path / "a" / "ledger.sqlite"), "--lookup"]
    extra.append(f"organizations={ORGANIZATIONS}")
    assert cli(validate_args(sheet, simple_mapping, tmp_path / "v", *extra)).exit_code == 0
    page = (report_folder(tmp_path / "v") / "report.html").read_text(encoding="utf-8")
    assert "Changed since import" in page
    assert "description: &#x27;Details of incident 0&#x27; → &#x27;New details&#x27;" in page


def test_failed_rows_name_row_and_problems_and_reimport_with_the_same_mapping(
    tmp_path, simple_mapping, cli
):
    rows = [incident_row(n) for n in range(5)]
    rows[1]["Title"] = ""
    rows[3]["Occurred"] = "31/31/2024"
    sheet = write_sheet(tmp_path / "log.csv", rows)
    lookup = ["--lookup", f"organizations={ORGANIZATIONS}"]
    assert cli(validate_args(sheet, simple_mapping, tmp_path / "a", *lookup)).exit_code == 1

    failed_path = report_folder(tmp_path / "a") / "failed_rows.csv"
    with failed_path.open(encoding="utf-8") as fp:
        failed = list(csv.DictReader(fp))
    assert [(r["Ref"], r["import_row"]) for r in failed] == [("T-00001", "3"), ("T-00003", "5")]
    expected = "log.csv row 3: invalid: column 'Title' (name): required, but empty"
    assert failed[0]["import_error"] == expected
    assert "'31/31/2024'" in failed[1]["import_error"]

    failed[0]["Title"] = "Now with a title"
    failed[1]["Occurred"] = "2024-12-31 23:00"
    fixed = tmp_path / "fixed.csv"
    with fixed.open("w", newline="", encoding="utf-8") as fp:
        writer = csv.DictWriter(fp, fieldnames=list(failed[0]))
        writer.writeheader()
        writer.writerows(failed)
    again = cli(validate_args(fixed, simple_mapping, tmp_path / "b", *lookup))
    assert again.exit_code == 0, again.stdout
    assert _accepted(report_folder(tmp_path / "b")) == {2, 3}


def test_a_dry_run_of_a_mapping_with_lookups_needs_no_credentials(tmp_path, simple_mapping, cli):
    rows = [incident_row(n) for n in range(4)]
    rows[2]["Occurred"] = "31/31/2024"
    sheet = write_sheet(tmp_path / "log.csv", rows)

    result = cli(run_args(sheet, simple_mapping, tmp_path, "--dry-run", "--log-format", "json"))

    assert result.exit_code == 1, result.stderr  # the bad date, not the missing register
    summary = json.loads(result.stdout)
    assert summary["counts"]["would create"] == 3
    assert summary["problem_kinds"] == {
        "error": {"not a date": 1},
        "warning": {"lookup not checked": 3},
    }
    assert summary["problems"][0]["example"].startswith("log.csv row 4 value '31/31/2024'")


def test_failed_rows_of_a_workbook_keep_its_format_and_reimport_with_the_same_mapping(
    tmp_path, cli
):
    sample = ROOT / "samples" / "incidents_two_sheets.xlsx"
    mapping = ROOT / "mappings" / "incidents_two_sheets.yaml"
    assert cli(validate_args(sample, mapping, tmp_path / "a")).exit_code == 1

    path = report_folder(tmp_path / "a") / "failed_rows.xlsx"
    book = openpyxl.load_workbook(path)
    source = openpyxl.load_workbook(sample)
    assert book.sheetnames == ["2023", "2024"]
    for name, row in (("2023", 7), ("2024", 12)):
        header = [c.value for c in book[name][1]]
        assert header == [*(c.value for c in source[name][1]), "import_row", "import_error"]
        (failed,) = list(book[name].iter_rows(min_row=2, values_only=True))
        original = [c.value for c in source[name][row]]
        assert list(failed[: len(original)]) == original  # dates stay dates, text stays text
        assert failed[len(original)] == row
        where = f"incidents_two_sheets.xlsx [sheet {name}] row {row}"
        assert failed[-1].startswith(f"{where}: invalid: ")

    columns = [c.value for c in book["2023"][1]]
    book["2023"].cell(row=2, column=columns.index("Region") + 1, value="France")
    discovered = [c.value for c in book["2024"][1]].index("Reported On") + 1
    book["2024"].cell(row=2, column=discovered, value=datetime(2024, 5, 20, 9, 30))
    fixed = tmp_path / "fixed.xlsx"
    book.save(fixed)
    again = cli(validate_args(fixed, mapping, tmp_path / "b"))
    assert again.exit_code == 0, again.stdout + again.stderr
    with (report_folder(tmp_path / "b") / "results.csv").open(encoding="utf-8") as fp:
        statuses = [(r["sheet"], r["row"], r["status"]) for r in csv.DictReader(fp)]
    assert statuses == [("2023", "2", "would create"), ("2024", "2", "would create")]


def test_failed_rows_xlsx_keeps_every_mapped_sheet_even_one_without_failed_rows(tmp_path, cli):
    # A sheet with no failed rows was left out, so the mapping's `sheets: ["2023", "2024"]`
    # refused failed_rows.xlsx ("no sheet named '2024'"): not "re-imports with the same mapping".
    source = openpyxl.load_workbook(ROOT / "samples" / "incidents_two_sheets.xlsx")
    source["2024"].delete_rows(3, source["2024"].max_row)  # 2024 keeps one valid row
    sample = tmp_path / "one_sheet_fails.xlsx"
    source.save(sample)
    mapping = ROOT / "mappings" / "incidents_two_sheets.yaml"
    assert cli(validate_args(sample, mapping, tmp_path / "a")).exit_code == 1

    path = report_folder(tmp_path / "a") / "failed_rows.xlsx"
    book = openpyxl.load_workbook(path)
    assert sorted(book.sheetnames) == ["2023", "2024"]
    header = [c.value for c in book["2024"][1]]
    assert header == [*(c.value for c in source["2024"][1]), "import_row", "import_error"]
    assert book["2024"].max_row == 1
    again = cli(validate_args(path, mapping, tmp_path / "b"))
    assert again.exit_code == 1, again.stdout + again.stderr  # the same row, still invalid
    with (report_folder(tmp_path / "b") / "results.csv").open(encoding="utf-8") as fp:
        statuses = [(r["sheet"], r["row"], r["status"]) for r in csv.DictReader(fp)]
    assert statuses == [("2023", "2", "invalid")]
