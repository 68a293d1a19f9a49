"""SIGTERM and SIGHUP end a run as Ctrl-C does: complete report, consistent ledger, no duplicate."""

from __future__ import annotations

import csv
import json
import os
import signal
import stat
import subprocess
import sys
import time

import pytest
from e2e_helpers import incident_row, run_args, write_sheet

from importer.ledger import EntryState, LedgerView
from importer.sandbox import Faults, SandboxConfig, running_sandbox


def _spawn(args: list[str], register) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONETRUST_")}
    env.update(
        ONETRUST_BASE_URL=register.base_url,
        ONETRUST_CLIENT_ID=register.client_id,
        ONETRUST_CLIENT_SECRET=register.client_secret,
    )
    command = [sys.executable, "-m", "importer", *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait_for_incidents(register, at_least: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while len(register.incidents()) < at_least:
        assert time.monotonic() < deadline, "the importer made no progress"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("signal_number", "exit_code"),
    [(signal.SIGTERM, 143), (signal.SIGHUP, 129)],
    ids=["SIGTERM", "SIGHUP"],
)
def test_a_stop_signal_leaves_a_complete_report_and_a_rerun_creates_no_duplicate(
    tmp_path, simple_mapping, cli, signal_number, exit_code
):
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(n) for n in range(40)])
    args = run_args(sheet, simple_mapping, tmp_path, "--concurrency", "2")
    with running_sandbox(SandboxConfig(faults=Faults(latency_ms=40))) as register:
        process = _spawn(args, register)
        _wait_for_incidents(register, 6)
        process.send_signal(signal_number)
        _, raw_stderr = process.communicate(timeout=30)
        assert process.returncode == exit_code
        stderr = raw_stderr.decode()
        created_before_rerun = {i["incidentId"] for i in register.incidents()}
        (folder,) = (tmp_path / "reports").iterdir()
        summary = json.loads((folder / "summary.json").read_text())
        manifest = json.loads((folder / "manifest.json").read_text())
        with (folder / "results.csv").open(encoding="utf-8") as fp:
            lines = list(csv.DictReader(fp))
        ledger = LedgerView.open_if_exists(tmp_path / "ledger.sqlite")
        assert ledger is not None
        try:
            entries = ledger.get_many(r["key"] for r in lines)
        finally:
            ledger.close()

        rerun = cli(run_args(sheet, simple_mapping, tmp_path), register)
        stored = register.incidents()
        counts = register.counts()

    name = signal.Signals(signal_number).name
    assert f"Error: stopped by {name}" in stderr and "Traceback" not in stderr
    assert summary["exit_code"] == exit_code == manifest["exit_code"]
    assert summary["aborted"] == f"stopped by {name}"
    assert len(lines) == 40 and sum(summary["counts"].values()) == 40
    assert {r["status"] for r in lines} <= {"created", "unknown", "failed"}
    assert sum(r["status"] == "unknown" for r in lines) <= 2  # at most the rows in flight
    # The ledger agrees with the report: every reported incident is recorded as created, and
    # every created incident in the register is in the report.
    reported = {r["incident_id"] for r in lines if r["status"] == "created"}
    ledger_created = {e.incident_id for e in entries.values() if e.state is EntryState.CREATED}
    assert reported <= ledger_created <= created_before_rerun
    assert rerun.exit_code == 0
    assert len(stored) == 40 and counts["duplicates"] == 0
    for path in [folder, *folder.iterdir()]:
        assert stat.S_IMODE(path.stat().st_mode) in (0o600, 0o700), path


def test_a_stop_signal_before_any_row_is_one_line_and_leaves_no_empty_folder(
    tmp_path, simple_mapping
):
    # The register answers slowly: once the importer has its token (so it is inside the run),
    # SIGTERM lands while it still looks up organizations, before any row is read. The lookup
    # hangs 8 s under a 60 s timeout: with 3 s and `--timeout 3` a loaded machine (CI beside
    # a suite) saw the lookup time out and the run end before the signal came.
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(n) for n in range(3)])
    args = run_args(sheet, simple_mapping, tmp_path, "--timeout", "60")
    with running_sandbox(SandboxConfig(faults=Faults(latency_ms=8_000))) as register:
        process = _spawn(args, register)
        deadline = time.monotonic() + 60
        while register.counts()["tokens_issued"] < 1:
            assert time.monotonic() < deadline, "the importer never asked for a token"
            time.sleep(0.05)
        process.send_signal(signal.SIGTERM)
        _, raw_stderr = process.communicate(timeout=30)

    stderr = raw_stderr.decode()
    assert process.returncode == 143, stderr
    assert "Error: stopped by SIGTERM" in stderr and "Traceback" not in stderr
    reports = tmp_path / "reports"
    assert not reports.exists() or not any(reports.iterdir())
