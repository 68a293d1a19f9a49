"""Exactly once against a register that is slow, lags and forgets: one chaos test per fault.

Each test runs the real CLI against the sandbox over loopback HTTP with one of the register
behaviours of issue 10, and ends by checking the register incident by incident: every row
once, pointing at an incident whose fields are the row's - or, where the API cannot prevent
a copy, the copy found and reported with both ids.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import stat
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from e2e_helpers import incident_row, read_results, run_args, write_sheet

from importer.ledger import Ledger
from importer.sandbox import Faults, SandboxConfig, running_sandbox

FRANCE = "d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6"


def _args(sheet: Path, mapping: Path, tmp_path: Path, *extra: str) -> list[str]:
    """Run arguments with a 1-second settle window unless `extra` says otherwise."""
    return run_args(sheet, mapping, tmp_path, "--log-format", "json", "--timeout", "1", *extra)


def _statuses(result) -> Counter[str]:
    counts = json.loads(result.stdout)["counts"]
    return Counter({k: v for k, v in counts.items() if v})


def assert_each_row_once(register, rows: list[dict[str, str]], tmp_path: Path) -> None:
    """Every row's ledger id is an incident with the row's own fields; no incident twice."""
    incidents = {i["incidentId"]: i for i in register.incidents()}
    with Ledger.open(tmp_path / "ledger.sqlite", command="check") as ledger:
        entries = ledger.get_many(f"test-log:{r['Ref']}" for r in rows)
    assert len(entries) == len(rows), "every row is in the ledger"
    owners = Counter(e.incident_id for e in entries.values())
    assert max(owners.values()) == 1, "no incident belongs to two rows"
    for row in rows:
        entry = entries[f"test-log:{row['Ref']}"]
        assert entry.state == "created", (row["Ref"], entry.state, entry.error)
        incident = incidents[entry.incident_id]
        assert incident["name"] == row["Title"]
        assert (incident["description"] or "") == row["Details"], row["Ref"]
        assert incident["incidentTypeName"] == row["Type"]
    assert len(incidents) == len(rows), "no incident beyond one per row"


def _spawn(sheet: Path, mapping: Path, tmp_path: Path, register, *extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONETRUST_")}
    env.update(
        ONETRUST_BASE_URL=register.base_url,
        ONETRUST_CLIENT_ID=register.client_id,
        ONETRUST_CLIENT_SECRET=register.client_secret,
    )
    command = [sys.executable, "-m", "importer", *_args(sheet, mapping, tmp_path, *extra)]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for_requests(register, creates: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while register.counts()["requests"].get("POST /api/incident/v1/incidents", 0) < creates:
        assert time.monotonic() < deadline, "the importer made no progress"
        time.sleep(0.02)


def test_a_kill_while_slow_commits_are_in_flight_never_resends_them(tmp_path, simple_mapping, cli):
    """Situation 1: the server stores 1.2 s after the request; the importer dies meanwhile."""
    rows = [incident_row(n) for n in range(16)]
    sheet = write_sheet(tmp_path / "log.csv", rows)
    faults = Faults(commit_delay_ms=1200)
    with running_sandbox(SandboxConfig(faults=faults)) as register:
        for kill in range(2):
            process = _spawn(sheet, simple_mapping, tmp_path, register, "--timeout", "3")
            _wait_for_requests(register, 4 * kill + 3)  # POSTs in flight, nothing stored yet
            process.send_signal(signal.SIGKILL)
            process.wait()
        orphans_at_kill = register.counts()["incidents"]
        final = cli(_args(sheet, simple_mapping, tmp_path, "--timeout", "3"), register)

        assert final.exit_code == 0, final.stderr
        assert orphans_at_kill < len(register.incidents())  # orphaned commits landed later
        assert_each_row_once(register, rows, tmp_path)
        assert register.counts()["duplicates"] == 0


def test_a_rerun_with_a_shorter_timeout_still_waits_out_the_killed_runs_sends(
    tmp_path, simple_mapping, cli
):
    """A send's lifetime is the --timeout of the run that made it, which the ledger keeps:
    a rerun with `--timeout 0.5` must not resend a POST the killed `--timeout 5` run left
    in flight (the register stores it 4 s after it arrived)."""
    rows = [incident_row(n) for n in range(4)]
    sheet = write_sheet(tmp_path / "log.csv", rows)
    with running_sandbox(SandboxConfig(faults=Faults(commit_delay_ms=4000))) as register:
        process = _spawn(sheet, simple_mapping, tmp_path, register, "--timeout", "5")
        _wait_for_requests(register, 4)
        process.send_signal(signal.SIGKILL)
        process.wait()
        killed = time.monotonic()
        assert register.counts()["incidents"] == 0  # every POST still in flight
        register.set_faults(commit_delay_ms=0)  # the rerun's own sends commit at once

        rerun = cli(_args(sheet, simple_mapping, tmp_path, "--timeout", "0.5"), register)
        time.sleep(max(0.0, killed + 4.5 - time.monotonic()))  # every orphan has landed

        assert rerun.exit_code == 0, rerun.stderr
        assert_each_row_once(register, rows, tmp_path)
        assert register.counts()["duplicates"] == 0


def test_a_commit_slower_than_the_read_timeout_is_found_not_resent(
    tmp_path, simple_mapping, register, cli
):
    """Situation 1 without a crash: every answer comes after the client gave up."""
    rows = [incident_row(n) for n in range(8)]
    sheet = write_sheet(tmp_path / "log.csv", rows)
    register.set_faults(commit_delay_ms=1500)

    result = cli(
        _args(sheet, simple_mapping, tmp_path, "--timeout", "1", "--concurrency", "8"), register
    )

    assert result.exit_code == 0, result.stderr
    assert _statuses(result) == {"created": 8}
    assert json.loads(result.stdout)["reconciled"] == 8
    assert_each_row_once(register, rows, tmp_path)


def test_search_that_lags_behind_creates_is_waited_out(tmp_path, simple_mapping, register, cli):
    """Situation 2: new incidents show in search 1.5 s after their create; every create is
    answered 500 after storing."""
    rows = [incident_row(n) for n in range(6)]
    sheet = write_sheet(tmp_path / "log.csv", rows)
    register.set_faults(search_lag_ms=1500, fail_after_commit=1.0)

    result = cli(
        _args(sheet, simple_mapping, tmp_path, "--timeout", "1", "--search-lag", "1"), register
    )

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["reconciled"] == 6
    assert_each_row_once(register, rows, tmp_path)


def test_a_lag_longer_than_promised_makes_a_copy_that_is_found_and_reported(
    tmp_path, simple_mapping, register, cli
):
    """Where the register breaks the assumption, the copy is reported with both ids."""
    rows = [incident_row(0)]
    sheet = write_sheet(tmp_path / "log.csv", rows)
    # The first create is stored, then answered 500 (the seed's first roll); it shows in search
    # only after 2.5 s, longer than the 1.5 s window the run was told (--timeout 1
    # --search-lag 0.5); the ledger holds no older incident to prove search wrong.
    register.set_faults(search_lag_ms=2500, fail_after_commit=0.5, random_seed=3)

    result = cli(
        _args(
            sheet,
            simple_mapping,
            tmp_path,
            "--timeout",
            "1",
            "--search-lag",
            "0.5",
            "--concurrency",
            "1",
        ),
        register,
    )

    incidents = register.incidents()
    per_name = Counter(i["name"] for i in incidents)
    assert sum(per_name.values()) > len(rows), "the fault must produce a copy"
    (folder,) = (tmp_path / "reports").iterdir()
    with (folder / "duplicates.csv").open(encoding="utf-8") as fp:
        reported = list(csv.DictReader(fp))
    # it repeats the sheet's keys: owner-only, like every report file
    assert stat.S_IMODE((folder / "duplicates.csv").stat().st_mode) == 0o600
    by_id = {i["incidentId"]: i for i in incidents}
    results = {r["key"]: r for r in read_results(tmp_path / "reports")}
    assert len(reported) == sum(n - 1 for n in per_name.values())
    for line in reported:
        own, copy = by_id[line["incident_id"]], by_id[line["duplicate_incident_id"]]
        assert own["name"] == copy["name"]
        assert results[line["key"]]["incident_id"] == line["incident_id"]
    assert result.exit_code == 1  # a person must remove the copies
    assert json.loads(result.stdout)["duplicates"] == len(reported)


def test_a_search_that_answers_empty_is_not_believed(tmp_path, simple_mapping, register, cli):
    """Situation 2b: search answers 200 with nothing; ambiguous rows stay unknown, unsent."""
    sheet = tmp_path / "log.csv"
    rows = [incident_row(n) for n in range(6)]
    write_sheet(sheet, rows[:3])
    window = ("--timeout", "0.5", "--search-lag", "0.2")
    assert cli(_args(sheet, simple_mapping, tmp_path, *window), register).exit_code == 0
    time.sleep(0.8)  # the first incidents are now older than the window: a known reference
    write_sheet(sheet, rows)
    register.set_faults(search_empty=1.0, fail_after_commit=1.0)

    broken = cli(_args(sheet, simple_mapping, tmp_path, *window), register)
    assert _statuses(broken) == {"already imported": 3, "unknown": 3}
    assert len(register.incidents()) == 6  # each new row sent once, none resent

    register.set_faults(search_empty=0.0, fail_after_commit=0.0)
    healed = cli(_args(sheet, simple_mapping, tmp_path, *window), register)

    assert healed.exit_code == 0, healed.stderr
    assert _statuses(healed) == {"already imported": 3, "created": 3}
    assert_each_row_once(register, rows, tmp_path)


def test_results_without_empty_fields_never_swap_look_alike_rows(
    tmp_path, simple_mapping, register, cli
):
    """Situation 3: A has a description, B has none; both in flight, search omits nulls."""
    rows = []
    for n in range(12):
        twin = incident_row(n)
        rows += [twin, {**twin, "Ref": f"B-{n:05d}", "Details": ""}]
    sheet = write_sheet(tmp_path / "log.csv", rows)
    register.set_faults(search_omit_empty=1.0, fail_after_commit=0.5, random_seed=7)

    result = cli(_args(sheet, simple_mapping, tmp_path, "--concurrency", "8"), register)

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["reconciled"] > 0
    assert_each_row_once(register, rows, tmp_path)


def test_a_search_that_ignores_the_sort_still_finds_the_row_among_old_namesakes(
    tmp_path, simple_mapping, register, cli
):
    """Situation 4: 250 older same-name incidents, answered oldest first."""
    row = incident_row(0)
    old = {
        "name": row["Title"],
        "description": row["Details"],
        "incidentTypeName": row["Type"],
        "orgGroupId": FRANCE,
        "dateOccurred": "2024-01-01T00:00:00Z",
    }
    register.add_incidents(old, "2023-06-01T08:00:00Z", copies=250)
    sheet = write_sheet(tmp_path / "log.csv", [row])
    register.set_faults(search_ignore_sort=1.0, fail_after_commit=1.0)

    # Not --check-register (which would adopt an identical old incident): the row's own send.
    first = cli(_args(sheet, simple_mapping, tmp_path, "--check-register", "never"), register)
    register.set_faults(fail_after_commit=0.0)
    again = cli(_args(sheet, simple_mapping, tmp_path), register)

    assert _statuses(first) == {"created": 1} and json.loads(first.stdout)["reconciled"] == 1
    assert _statuses(again) == {"already imported": 1}
    assert len(register.incidents()) == 251


def test_search_answered_as_a_page_works_the_same(tmp_path, simple_mapping, register, cli):
    rows = [incident_row(n) for n in range(5)]
    sheet = write_sheet(tmp_path / "log.csv", rows)
    register.set_faults(search_answer="page", fail_after_commit=1.0)

    result = cli(_args(sheet, simple_mapping, tmp_path), register)

    assert json.loads(result.stdout)["reconciled"] == 5
    assert_each_row_once(register, rows, tmp_path)


UUID_FORMS = {
    "canonical": "d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6",
    "upper-no-hyphens": "D0A6E2ADCE1E469BAB6F0FF8C379B7D6",
    "urn": "urn:uuid:d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6",
    "braces-upper": "{D0A6E2AD-CE1E-469B-AB6F-0FF8C379B7D6}",
}


@pytest.mark.parametrize("written", UUID_FORMS.values(), ids=UUID_FORMS.keys())
def test_uuids_are_sent_in_canonical_form_and_the_strict_register_accepts_them(
    tmp_path, register, cli, written
):
    """Situation 6: the sandbox validates with its own schema, so a non-canonical id fails there."""
    mapping = tmp_path / "ids.yaml"
    mapping.write_text(
        "version: 1\nname: ids\nkey: [Ref]\n"
        "fields:\n  name: Title\n  incidentTypeName: Type\n  orgGroupId: OrgId\n",
        encoding="utf-8",
    )
    sheet = tmp_path / "ids.csv"
    sheet.write_text(f"Ref,Title,Type,OrgId\nR-1,Laptop,Phishing,{written}\n", encoding="utf-8")

    result = cli(run_args(sheet, mapping, tmp_path, "--log-format", "json"), register)

    assert result.exit_code == 0, result.stdout
    (incident,) = register.incidents()
    assert incident["orgGroupId"] == FRANCE


def test_an_id_that_is_no_uuid_is_a_located_row_error(tmp_path, register, cli):
    mapping = tmp_path / "ids.yaml"
    mapping.write_text(
        "version: 1\nname: ids\nkey: [Ref]\n"
        "fields:\n  name: Title\n  incidentTypeName: Type\n  orgGroupId: OrgId\n",
        encoding="utf-8",
    )
    sheet = tmp_path / "ids.csv"
    sheet.write_text("Ref,Title,Type,OrgId\nR-1,Laptop,Phishing,ORG-FR-42\n", encoding="utf-8")

    result = cli(run_args(sheet, mapping, tmp_path, "--log-format", "json"), register)

    (line,) = read_results(tmp_path / "reports")
    assert result.exit_code == 1
    assert line["status"] == "invalid"
    assert "OrgId" in line["message"] and "ORG-FR-42" in line["message"]
    assert register.incidents() == []


def test_a_lost_or_renamed_ledger_checks_the_register_before_creating(
    tmp_path, simple_mapping, register, cli
):
    """Situation 5: ledger deleted, then the mapping's name changed: nothing is created twice.

    After the loss the rows are adopted; after the rename the old keys still own the
    incidents, so each row fails naming the key that holds it - never a silent copy."""
    rows = [incident_row(n) for n in range(10)]
    sheet = write_sheet(tmp_path / "log.csv", rows)
    first = cli(_args(sheet, simple_mapping, tmp_path), register)
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"ledger.sqlite{suffix}").unlink(missing_ok=True)

    after_loss = cli(_args(sheet, simple_mapping, tmp_path), register)
    renamed = tmp_path / "renamed.yaml"
    renamed.write_text(
        simple_mapping.read_text(encoding="utf-8").replace("name: test-log", "name: legacy"),
        encoding="utf-8",
    )
    after_rename = cli(_args(sheet, renamed, tmp_path), register)
    settled = cli(_args(sheet, renamed, tmp_path), register)

    assert _statuses(first) == {"created": 10}
    assert after_loss.exit_code == 0, after_loss.stderr
    assert _statuses(after_loss) == {"created": 10}
    assert json.loads(after_loss.stdout)["reconciled"] == 10  # adopted, not sent
    assert after_rename.exit_code == 1
    assert _statuses(after_rename) == {"failed": 10}
    folder = min(f for f in (tmp_path / "reports").iterdir() if "-renamed" in f.name)
    with (folder / "results.csv").open(encoding="utf-8") as fp:
        messages = [line["message"] for line in csv.DictReader(fp)]
    assert all("under key 'test-log:T-" in m for m in messages), messages[0]
    assert _statuses(settled) == {"failed": 10}
    assert len(register.incidents()) == 10


ASSIGNED_MAPPING = """\
version: 1
name: assigned
key: [Ref]
fields:
  name: Title
  incidentTypeName: Type
  orgGroupId: {column: Org, lookup: organization}
  dateOccurred: {column: Occurred, formats: ["%Y-%m-%d %H:%M"]}
  incidentAssigneeRequests: {column: Owner, lookup: user}
  jurisdictions: {country: Country, state: State}
