"""The refusals of docs/cells.md that are about a whole file or a whole mapping, and round trips:
a repeated header, a mis-decoded header, a draft's placeholders, failed rows fixed and re-imported.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from e2e_helpers import run_args

from importer.draft import draft_mapping

CELLS = Path(__file__).resolve().parents[1] / "fixtures" / "cells"
MAPPING = """\
version: 1
name: cells
key: [Ref]
fields:
  name: {{column: Title}}
  incidentTypeName: {{constant: Phishing}}
  orgGroupId: {{constant: France, lookup: organization}}
{fields}
"""


def _mapping(tmp_path: Path, fields: str, name: str = "cells.yaml") -> Path:
    path = tmp_path / name
    path.write_text(MAPPING.format(fields=fields), encoding="utf-8")
    return path


def _folder(reports: Path) -> Path:
    (folder,) = [p for p in reports.iterdir() if p.is_dir()]
    return folder


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fp:
        return list(csv.DictReader(fp))


def test_a_mapping_naming_a_repeated_header_stops_before_anything_is_sent(tmp_path, register, cli):
    mapping = _mapping(tmp_path, "  description: {column: Country}")
    for extra in (["--dry-run"], []):
        args = run_args(CELLS / "repeated.csv", mapping, tmp_path, *extra)
        result = cli(args, register=register)

        assert result.exit_code == 2
        assert result.stderr == (
            f"Error: {CELLS / 'repeated.csv'}: {mapping}: column 'Country' appears 3 times in "
            "the sheet's header; the reader names the copies 'Country (1)', 'Country (2)', "
            "'Country (3)'\nHint: name the copy you mean, e.g. 'Country (1)', or rename the "
            "headers in the sheet\n"
        )
    assert register.incidents() == []


def test_a_mis_decoded_header_suggests_the_encoding(tmp_path, register, cli):
    sheet = tmp_path / "czech.csv"
    sheet.write_bytes("Ref,Title,Přístup\nR-1,Laptop,ano\n".encode("cp1250"))
    mapping = _mapping(tmp_path, "  description: {column: Přístup}")
    args = [*run_args(sheet, mapping, tmp_path), "--encoding", "cp1252"]  # the wrong page
    result = cli(args, register=register)

    assert result.exit_code == 2
    assert "the header looks mis-decoded ('Pøístup')" in result.stderr
    assert "--encoding" in result.stderr
    assert register.incidents() == []


def test_free_form_date_order_is_reported_in_the_summary(tmp_path, register, cli):
    mapping = _mapping(tmp_path, "  dateOccurred: {column: Occurred}")
    args = [*run_args(CELLS / "dates.csv", mapping, tmp_path), "--dry-run"]
    cli(args, register=register)

    summary = json.loads((_folder(tmp_path / "reports") / "summary.json").read_text())
    assert summary["date_orders"] == {"dateOccurred": ["day", "13.07.2024"]}


def test_a_drafts_placeholders_fail_every_row_in_a_dry_run_and_a_real_run(tmp_path, register, cli):
    sheet = tmp_path / "bare.csv"
    sheet.write_text("Zzz,Qqq\nfoo,bar\nbaz,qux\n", encoding="utf-8")
    mapping = tmp_path / "draft.yaml"
    mapping.write_text(draft_mapping(sheet), encoding="utf-8")
    assert "TODO-name" in mapping.read_text(encoding="utf-8")

    for extra in (["--dry-run"], []):
        reports = tmp_path / f"reports{len(extra)}"
        args = [*run_args(sheet, mapping, tmp_path, *extra)]
        args[args.index("--report-dir") + 1] = str(reports)
        result = cli(args, register=register)
        assert result.exit_code == 1, result.stderr
        rows = _rows(_folder(reports) / "results.csv")
        assert [r["status"] for r in rows] == ["invalid", "invalid"]
        assert all("placeholder 'TODO-name'" in r["message"] for r in rows)
    assert register.incidents() == []


def test_failed_rows_of_a_workbook_reimport_with_the_same_mapping(tmp_path, register, cli):
    mapping = _mapping(
        tmp_path,
        "  description: {column: Records}\n"
        "  dateOccurred: {column: Occurred}\n"
        "  autoAssessJurisdictions: {column: Assess}",
    )
    first = cli(run_args(CELLS / "roundtrip.xlsx", mapping, tmp_path), register=register)
    assert first.exit_code == 1, first.stderr
    failed = _rows(_folder(tmp_path / "reports") / "failed_rows.csv")
    assert [{k: v for k, v in r.items() if k != "import_error"} for r in failed] == [
        {
            "Ref": "B-2",
            "Title": "",
            "Assess": "false",
            "Occurred": "2024-03-02T09:15:00",
            "Records": "7.5",
        }
    ]

    fixed = tmp_path / "fixed.csv"
    with fixed.open("w", newline="", encoding="utf-8") as fp:
        writer = csv.DictWriter(fp, fieldnames=["Ref", "Title", "Assess", "Occurred", "Records"])
        writer.writeheader()
        writer.writerow({**{k: failed[0][k] for k in writer.fieldnames}, "Title": "Fixed"})
    args = run_args(fixed, mapping, tmp_path)
    args[args.index("--report-dir") + 1] = str(tmp_path / "again")
    second = cli(args, register=register)

    assert second.exit_code == 0, second.stderr
    created = {i["name"]: i for i in register.incidents()}
    assert created["Fixed"]["autoAssessJurisdictions"] is False
    assert created["Fixed"]["dateOccurred"] == "2024-03-02T09:15:00.000Z"
    assert created["Fixed"]["description"] == "7.5"


def test_a_hidden_sheet_with_other_columns_is_reported_not_read(tmp_path, register, cli):
    from openpyxl import Workbook

    workbook = Workbook()
    log = workbook.active
    assert log is not None
    log.title = "Log"
    log.append(["Ref", "Title", "Owner"])
    log.append(["H-1", "Visible", "alice.martin@example.com"])
    lists = workbook.create_sheet("Lists")
    lists.sheet_state = "hidden"
    lists.append(["Type"])
    lists.append(["Phishing"])
    sheet = tmp_path / "hidden.xlsx"
    workbook.save(sheet)
    mapping = _mapping(tmp_path, "  incidentAssigneeRequests: {column: Owner, lookup: user}")

    result = cli(run_args(sheet, mapping, tmp_path), register=register)

    assert result.exit_code == 0, result.stderr
    rows = _rows(_folder(tmp_path / "reports") / "results.csv")
    assert [(r["sheet"], r["status"]) for r in rows] == [("Log", "created"), ("Lists", "skipped")]
    assert "sheet 'Lists' is hidden in the workbook" in rows[1]["message"]


def test_a_row_the_ledger_knows_only_by_its_old_numeric_key_is_refused_not_created_again(
    tmp_path, register, cli
):
    # Versions before this one keyed `0042` as `42`: a ledger entry `cells:42` stands for it.
    old = tmp_path / "old.csv"
    old.write_text("Ref,Title\n42,Imported long ago\n", encoding="utf-8")
    mapping = _mapping(tmp_path, "")
    assert cli(run_args(old, mapping, tmp_path), register=register).exit_code == 0
    rerun = tmp_path / "rerun.csv"
    rerun.write_text("Ref,Title\n0042,Imported long ago\n17.0,New row\n", encoding="utf-8")

    for extra in (["--dry-run"], []):
        args = run_args(rerun, mapping, tmp_path, *extra)
        args[args.index("--report-dir") + 1] = str(tmp_path / f"again{len(extra)}")
        result = cli(args, register=register)
        assert result.exit_code == 1, result.stderr
        rows = _rows(_folder(tmp_path / f"again{len(extra)}") / "results.csv")
        assert [r["status"] for r in rows] == [
            "invalid",
            "would create" if extra else "created",
        ]
        assert "an earlier version of the importer keyed a row 'cells:42'" in rows[0]["message"]
    assert sorted(i["name"] for i in register.incidents()) == ["Imported long ago", "New row"]
