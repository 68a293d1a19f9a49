"""With a db file the register survives restarts; without one it starts empty."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx

from importer.sandbox import running_sandbox

INCIDENTS = "/api/incident/v1/incidents"


def _create(sandbox, fetch_token, body) -> str:
    headers = {"Authorization": f"Bearer {fetch_token(sandbox)}"}
    response = httpx.post(sandbox.base_url + INCIDENTS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    incident_id: str = response.json()
    return incident_id


def test_incidents_survive_a_restart_with_a_db_file(tmp_path: Path, fetch_token, make_body):
    db = tmp_path / "register.sqlite"
    with running_sandbox(db=db) as first:
        kept = _create(first, fetch_token, make_body(name="Kept"))

    with running_sandbox(db=db) as second:
        again = _create(second, fetch_token, make_body(name="Added after restart"))
        headers = {"Authorization": f"Bearer {fetch_token(second)}"}
        fetched = httpx.get(f"{second.base_url}{INCIDENTS}/{kept}", headers=headers)
        incidents = second.incidents()

    assert fetched.status_code == 200
    assert fetched.json()["name"] == "Kept"
    assert [(i["incidentId"], i["number"]) for i in incidents] == [(kept, 1), (again, 2)]


def test_db_file_can_be_inspected_with_sqlite(tmp_path: Path, fetch_token, make_body):
    db = tmp_path / "register.sqlite"
    with running_sandbox(db=db) as sandbox:
        incident_id = _create(sandbox, fetch_token, make_body(name="Inspect me"))

        with sqlite3.connect(db) as conn:  # while the server still runs (WAL)
            rows = conn.execute("SELECT incident_id, name FROM incidents").fetchall()
        conn.close()

    assert rows == [(incident_id, "Inspect me")]


def test_without_a_db_file_every_start_is_empty(fetch_token, make_body):
    with running_sandbox() as first:
        _create(first, fetch_token, make_body())

    with running_sandbox() as second:
        assert second.counts()["incidents"] == 0