"""


def test_a_lost_ledger_never_adopts_the_incident_of_a_row_assigned_elsewhere(
    tmp_path, register, cli
):
    """Rows alike but for their assignee or jurisdiction: after the ledger is lost, each row
    adopts its own incident, not its neighbour's (the search answers newest first)."""
    mapping = tmp_path / "assigned.yaml"
    mapping.write_text(ASSIGNED_MAPPING, encoding="utf-8")
    alike = {
        "Title": "Laptop lost",
        "Type": "Phishing",
        "Org": "France",
        "Occurred": "2024-01-01 10:00",
        "Country": "USA",
        "State": "CA",
    }
    rows = [
        {"Ref": "A", **alike, "Owner": "alice.martin@example.com"},
        {"Ref": "B", **alike, "Owner": "bob.schneider@example.com"},
        {"Ref": "C", **alike, "Owner": "bob.schneider@example.com", "State": "NY"},
    ]
    sheet = tmp_path / "log.csv"
    with sheet.open("w", newline="", encoding="utf-8") as fp:
        writer = csv.DictWriter(fp, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    args = _args(sheet, mapping, tmp_path, "--concurrency", "1")
    assert cli(args, register).exit_code == 0
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"ledger.sqlite{suffix}").unlink(missing_ok=True)

    again = cli(args, register)

    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["reconciled"] == 3
    incidents = {i["incidentId"]: i for i in register.incidents()}
    assert len(incidents) == 3
    emails = {
        "alice.martin@example.com": "bde33237-912d-4bbe-89f4-1f74000b13d3",
        "bob.schneider@example.com": "1ef7e00d-982a-4107-9e10-592a99ef9679",
    }
    with Ledger.open(tmp_path / "ledger.sqlite", command="check") as ledger:
        entries = ledger.get_many(f"assigned:{r['Ref']}" for r in rows)
    for row in rows:
        incident = incidents[entries[f"assigned:{row['Ref']}"].incident_id]
        assert [a["assigneeId"] for a in incident["incidentAssigneeRequests"]] == [
            emails[row["Owner"]]
        ], row["Ref"]
        assert incident["jurisdictions"][0]["stateProvinceCode"] == row["State"], row["Ref"]


