"""The register's incidents: SQLite in memory, or in a file (WAL) that survives restarts.

One connection guarded by a lock, so the store is safe to share between threads.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from importer.sandbox.schema import instant

__all__ = ["SORTABLE", "IncidentStore", "SearchQuery"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS incidents (
    number             INTEGER PRIMARY KEY,  -- the register's sequence number
    incident_id        TEXT NOT NULL UNIQUE,
    name               TEXT NOT NULL,
    description        TEXT,
    incident_type_name TEXT NOT NULL,
    org_group_id       TEXT NOT NULL,
    date_occurred      TEXT,                 -- normalized to UTC so equal instants group together
    created_date       TEXT NOT NULL,
    search_text        TEXT NOT NULL,        -- what fullText searches, case-folded
    body               TEXT NOT NULL         -- the incident as GET returns it, JSON
)
"""

# API name of a search filter or sort key -> column
FILTER_COLUMNS = {
    "incidentId": "incident_id",
    "orgGroupId": "org_group_id",
    "incidentTypeName": "incident_type_name",
    "number": "number",
}
SORTABLE = {
    "createdDate": "created_date",
    "number": "number",
    "name": "name",
    "dateOccurred": "date_occurred",
    "incidentTypeName": "incident_type_name",
}


@dataclass(frozen=True)
class SearchQuery:
    """A checked search: filters are API names -> accepted values (any of them matches)."""

    full_text: str | None = None
    filters: dict[str, list[Any]] = field(default_factory=dict)
    page: int = 0
    size: int = 20
    sort: str = "number"
    descending: bool = False
    created_before: str | None = None  # only incidents created before (search lag)


class IncidentStore:
    """Stored incidents as plain JSON dicts; `add` assigns incidentId, number and createdDate."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            str(path) if path else ":memory:", check_same_thread=False, isolation_level=None
        )
        if path:
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.execute(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def add(
        self, fields: dict[str, Any], search_text: str, *, created_date: str | None = None
    ) -> dict[str, Any]:
        """Store a new incident made of the validated body `fields`; return it as GET shows it.

        `created_date` backdates it (admin seeding of an org's history); default: now."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                (number,) = self._conn.execute(
                    "SELECT COALESCE(MAX(number), 0) + 1 FROM incidents"
                ).fetchone()
                incident = {
                    "incidentId": str(uuid.uuid4()),
                    "number": number,
                    "createdDate": created_date or _now(),
                    "lastModifiedDate": None,
                    **fields,
                }
                self._conn.execute(
                    "INSERT INTO incidents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (number, incident["incidentId"], *_columns(incident, search_text)),
                )
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
        return incident

    def replace(
        self, incident_id: str, fields: dict[str, Any], search_text: str
    ) -> dict[str, Any] | None:
        """Overwrite an incident's fields (PUT); None if there is no such incident."""
        with self._lock:
            old = self._get(incident_id)
            if old is None:
                return None
            keep = {
                k: old.get(k) for k in ("incidentId", "number", "createdDate", "linkedInventories")
            }
            incident = {**keep, "lastModifiedDate": _now(), **fields}
            self._conn.execute(
                "UPDATE incidents SET name=?, description=?, incident_type_name=?, org_group_id=?,"
                " date_occurred=?, created_date=?, search_text=?, body=? WHERE incident_id=?",
                (*_columns(incident, search_text), incident_id),
            )
        return incident

    def get(self, incident_id: str) -> dict[str, Any] | None:
        with self._lock:
            return self._get(incident_id)

    def _get(self, incident_id: str) -> dict[str, Any] | None:
        row = self._conn.execute(
            "SELECT body FROM incidents WHERE incident_id = ?", (incident_id,)
        ).fetchone()
        return json.loads(row[0]) if row else None

    def search(self, query: SearchQuery) -> tuple[list[dict[str, Any]], int]:
        """One page of matching incidents and the total number of matches."""
        where, params = ["1 = 1"], []
        if query.full_text:
            where.append("instr(search_text, ?) > 0")
            params.append(query.full_text.casefold())
        for name, values in query.filters.items():
            where.append(f"{FILTER_COLUMNS[name]} IN ({', '.join('?' * len(values))})")
            params.extend(values)
        if query.created_before is not None:
            where.append("created_date < ?")
            params.append(query.created_before)
        condition = " AND ".join(where)
        order = f"{SORTABLE[query.sort]} {'DESC' if query.descending else 'ASC'}, number"
        with self._lock:
            (total,) = self._conn.execute(
                f"SELECT COUNT(*) FROM incidents WHERE {condition}", params
            ).fetchone()
            rows = self._conn.execute(
                f"SELECT body FROM incidents WHERE {condition} ORDER BY {order} LIMIT ? OFFSET ?",
                [*params, query.size, query.page * query.size],
            ).fetchall()
        return [json.loads(body) for (body,) in rows], total

    def all(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._conn.execute("SELECT body FROM incidents ORDER BY number").fetchall()
        return [json.loads(body) for (body,) in rows]

    def count(self) -> int:
        with self._lock:
            (total,) = self._conn.execute("SELECT COUNT(*) FROM incidents").fetchone()
        return int(total)

    def duplicates(self) -> tuple[int, int]:
        """`(extra copies, groups)` of incidents with same name, org, dateOccurred, description."""
        with self._lock:
            extra, groups = self._conn.execute(
                "SELECT COALESCE(SUM(n - 1), 0), COUNT(*) FROM ("
                " SELECT COUNT(*) AS n FROM incidents"
                " GROUP BY name, org_group_id, date_occurred, description HAVING n > 1)"
            ).fetchone()
        return int(extra), int(groups)

    def clear(self) -> None:
        with self._lock:
            self._conn.execute("DELETE FROM incidents")


def _columns(incident: dict[str, Any], search_text: str) -> tuple[Any, ...]:
    occurred = incident.get("dateOccurred")
    return (
        incident["name"],
        incident.get("description"),
        incident["incidentTypeName"],
        incident["orgGroupId"],
        instant(occurred).isoformat() if occurred else None,
        incident["createdDate"],
        search_text.casefold(),
        json.dumps(incident, ensure_ascii=False),
    )


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
