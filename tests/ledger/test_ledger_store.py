"""The ledger's bookkeeping on a real SQLite file: states, events, runs, schema and paths."""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from importer.errors import ConfigError, LedgerError
from importer.ledger import EntryState, Ledger, body_fingerprint, default_ledger_path
from importer.ledger import entries as ledger_entries
from importer.ledger import store as ledger_module
from importer.ledger.file import SCHEMA_VERSION

BODY = {"name": "Lost laptop", "incidentTypeName": "Phishing", "orgGroupId": "d0a6e2ad"}
INCIDENT = "f7114aef-b6b6-42d6-9249-56a467950aa7"


@pytest.fixture
def ledger(tmp_path: Path):
    with Ledger.open(tmp_path / "tenant.sqlite", command="incident-import run log.csv") as opened:
        yield opened


@pytest.fixture
def run_id(ledger: Ledger) -> int:
    return ledger.start_run({"input_sha256": "ab" * 32})


def send(ledger: Ledger, key: str, run_id: int, body: dict | None = None) -> None:
    body = body or {**BODY, "name": f"incident {key}"}
    ledger.mark_sending(
        key,
        fingerprint=body_fingerprint(body),
        body=body,
        source=f"log.csv row {key}",
        run_id=run_id,
    )


def transitions(ledger: Ledger, key: str) -> list[tuple[str | None, str, str | None]]:
    return [(e.from_state, e.to_state, e.note) for e in ledger.history(key)]


