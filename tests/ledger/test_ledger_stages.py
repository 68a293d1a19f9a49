"""The ledger's stage step: its own state per key, kept across runs, audited, upgraded into."""

from __future__ import annotations

import sqlite3

import pytest

from importer.errors import LedgerError
from importer.ledger import Ledger, LedgerView, StageState
from importer.ledger.file import _V1, SCHEMA_VERSION

KEY = "log:T-1"
INCIDENT = "f7114aef-b6b6-42d6-9249-56a467950aa7"


def _created(ledger: Ledger) -> int:
    run = ledger.start_run({})
    ledger.mark_sending(
        KEY, fingerprint="f", body={"name": "x"}, source="log.csv row 2", run_id=run
    )
    ledger.mark_created(KEY, INCIDENT, run_id=run)
    return run


def test_a_move_is_remembered_across_opens_and_written_to_the_audit_trail(tmp_path):
    path = tmp_path / "ledger.sqlite"
    with Ledger.open(path, command="test") as ledger:
        run = _created(ledger)
        ledger.stages.mark_moving(KEY, INCIDENT, "Closed", run_id=run)
        moving = ledger.stages.get_many([KEY])[KEY]
        ledger.stages.mark_moved(KEY, "Closed", run_id=run)

    with Ledger.open(path, command="test") as ledger:
        step = ledger.stages.get_many([KEY, "log:unknown"])
        notes = [e.note for e in ledger.history(KEY)]

    assert moving.state is StageState.MOVING and not moving.done_for("Closed")
    assert list(step) == [KEY]
    assert step[KEY].state is StageState.MOVED and step[KEY].reached == "Closed"
    assert step[KEY].done_for("Closed") and not step[KEY].done_for("New")
    assert notes == [None, None, "stage moving to Closed", "stage moved: Closed"]


def test_a_new_target_restarts_the_step_and_counts_attempts(tmp_path):
    with Ledger.open(tmp_path / "ledger.sqlite", command="test") as ledger:
        run = _created(ledger)
        ledger.stages.mark_moving(KEY, INCIDENT, "Closd", run_id=run)
        ledger.stages.mark_refused(KEY, "not a stage", run_id=run)
        refused = ledger.stages.get_many([KEY])[KEY]
        ledger.stages.mark_moving(KEY, INCIDENT, "Closed", run_id=run)
        ledger.stages.mark_failed(KEY, "HTTP 503", run_id=run)
        failed = ledger.stages.get_many([KEY])[KEY]

    assert (refused.state, refused.error, refused.reached) == (
        StageState.REFUSED,
        "not a stage",
        None,
    )
    assert (failed.state, failed.target, failed.attempts) == (StageState.FAILED, "Closed", 2)


def test_finishing_a_move_that_was_never_started_is_refused(tmp_path):
    with Ledger.open(tmp_path / "ledger.sqlite", command="test") as ledger:
        run = _created(ledger)
        with pytest.raises(LedgerError, match="mark_moving comes first"):
            ledger.stages.mark_moved(KEY, "Closed", run_id=run)


def test_a_secret_in_a_move_error_is_scrubbed(tmp_path):
    with Ledger.open(tmp_path / "l.sqlite", command="test", secrets=["s3cr3t-value"]) as ledger:
        run = _created(ledger)
        ledger.stages.mark_moving(KEY, INCIDENT, "Closed", run_id=run)
        ledger.stages.mark_failed(KEY, "echoed s3cr3t-value back", run_id=run)
        error = ledger.stages.get_many([KEY])[KEY].error

    assert error is not None and "s3cr3t-value" not in error


def test_a_version_1_ledger_is_upgraded_and_keeps_its_entries(tmp_path):
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    db.executescript(f"{_V1}\nPRAGMA user_version = 1;")
    db.execute(
        "INSERT INTO runs (started_at, tool_version, command, pid, host, meta)"
        " VALUES ('2026-01-01T00:00:00+00:00', '0.1.0', 'x', 1, 'h', '{}')"
    )
    db.execute(
        "INSERT INTO entries (key, fingerprint, state, incident_id, body, source, run_id,"
        f" updated_at) VALUES ('{KEY}', 'f', 'created', '{INCIDENT}', '{{}}', 's', 1, 'now')"
    )
    db.commit()
    db.close()

    with Ledger.open(path, command="test") as ledger:
        entry = ledger.get_many([KEY])[KEY]
        steps = ledger.stages.get_many([KEY])
    version = sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0]

    assert entry.incident_id == INCIDENT and steps == {}
    assert version == SCHEMA_VERSION == 2


def test_the_dry_run_view_reads_stage_steps_and_copes_with_an_old_ledger(tmp_path):
    path = tmp_path / "ledger.sqlite"
    with Ledger.open(path, command="test") as ledger:
        run = _created(ledger)
        ledger.stages.mark_moving(KEY, INCIDENT, "Closed", run_id=run)
        ledger.stages.mark_moved(KEY, "Closed", run_id=run)
    old = tmp_path / "old.sqlite"
    db = sqlite3.connect(old)
    db.executescript(f"{_V1}\nPRAGMA user_version = 1;")
    db.close()

    view = LedgerView.open_if_exists(path)
    old_view = LedgerView.open_if_exists(old)
    assert view is not None and old_view is not None
    try:
        assert view.stage_steps([KEY])[KEY].reached == "Closed"
        assert old_view.stage_steps([KEY]) == {}
    finally:
        view.close()
        old_view.close()
