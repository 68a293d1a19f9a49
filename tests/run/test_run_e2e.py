"""End to end over loopback: sheet → mapping → validation → sender → sandbox register → report."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

from e2e_helpers import incident_row, read_results, run_args, write_sheet

from importer.sandbox import Faults, SandboxConfig, running_sandbox

ROOT = Path(__file__).resolve().parents[2]


def _run_args(sheet: Path, mapping: Path, reports: Path, *extra: str) -> list[str]:
    return run_args(sheet, mapping, reports.parent, "--log-format", "json", *extra)


def test_every_valid_row_is_created_once_and_every_row_is_reported(
    tmp_path, simple_mapping, register, cli
):
    rows = [incident_row(n) for n in range(12)]
    rows[3]["Title"] = ""  # required field empty
    rows[7]["Type"] = "Alien Abduction"  # not a type the tenant has
    rows[9]["Occurred"] = "yesterday-ish"  # not a date
    sheet = write_sheet(tmp_path / "log.csv", rows)

    result = cli(_run_args(sheet, simple_mapping, tmp_path / "reports"), register=register)

    assert result.exit_code == 1, result.stderr
    results = read_results(tmp_path / "reports")
    assert [int(r["row"]) for r in results] == list(range(2, 14))
    by_row = {int(r["row"]): r for r in results}
    assert Counter(r["status"] for r in results) == {"created": 9, "invalid": 2, "rejected": 1}
    assert "Title" in by_row[5]["message"] and "required" in by_row[5]["message"]
    assert "yesterday-ish" in by_row[11]["message"] and "Occurred" in by_row[11]["message"]
    assert "incidentTypeName" in by_row[9]["message"]
    stored = register.incidents()
    assert sorted(i["incidentId"] for i in stored) == sorted(
        r["incident_id"] for r in results if r["status"] == "created"
    )
    assert register.counts()["duplicates"] == 0


def test_failed_rows_file_keeps_the_source_columns_for_reimport(
    tmp_path, simple_mapping, register, cli
):
    rows = [incident_row(n) for n in range(4)]
    rows[1]["Title"] = ""
    sheet = write_sheet(tmp_path / "log.csv", rows)
    cli(_run_args(sheet, simple_mapping, tmp_path / "reports"), register=register)

    (folder,) = (tmp_path / "reports").iterdir()
    with (folder / "failed_rows.csv").open(encoding="utf-8") as fp:
        failed = list(csv.DictReader(fp))
    assert len(failed) == 1
    assert failed[0]["Ref"] == "T-00001"
    assert list(failed[0])[:-2] == list(rows[0])
    assert failed[0]["import_row"] == "3"
    assert failed[0]["import_error"].startswith("log.csv row 3: invalid")
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["counts"]["created"] == 3 and summary["counts"]["invalid"] == 1


def test_dry_run_sends_nothing_and_writes_what_it_would_send(
    tmp_path, simple_mapping, register, cli
):
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(n) for n in range(5)])

    result = cli(_run_args(sheet, simple_mapping, tmp_path / "reports", "--dry-run"), register)

    assert result.exit_code == 0, result.stderr
    assert register.incidents() == []
    statuses = {r["status"] for r in read_results(tmp_path / "reports")}
    assert statuses == {"would create"}
    (folder,) = (tmp_path / "reports").iterdir()
    bodies = [json.loads(line) for line in (folder / "would_send.jsonl").read_text().splitlines()]
    assert [b["row"] for b in bodies] == [2, 3, 4, 5, 6]
    assert bodies[0]["body"]["name"] == "Test incident 0"
    assert bodies[0]["body"]["orgGroupId"] == "d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6"  # France


def test_429_storms_and_503s_still_create_every_row_exactly_once(tmp_path, simple_mapping, cli):
    # 5 creates a second: a client slowed down by a loaded machine still runs past it (at
    # 15 a second, a run under a load of 7 on 2 cores saw no 429 at all).
    config = SandboxConfig(
        rate_limit=10,
        window_seconds=2.0,
        faults=Faults(unavailable=0.2, unavailable_retry_after=0.2, random_seed=7),
    )
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(n) for n in range(60)])
    with running_sandbox(config) as register:
        # The client paces above the quota on purpose, so the register answers with 429s.
        args = _run_args(sheet, simple_mapping, tmp_path / "reports", "--rate", "40/s")
        result = cli([*args, "--concurrency", "8"], register=register)
        counts = register.counts()
        stored = register.incidents()

    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["throttled_429"] > 0
    assert summary["retries"] > 0
    assert summary["counts"]["created"] == 60
    assert counts["duplicates"] == 0 and len(stored) == 60


def test_500_after_commit_is_reconciled_not_resent(tmp_path, simple_mapping, cli):
    config = SandboxConfig(faults=Faults(fail_after_commit=0.3, random_seed=3))
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(n) for n in range(20)])
    with running_sandbox(config) as register:
        result = cli(_run_args(sheet, simple_mapping, tmp_path / "reports"), register=register)
        stored = register.incidents()
        counts = register.counts()

    assert result.exit_code == 0, result.stderr
    results = read_results(tmp_path / "reports")
    reconciled = [r for r in results if r["message"].startswith("reconciled")]
    assert reconciled, "with a 30% fault rate some rows must have needed reconciliation"
    assert json.loads(result.stdout)["reconciled"] == len(reconciled)
    assert len(stored) == 20 and counts["duplicates"] == 0
    assert {r["incident_id"] for r in results} == {i["incidentId"] for i in stored}


def test_failed_rows_of_two_sheets_share_one_file_and_name_their_sheet(tmp_path, cli):
    sample = ROOT / "samples" / "incidents_two_sheets.xlsx"
    mapping = ROOT / "mappings" / "incidents_two_sheets.yaml"

    result = cli(_run_args(sample, mapping, tmp_path / "reports", "--dry-run"))

    assert result.exit_code == 1
    (folder,) = (p for p in (tmp_path / "reports").iterdir() if p.is_dir())
    with (folder / "failed_rows.csv").open(encoding="utf-8") as fp:
        lines = list(csv.DictReader(fp))
    assert [(r["import_sheet"], r["import_row"]) for r in lines] == [("2023", "7"), ("2024", "12")]
    assert [r["import_error"].split(":")[0] for r in lines] == [
        "incidents_two_sheets.xlsx [sheet 2023] row 7",
        "incidents_two_sheets.xlsx [sheet 2024] row 12",
    ]
