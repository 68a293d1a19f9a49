"""Exactly once across runs: resume, cron re-runs, changed rows, retries, the lock, chaos."""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from e2e_helpers import incident_row, run_args, write_sheet

from importer.ledger import Ledger
from importer.sandbox import Faults, SandboxConfig, running_sandbox


def _args(sheet: Path, mapping: Path, tmp_path: Path, *extra: str) -> list[str]:
    return run_args(sheet, mapping, tmp_path, "--log-format", "json", *extra)


def _statuses(result) -> Counter[str]:
    counts = json.loads(result.stdout)["counts"]
    return Counter({k: v for k, v in counts.items() if v})


def test_second_run_of_an_unchanged_file_creates_nothing(tmp_path, simple_mapping, register, cli):
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(n) for n in range(8)])
    first = cli(_args(sheet, simple_mapping, tmp_path), register)
    second = cli(_args(sheet, simple_mapping, tmp_path), register)

    assert (first.exit_code, second.exit_code) == (0, 0)
    assert _statuses(first) == {"created": 8}
    assert _statuses(second) == {"already imported": 8}
    assert len(register.incidents()) == 8


def test_a_file_with_ten_new_rows_creates_ten(tmp_path, simple_mapping, register, cli):
    sheet = tmp_path / "log.csv"
    write_sheet(sheet, [incident_row(n) for n in range(5)])
    cli(_args(sheet, simple_mapping, tmp_path), register)
    write_sheet(sheet, [incident_row(n) for n in range(15)])  # tonight's re-export

    result = cli(_args(sheet, simple_mapping, tmp_path), register)

    assert _statuses(result) == {"already imported": 5, "created": 10}
    assert len(register.incidents()) == 15


def test_changed_row_is_reported_then_updated_with_update_changed(
    tmp_path, simple_mapping, register, cli
):
    sheet = tmp_path / "log.csv"
    rows = [incident_row(n) for n in range(4)]
    write_sheet(sheet, rows)
    cli(_args(sheet, simple_mapping, tmp_path), register)
    rows[2]["Details"] = "Scope grew: 2,000 records"
    write_sheet(sheet, rows)

    reported = cli(_args(sheet, simple_mapping, tmp_path), register)
    updated = cli(_args(sheet, simple_mapping, tmp_path, "--update-changed"), register)
    settled = cli(_args(sheet, simple_mapping, tmp_path), register)

    assert _statuses(reported) == {"already imported": 3, "changed since import": 1}
    assert _statuses(updated) == {"already imported": 3, "updated": 1}
    assert _statuses(settled) == {"already imported": 4}
    descriptions = {i["name"]: i["description"] for i in register.incidents()}
    assert descriptions["Test incident 2"] == "Scope grew: 2,000 records"
    assert len(descriptions) == 4


def test_retry_failed_resends_only_the_rows_that_failed(tmp_path, simple_mapping, register, cli):
    sheet = tmp_path / "log.csv"
    write_sheet(sheet, [incident_row(n) for n in range(3)])
    register.set_faults(unavailable=1.0, unavailable_retry_after=0.01)
    failed = cli(_args(sheet, simple_mapping, tmp_path), register)
    register.set_faults(unavailable=0.0)
    write_sheet(sheet, [incident_row(n) for n in range(5)])

    retried = cli(_args(sheet, simple_mapping, tmp_path, "--retry-failed"), register)
    rest = cli(_args(sheet, simple_mapping, tmp_path), register)

    assert failed.exit_code == 1 and _statuses(failed) == {"failed": 3}
    assert _statuses(retried) == {"created": 3, "skipped": 2}
    assert _statuses(rest) == {"already imported": 3, "created": 2}
    assert len(register.incidents()) == 5


def test_a_dry_run_previews_what_a_real_run_would_do_from_the_ledger(
    tmp_path, simple_mapping, register, cli
):
    sheet = tmp_path / "log.csv"
    rows = [incident_row(n) for n in range(4)]
    write_sheet(sheet, rows)
    cli(_args(sheet, simple_mapping, tmp_path), register)
    rows[1]["Details"] = "edited in the legacy tool"
    write_sheet(sheet, [*rows, incident_row(9)])

    preview = cli(_args(sheet, simple_mapping, tmp_path, "--dry-run"), register)
    preview_update = cli(
        _args(sheet, simple_mapping, tmp_path, "--dry-run", "--update-changed"), register
    )

    assert _statuses(preview) == {
        "already imported": 3,
        "changed since import": 1,
        "would create": 1,
    }
    assert _statuses(preview_update) == {
        "already imported": 3,
        "would update": 1,
        "would create": 1,
    }
    assert len(register.incidents()) == 4  # nothing sent


def test_a_second_concurrent_run_exits_at_once_naming_the_first(
    tmp_path, simple_mapping, register, cli
):
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(1)])
    with Ledger.open(tmp_path / "ledger.sqlite", command="incident-import run other.csv"):
        result = cli(_args(sheet, simple_mapping, tmp_path), register)

    assert result.exit_code == 5
    assert f"pid {os.getpid()}" in result.stderr
    assert register.incidents() == []


