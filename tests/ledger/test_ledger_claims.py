"""What reconciliation asks the ledger: which incident ids are taken, since when a key is sent."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path

import pytest

from importer.ledger import Ledger, body_fingerprint
from importer.ledger import store as ledger_module

BODY = {"name": "Lost laptop", "incidentTypeName": "Phishing", "orgGroupId": "d0a6e2ad"}


def ledger_with_created(path: Path, count: int) -> None:
    """A ledger file whose keys K0..K<count-1> are created as incidents inc-0..inc-<count-1>."""
    with Ledger.open(path, command="test") as ledger:
        run_id = ledger.start_run({})
    db = sqlite3.connect(path)
    with db:
        db.executemany(
            "INSERT INTO entries (key, fingerprint, state, incident_id, body, source, attempts,"
            " run_id, updated_at) VALUES (?, 'f', 'created', ?, '{}', 's', 1, ?, 't')",
            ((f"K{n}", f"inc-{n}", run_id) for n in range(count)),
        )
    db.close()


def test_claimed_among_answers_only_for_the_ids_asked_in_batches(tmp_path: Path):
    path = tmp_path / "tenant.sqlite"
    ledger_with_created(path, 1_500)
    asked = [f"inc-{n}" for n in range(0, 3_000, 2)] + ["inc-4", "not-ours"]  # 1,502 ids
    with Ledger.open(path, command="test") as ledger:
        statements: list[str] = []
        ledger._db.set_trace_callback(statements.append)
        owned = ledger.claimed_among(asked)
        ledger._db.set_trace_callback(None)

    assert owned == {f"inc-{n}" for n in range(0, 1_500, 2)}
    # 1,501 distinct ids: four IN queries of at most 500, none of them a scan of the table
    assert len(statements) == 4
    assert all(
        s.startswith("SELECT incident_id FROM entries WHERE incident_id IN (") for s in statements
    )
    assert [s.count("'inc-") + s.count("'not-ours'") for s in statements] == [500, 500, 500, 1]


def test_claimed_among_uses_the_incident_id_index(tmp_path: Path):
    path = tmp_path / "tenant.sqlite"
    ledger_with_created(path, 10)
    db = sqlite3.connect(path)
    plan = db.execute(
        "EXPLAIN QUERY PLAN SELECT incident_id FROM entries WHERE incident_id IN (?, ?)",
        ("inc-1", "inc-2"),
    ).fetchall()
    db.close()
    assert "USING COVERING INDEX entries_incident_id" in plan[0][3]


def test_claimed_among_of_nothing_is_empty(tmp_path: Path):
    with Ledger.open(tmp_path / "tenant.sqlite", command="test") as ledger:
        assert ledger.claimed_among([]) == set()
        assert ledger.claimed_among(["any-id"]) == set()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The times the ledger's next writes record, in order."""
    times: list[str] = []
    monkeypatch.setattr(ledger_module, "utc_now", lambda: times.pop(0))
    return times


def at(hour: int, minute: int = 0) -> str:
    return datetime(2024, 5, 1, hour, minute, tzinfo=UTC).isoformat(timespec="milliseconds")


def test_sending_since_is_the_first_time_the_key_was_sent(tmp_path: Path, clock: list[str]):
    with Ledger.open(tmp_path / "tenant.sqlite", command="test") as ledger:
        clock.extend([at(8)])
        run_id = ledger.start_run({})
        assert ledger.sending_since("R-1") is None

        clock.extend([at(9), at(9, 5), at(10), at(11), at(11, 1)])
        sent = {"fingerprint": body_fingerprint(BODY), "body": BODY, "source": "row 2"}
        ledger.mark_sending("R-1", **sent, run_id=run_id)
        first = datetime(2024, 5, 1, 9, tzinfo=UTC)
        assert ledger.sending_since("R-1") == first

        # An ambiguous send left it unknown; later attempts may not hide the first one's incident.
        ledger.mark_unknown("R-1", "HTTP 500", run_id=run_id)
        ledger.mark_sending("R-1", **sent, run_id=run_id)
        ledger.mark_sending("R-1", **sent, run_id=run_id)
        ledger.mark_created("R-1", "inc-1", run_id=run_id)

        since = ledger.sending_since("R-1")
        assert since == first and since.tzinfo is not None and since.utcoffset().seconds == 0
        assert ledger.sending_since("never-sent") is None
        assert ledger.claimed_among(["inc-1", "inc-2"]) == {"inc-1"}