def test_a_lost_ledger_never_silently_duplicates_a_row_edited_since_its_import(
    tmp_path, simple_mapping, register, cli
):
    """With the ledger a changed row is "changed since import"; without it, it used to be
    created again (exit 0). A namesake of another occurrence is still created."""
    rows = [incident_row(n) for n in range(3)]
    sheet = write_sheet(tmp_path / "log.csv", rows)
    assert cli(_args(sheet, simple_mapping, tmp_path), register).exit_code == 0
    for suffix in ("", "-wal", "-shm"):
        (tmp_path / f"ledger.sqlite{suffix}").unlink(missing_ok=True)
    edited = [
        {**rows[0], "Details": "rewritten since the import"},
        rows[1],
        {**rows[2], "Ref": "T-99999", "Occurred": "2025-01-01 09:00"},  # another event, same name
    ]
    write_sheet(sheet, edited)

    after_loss = cli(_args(sheet, simple_mapping, tmp_path), register)
    stored = len(register.incidents())
    chosen = cli(_args(sheet, simple_mapping, tmp_path, "--check-register", "never"), register)

    assert after_loss.exit_code == 1, after_loss.stderr
    assert _statuses(after_loss) == {"created": 2, "failed": 1}
    assert json.loads(after_loss.stdout)["reconciled"] == 1  # rows[1] adopted
    assert stored == 4  # three imported + the namesake's own
    failed = []
    for folder in (tmp_path / "reports").iterdir():
        with (folder / "results.csv").open(encoding="utf-8") as fp:
            failed += [line for line in csv.DictReader(fp) if line["status"] == "failed"]
    (line,) = failed
    assert line["key"] == "test-log:T-00000"
    assert "row edited since an import whose ledger is lost" in line["message"]
    assert _statuses(chosen) == {"created": 1, "already imported": 2}
    assert len(register.incidents()) == 5  # as the operator chose