def _spawn(sheet: Path, mapping: Path, tmp_path: Path, register, *extra: str) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONETRUST_")}
    env.update(
        ONETRUST_BASE_URL=register.base_url,
        ONETRUST_CLIENT_ID=register.client_id,
        ONETRUST_CLIENT_SECRET=register.client_secret,
    )
    command = [sys.executable, "-m", "importer", *_args(sheet, mapping, tmp_path, *extra)]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wait_for_incidents(register, at_least: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while len(register.incidents()) < at_least:
        assert time.monotonic() < deadline, "the importer made no progress"
        time.sleep(0.05)


def test_resume_after_sigkill_creates_the_rest_once(tmp_path, simple_mapping, cli):
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(n) for n in range(30)])
    with running_sandbox(SandboxConfig(faults=Faults(latency_ms=40))) as register:
        process = _spawn(sheet, simple_mapping, tmp_path, register, "--concurrency", "2")
        _wait_for_incidents(register, 8)
        process.send_signal(signal.SIGKILL)
        process.wait()
        before = len(register.incidents())
        assert before < 30, "the importer finished before it could be killed"

        result = cli(_args(sheet, simple_mapping, tmp_path), register)
        counts = register.counts()
        stored = len(register.incidents())

    statuses = _statuses(result)
    assert result.exit_code == 0
    assert stored == 30 and counts["duplicates"] == 0
    assert statuses["already imported"] + statuses["created"] == 30
    assert statuses["already imported"] >= before - 2  # in flight at the kill: reconciled instead


def test_ctrl_c_keeps_every_row_in_the_report_and_a_rerun_finishes(tmp_path, simple_mapping, cli):
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(n) for n in range(30)])
    with running_sandbox(SandboxConfig(faults=Faults(latency_ms=40))) as register:
        process = _spawn(sheet, simple_mapping, tmp_path, register, "--concurrency", "2")
        _wait_for_incidents(register, 6)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 130
        (folder,) = (tmp_path / "reports").iterdir()
        interrupted = json.loads((folder / "summary.json").read_text())
        with (folder / "results.csv").open(encoding="utf-8") as fp:
            lines = list(csv.DictReader(fp))

        result = cli(_args(sheet, simple_mapping, tmp_path), register)
        stored = len(register.incidents())
        counts = register.counts()

    assert interrupted["aborted"] == "interrupted" and interrupted["exit_code"] == 130
    assert len(lines) == 30  # finished rows keep their result
    assert {r["status"] for r in lines} <= {"created", "unknown", "failed"}
    # Only the rows in flight (two seats) may have been created; the queued ones never left.
    assert sum(r["status"] == "unknown" for r in lines) <= 2
    assert all("not sent" in r["message"] for r in lines if r["status"] == "failed")
    assert result.exit_code == 0 and stored == 30 and counts["duplicates"] == 0


@pytest.mark.slow
def test_chaos_sigkill_faults_429s_and_expiring_tokens_end_exactly_once(
    tmp_path, simple_mapping, cli
):
    """Kill the importer at several points while the register misbehaves in every way it can."""
    rows = [incident_row(n) for n in range(100)]
    rows[10]["Title"] = ""  # one invalid row that must stay reported, never sent
    sheet = write_sheet(tmp_path / "log.csv", rows)
    faults = Faults(
        fail_before_commit=0.08,
        fail_after_commit=0.08,
        drop_after_commit=0.08,
        unavailable=0.05,
        unavailable_retry_after=0.1,
        latency_ms=15,
        random_seed=11,
    )
    config = SandboxConfig(rate_limit=25, window_seconds=1.0, token_lifetime=1.5, faults=faults)
    chance = random.Random(5)
    with running_sandbox(config) as register:
        for _ in range(4):
            process = _spawn(
                sheet, simple_mapping, tmp_path, register, "--rate", "40/s", "--concurrency", "6"
            )
            # Kill it mid-run: after a random number of new incidents, at a random moment.
            _wait_for_incidents(register, len(register.incidents()) + chance.randint(3, 12))
            time.sleep(chance.uniform(0.0, 0.3))
            process.send_signal(signal.SIGKILL)
            process.wait()
        killed_at = len(register.incidents())
        assert killed_at < 99, "the kills must land before the import is complete"
        register.set_faults(fail_before_commit=0.05, fail_after_commit=0.05, drop_after_commit=0.05)
        final = cli(_args(sheet, simple_mapping, tmp_path, "--rate", "40/s"), register)
        if final.exit_code != 1 or _statuses(final).get("failed"):
            # A row can exhaust its retries under this much chaos; a re-run must finish it.
            register.set_faults(fail_before_commit=0, fail_after_commit=0, drop_after_commit=0)
            final = cli(_args(sheet, simple_mapping, tmp_path), register)
        counts = register.counts()
        stored = register.incidents()

    statuses = _statuses(final)
    assert final.exit_code == 1, final.stderr  # the one invalid row
    assert statuses["invalid"] == 1
    assert statuses["already imported"] + statuses["created"] == 99
    assert counts["duplicates"] == 0
    assert sorted(i["name"] for i in stored) == sorted(r["Title"] for r in rows if r["Title"])