def test_a_new_ledger_is_a_wal_sqlite_file_readable_only_by_its_owner(tmp_path: Path):
    path = tmp_path / "deep" / "folder" / "tenant.sqlite"
    with Ledger.open(path, command="incident-import run"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")}
    assert {"entries", "runs", "events"} <= tables
    db.close()


def test_sending_then_created_is_recorded_with_its_audit_trail(ledger: Ledger, run_id: int):
    send(ledger, "R-1", run_id, BODY)
    entry = ledger.get_many(["R-1"])["R-1"]
    assert (entry.state, entry.attempts, entry.incident_id) == (EntryState.SENDING, 1, None)
    assert (entry.body, entry.source, entry.run_id) == (BODY, "log.csv row R-1", run_id)
    assert entry.fingerprint == body_fingerprint(BODY)

    ledger.mark_created("R-1", INCIDENT, run_id=run_id)

    entry = ledger.get_many(["R-1"])["R-1"]
    assert (entry.state, entry.incident_id, entry.reconciled) == ("created", INCIDENT, False)
    assert transitions(ledger, "R-1") == [(None, "sending", None), ("sending", "created", None)]
    assert ledger.history("R-1")[-1].incident_id == INCIDENT
    assert ledger.claimed_among([INCIDENT, "other"]) == {INCIDENT}


def test_a_reconciled_creation_is_flagged_on_the_entry_and_in_the_trail(ledger, run_id):
    send(ledger, "R-1", run_id)
    ledger.mark_created("R-1", INCIDENT, run_id=run_id, reconciled=True)
    assert ledger.get_many(["R-1"])["R-1"].reconciled is True
    assert transitions(ledger, "R-1")[-1] == ("sending", "created", "reconciled")


def test_a_created_key_is_never_sent_again(ledger: Ledger, run_id: int):
    send(ledger, "R-1", run_id)
    ledger.mark_created("R-1", INCIDENT, run_id=run_id)
    with pytest.raises(LedgerError, match=f"already incident {INCIDENT}"):
        send(ledger, "R-1", run_id)
    assert ledger.get_many(["R-1"])["R-1"].state == EntryState.CREATED


def test_an_incident_id_belongs_to_one_key_only(ledger: Ledger, run_id: int):
    send(ledger, "R-1", run_id)
    send(ledger, "R-2", run_id)
    ledger.mark_created("R-1", INCIDENT, run_id=run_id)
    with pytest.raises(LedgerError, match="already belongs to key 'R-1'"):
        ledger.mark_created("R-2", INCIDENT, run_id=run_id)
    assert ledger.get_many(["R-2"])["R-2"].state == EntryState.SENDING


def test_marking_created_twice_with_the_same_id_changes_nothing(ledger, run_id):
    send(ledger, "R-1", run_id)
    ledger.mark_created("R-1", INCIDENT, run_id=run_id)
    ledger.mark_created("R-1", INCIDENT, run_id=run_id)
    assert len(ledger.history("R-1")) == 2
    with pytest.raises(LedgerError, match="not other-id"):
        ledger.mark_created("R-1", "other-id", run_id=run_id)


@pytest.mark.parametrize(
    "mark, state",
    [
        (Ledger.mark_failed, EntryState.FAILED),
        (Ledger.mark_rejected, EntryState.REJECTED),
        (Ledger.mark_unknown, EntryState.UNKNOWN),
    ],
    ids=["failed", "rejected", "unknown"],
)
def test_a_problem_is_recorded_and_a_resend_counts_another_attempt(ledger, run_id, mark, state):
    send(ledger, "R-1", run_id)
    mark(ledger, "R-1", "HTTP 500 from the register", run_id=run_id)
    entry = ledger.get_many(["R-1"])["R-1"]
    assert (entry.state, entry.error) == (state, "HTTP 500 from the register")
    assert ledger.history("R-1")[-1].error == "HTTP 500 from the register"

    second_run = ledger.start_run({})
    send(ledger, "R-1", second_run)

    entry = ledger.get_many(["R-1"])["R-1"]
    assert (entry.state, entry.attempts, entry.error, entry.run_id) == (
        "sending",
        2,
        None,
        second_run,
    )
    assert [t[:2] for t in transitions(ledger, "R-1")] == [
        (None, "sending"), ("sending", str(state)), (str(state), "sending")
    ]  # fmt: skip


def test_a_failed_update_keeps_the_key_created(ledger: Ledger, run_id: int):
    send(ledger, "R-1", run_id)
    ledger.mark_created("R-1", INCIDENT, run_id=run_id)
    ledger.mark_failed("R-1", "PUT answered 500", run_id=run_id)
    entry = ledger.get_many(["R-1"])["R-1"]
    assert (entry.state, entry.incident_id, entry.error) == (
        "created",
        INCIDENT,
        "PUT answered 500",
    )
    assert transitions(ledger, "R-1")[-1] == ("created", "created", "update failed")


def test_an_update_replaces_body_and_fingerprint(ledger: Ledger, run_id: int):
    send(ledger, "R-1", run_id, BODY)
    ledger.mark_created("R-1", INCIDENT, run_id=run_id)
    changed = {**BODY, "description": "found in a taxi"}
    ledger.mark_updated("R-1", fingerprint=body_fingerprint(changed), body=changed, run_id=run_id)
    entry = ledger.get_many(["R-1"])["R-1"]
    assert (entry.body, entry.fingerprint, entry.state) == (
        changed,
        body_fingerprint(changed),
        "created",
    )
    assert transitions(ledger, "R-1")[-1] == ("created", "created", "updated")


def test_only_a_created_key_can_be_updated(ledger: Ledger, run_id: int):
    send(ledger, "R-1", run_id)
    with pytest.raises(LedgerError, match="it is sending, not created"):
        ledger.mark_updated("R-1", fingerprint="f", body=BODY, run_id=run_id)


@pytest.mark.parametrize(
    "mark",
    [
        lambda ledger, run: ledger.mark_created("nope", INCIDENT, run_id=run),
        lambda ledger, run: ledger.mark_failed("nope", "x", run_id=run),
        lambda ledger, run: ledger.mark_updated("nope", fingerprint="f", body={}, run_id=run),
    ],
    ids=["created", "failed", "updated"],
)
def test_marking_a_key_that_was_never_sent_is_refused(ledger, run_id, mark):
    with pytest.raises(LedgerError, match="no ledger entry for key 'nope'"):
        mark(ledger, run_id)


def test_a_change_must_name_a_run_that_was_started(ledger: Ledger):
    with pytest.raises(LedgerError, match="FOREIGN KEY"):
        send(ledger, "R-1", 999)
    assert ledger.get_many(["R-1"]) == {}


def test_get_many_returns_known_keys_across_query_batches(ledger, run_id, monkeypatch):
    monkeypatch.setattr(ledger_entries, "KEYS_PER_QUERY", 2)
    for key in ["A", "B", "C", "D", "E"]:
        send(ledger, key, run_id)
    found = ledger.get_many(["E", "A", "missing", "C", "A", "D"])
    assert sorted(found) == ["A", "C", "D", "E"]
    assert all(entry.key == key for key, entry in found.items())


def test_entries_in_pages_through_states_while_the_caller_marks_them(ledger, run_id, monkeypatch):
    monkeypatch.setattr(ledger_module, "_PAGE", 3)
    keys = [f"K{n:02d}" for n in range(10)]
    for key in keys:
        send(ledger, key, run_id)
    ledger.mark_unknown("K03", "timeout", run_id=run_id)
    ledger.mark_failed("K04", "429s", run_id=run_id)

    seen = []
    for entry in ledger.entries_in({EntryState.SENDING, EntryState.UNKNOWN}):
        seen.append(entry.key)
        ledger.mark_created(entry.key, f"id-{entry.key}", run_id=run_id, reconciled=True)

    assert sorted(seen) == sorted(set(keys) - {"K04"})
    assert len(seen) == len(set(seen))
    assert list(ledger.entries_in({EntryState.SENDING, EntryState.UNKNOWN})) == []
    assert [e.key for e in ledger.entries_in([EntryState.FAILED])] == ["K04"]


def test_runs_record_start_end_meta_command_and_counts(tmp_path: Path):
    path = tmp_path / "tenant.sqlite"
    with Ledger.open(path, command="incident-import run log.csv --mapping m.yaml") as ledger:
        run_id = ledger.start_run({"input_sha256": "ab" * 32, "inputs": [Path("log.csv")]})
        ledger.finish_run(run_id, {"created": 3, "failed": 1})
        with pytest.raises(LedgerError, match="no run 42"):
            ledger.finish_run(42, {})
    db = sqlite3.connect(path)
    db.row_factory = sqlite3.Row
    run = db.execute("SELECT * FROM runs").fetchone()
    db.close()
    assert run["command"] == "incident-import run log.csv --mapping m.yaml"
    assert json.loads(run["meta"]) == {"input_sha256": "ab" * 32, "inputs": ["log.csv"]}
    assert json.loads(run["counts"]) == {"created": 3, "failed": 1}
    assert run["started_at"] <= run["ended_at"]
    assert run["tool_version"] and run["pid"] and run["host"]


def test_the_events_table_is_append_only(ledger: Ledger, run_id: int):
    send(ledger, "R-1", run_id)
    other = sqlite3.connect(ledger.path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        other.execute("UPDATE events SET to_state = 'created'")
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):
        other.execute("DELETE FROM events")
    other.close()
    assert len(ledger.history("R-1")) == 1


def test_entries_survive_closing_and_reopening(tmp_path: Path):
    path = tmp_path / "tenant.sqlite"
    with Ledger.open(path, command="first") as ledger:
        run_id = ledger.start_run({})
        send(ledger, "R-1", run_id)
        ledger.mark_created("R-1", INCIDENT, run_id=run_id)
    with Ledger.open(path, command="second") as ledger:
        assert ledger.get_many(["R-1"])["R-1"].incident_id == INCIDENT


def test_a_ledger_is_bound_to_one_tenant(ledger: Ledger):
    ledger.check_tenant("https://app-eu.onetrust.com/api")
    ledger.check_tenant("https://APP-EU.onetrust.com:443")
    with pytest.raises(LedgerError, match=re.escape("belongs to https://app-eu.onetrust.com:443")):
        ledger.check_tenant("https://app.onetrust.com")


@pytest.mark.parametrize(
    "prepare, message",
    [
        (lambda p: p.write_bytes(b"name,title\n" * 500), "not a usable incident-import ledger"),
        (lambda p: _sqlite(p, "CREATE TABLE orders (id INTEGER)"), "not an incident-import ledger"),
        (lambda p: _sqlite(p, "PRAGMA user_version = 99"), "schema version 99"),
    ],
    ids=["csv-file", "other-sqlite-db", "newer-ledger"],
)
def test_a_file_that_is_not_a_ledger_is_refused_and_the_lock_released(tmp_path, prepare, message):
    path = tmp_path / "tenant.sqlite"
    prepare(path)
    with pytest.raises(LedgerError, match=message):
        Ledger.open(path, command="incident-import run")
    with pytest.raises(LedgerError, match=message):  # not LedgerLockedError: the lock was freed
        Ledger.open(path, command="incident-import run")


def _sqlite(path: Path, sql: str) -> None:
    db = sqlite3.connect(path)
    db.execute(sql)
    db.commit()
    db.close()


@pytest.mark.parametrize(
    "base_url, file_name",
    [
        ("https://app-eu.onetrust.com", "app-eu.onetrust.com-443.sqlite"),
        ("https://App.OneTrust.com:8443/api/", "app.onetrust.com-8443.sqlite"),
        ("http://127.0.0.1:8123", "localhost-8123.sqlite"),
        ("http://[2001:db8::1]:9000", "2001-db8-1-9000.sqlite"),
    ],
    ids=["default-port", "case-and-path", "loopback-is-localhost", "ipv6"],
)
def test_default_ledger_path_is_one_file_per_tenant_in_the_state_dir(
    tmp_path, monkeypatch, base_url, file_name
):
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    assert default_ledger_path(base_url) == (
        tmp_path / "state" / "incident-import" / "ledgers" / file_name
    )


def test_default_ledger_path_refuses_a_url_without_host():
    with pytest.raises(ConfigError, match="not a base URL"):
        default_ledger_path("app.onetrust.com")


def test_body_fingerprint_is_sha256_of_sorted_compact_json():
    body = {"name": "Été", "orgGroupId": "x", "attributeValues": {"b": [{"value": "1"}]}}
    text = '{"attributeValues":{"b":[{"value":"1"}]},"name":"Été","orgGroupId":"x"}'
    assert body_fingerprint(body) == hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.parametrize(
    "left, right, same",
    [
        ({"a": 1, "b": 2}, {"b": 2, "a": 1}, True),
        ({"a": 1, "d": None}, {"a": 1}, True),
        ({"a": {"x": None, "y": 1}}, {"a": {"y": 1}}, True),
        ({"a": 1}, {"a": "1"}, False),
        ({"a": [1, 2]}, {"a": [2, 1]}, False),
        ({"a": ""}, {"a": None}, False),
    ],
    ids=["key-order", "none-is-absent", "nested-none", "int-vs-str", "list-order", "empty-vs-none"],
)
def test_body_fingerprint_equality(left, right, same):
    assert (body_fingerprint(left) == body_fingerprint(right)) is same


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=10,
)