def test_check_register_never_trusts_the_ledger_alone(tmp_path, simple_mapping, register, cli):
    """The documented opt-out: a lost ledger then duplicates, as the operator chose."""
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(n) for n in range(3)])
    cli(_args(sheet, simple_mapping, tmp_path), register)
    (tmp_path / "ledger.sqlite").unlink()

    result = cli(_args(sheet, simple_mapping, tmp_path, "--check-register", "never"), register)

    assert _statuses(result) == {"created": 3}
    assert len(register.incidents()) == 6


def _ledger_with_room_for(monkeypatch, pages: int) -> None:
    """The ledger's SQLite file may grow by `pages` pages only: then SQLITE_FULL, as on a
    full disk (a real SQLite limit, `PRAGMA max_page_count`)."""
    from importer.ledger import store

    real_connect = store.connect

    def tight(path):
        db = real_connect(path)
        (count,) = db.execute("PRAGMA page_count").fetchone()
        db.execute(f"PRAGMA max_page_count = {count + pages}")
        return db

    monkeypatch.setattr(store, "connect", tight)


def test_a_full_disk_under_the_ledger_stops_the_run_and_reports_every_row_truthfully(
    tmp_path, simple_mapping, register, cli, monkeypatch
):
    """Situation 7: exit 2 with one line; never-sent rows are `failed`, not `unknown`."""
    rows = [incident_row(n, Details="x" * 900) for n in range(60)]
    sheet = write_sheet(tmp_path / "log.csv", rows)
    _ledger_with_room_for(monkeypatch, pages=12)

    full = cli(_args(sheet, simple_mapping, tmp_path, "--check-register", "never"), register)

    assert full.exit_code == 2, full.stderr
    error_lines = [line for line in full.stderr.splitlines() if line.startswith("Error:")]
    assert len(error_lines) == 1 and "cannot write the ledger" in error_lines[0]
    assert "database or disk is full" in error_lines[0]
    results = read_results(tmp_path / "reports")
    assert len(results) == len(rows)  # nothing lost
    stored = {i["incidentId"] for i in register.incidents()}
    statuses = Counter(r["status"] for r in results)
    assert statuses["failed"] > 0
    for line in results:
        if line["status"] == "failed":
            assert line["message"].startswith("not sent"), line
        if line["status"] == "created":
            assert line["incident_id"] in stored
    assert statuses["created"] + statuses["unknown"] >= len(stored)

    monkeypatch.undo()
    healed = cli(_args(sheet, simple_mapping, tmp_path), register)
    assert healed.exit_code == 0, healed.stderr
    assert_each_row_once(register, rows, tmp_path)


