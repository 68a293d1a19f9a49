"""The bounded soak: 2,000 rows, every register fault at once, five SIGKILLs, then the
register checked incident by incident against the ledger."""

from __future__ import annotations

import random
import signal
import time

import pytest
from e2e_helpers import incident_row, write_sheet
from test_register_faults import _args, _spawn, _statuses, assert_each_row_once

from importer.sandbox import Faults, SandboxConfig, running_sandbox

ROWS = 2000
WINDOW = ("--timeout", "1", "--search-lag", "0.5")
FAULTS = Faults(
    fail_before_commit=0.04,
    fail_after_commit=0.08,
    drop_after_commit=0.04,
    unavailable=0.02,
    unavailable_retry_after=0.05,
    commit_delay_ms=15,
    search_lag_ms=300,
    search_empty=0.05,
    search_ignore_sort=0.5,
    search_omit_empty=0.5,
    random_seed=2026,
)
QUIET = {
    "fail_before_commit": 0.0,
    "fail_after_commit": 0.0,
    "drop_after_commit": 0.0,
    "unavailable": 0.0,
    "search_empty": 0.0,
}


@pytest.mark.slow
@pytest.mark.soak
def test_two_thousand_rows_five_kills_every_fault_each_row_once(tmp_path, simple_mapping, cli):
    rows = [incident_row(n) for n in range(ROWS)]
    for n in range(0, ROWS - 1, 7):  # look-alike pairs: B is A without its description
        rows[n + 1] = {**rows[n], "Ref": rows[n + 1]["Ref"], "Details": ""}
    sheet = write_sheet(tmp_path / "log.csv", rows)
    config = SandboxConfig(rate_limit=120, window_seconds=1.0, token_lifetime=5.0, faults=FAULTS)
    chance = random.Random(10)
    run = (*WINDOW, "--rate", "150/s", "--concurrency", "8")
    with running_sandbox(config) as register:
        for _ in range(5):
            process = _spawn(sheet, simple_mapping, tmp_path, register, *run)
            target = register.counts()["incidents"] + chance.randint(80, 250)
            deadline = time.monotonic() + 90
            while register.counts()["incidents"] < target and process.poll() is None:
                assert time.monotonic() < deadline, "the importer made no progress"
                time.sleep(0.05)
            time.sleep(chance.uniform(0.0, 0.3))
            process.send_signal(signal.SIGKILL)
            process.wait()
        assert register.counts()["incidents"] < ROWS, "the kills must land before the end"

        faulty = cli(_args(sheet, simple_mapping, tmp_path, *run), register)
        register.set_faults(**QUIET)  # rows left unknown or failed by the faults settle now
        final = cli(_args(sheet, simple_mapping, tmp_path, *run), register)

        assert faulty.exit_code in (0, 1), faulty.stderr
        assert final.exit_code == 0, final.stderr
        assert _statuses(final)["already imported"] + _statuses(final)["created"] == ROWS
        assert register.counts()["duplicates"] == 0
        assert_each_row_once(register, rows, tmp_path)