@given(st.dictionaries(st.text(max_size=8), json_values, max_size=6))
def test_body_fingerprint_ignores_key_order_and_survives_a_json_round_trip(body):
    reversed_body = dict(reversed(list(body.items())))
    assert body_fingerprint(reversed_body) == body_fingerprint(body)
    assert body_fingerprint(json.loads(json.dumps(body))) == body_fingerprint(body)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("http://localhost:8765", "http://127.0.0.1:8765"),
        ("http://[::1]:8765/api", "http://localhost:8765"),
        ("https://App.OneTrust.com./", "https://app.onetrust.com:443"),
    ],
    ids=["localhost-vs-ipv4", "ipv6-loopback", "case-and-trailing-dot"],
)
def test_one_tenant_spelled_two_ways_has_one_ledger(left, right):
    from importer.ledger.file import default_ledger_path, tenant_origin

    assert tenant_origin(left) == tenant_origin(right)
    assert default_ledger_path(left) == default_ledger_path(right)


def test_a_ledger_bound_to_localhost_accepts_127_0_0_1(tmp_path):
    with Ledger.open(tmp_path / "l.sqlite", command="t") as ledger:
        ledger.check_tenant("http://localhost:8765")
        ledger.check_tenant("http://127.0.0.1:8765")
        with pytest.raises(LedgerError):
            ledger.check_tenant("http://127.0.0.1:8766")