def test_a_report_folder_that_cannot_be_written_is_a_one_line_error(
    tmp_path, simple_mapping, register, cli
):
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(1)])
    args = _args(sheet, simple_mapping, tmp_path)
    args[args.index("--report-dir") + 1] = "/sys/incident-import-reports"  # read-only, even as root

    result = cli(args, register)

    assert result.exit_code == 2, result.stderr
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("Error:")]
    assert "/sys/incident-import-reports" in error
    assert register.incidents() == []


def test_a_dry_run_says_when_the_real_run_would_check_the_register_first(
    tmp_path, simple_mapping, register, cli
):
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(n) for n in range(2)])
    write_sheet(tmp_path / "more.csv", [incident_row(n) for n in range(3)])

    before = cli(_args(sheet, simple_mapping, tmp_path, "--dry-run"), register)
    cli(_args(sheet, simple_mapping, tmp_path), register)
    after = cli(_args(tmp_path / "more.csv", simple_mapping, tmp_path, "--dry-run"), register)

    assert _statuses(before) == {"would create": 2} and _statuses(after)["would create"] == 1
    first, *_, last = sorted((tmp_path / "reports").iterdir())
    with (first / "results.csv").open(encoding="utf-8") as fp:
        assert all("adopts an exact match" in r["message"] for r in csv.DictReader(fp))
    with (last / "results.csv").open(encoding="utf-8") as fp:
        assert not any("adopts" in r["message"] for r in csv.DictReader(fp))
