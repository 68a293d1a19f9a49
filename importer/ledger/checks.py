"""The ledger's memory of what it checked in the register: mapping identities, adoptions,
owners of incidents, copies found after a run. Mixed into `Ledger` (store.py).

A ledger that is new, or that never ran a mapping's `name` and `key:`, cannot vouch for what
the register already holds; these records let a run check the register first (adoption
mode, docs/exactly-once.md) and keep the audit trail of what it found.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Collection
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from importer.errors import LedgerError
from importer.ledger.entries import (
    KEYS_PER_QUERY,
    EntryState,
    LedgerEntry,
    append_event,
    canonical_json,
    current_entry,
    entry_from_row,
    utc_now,
)
from importer.redact import scrub_text

__all__ = ["RegisterChecks"]

_CREATED = EntryState.CREATED


class RegisterChecks:
    """Ledger methods for adoption mode and the duplicate check (see the module docstring)."""

    _db: sqlite3.Connection
    _mutex: threading.RLock
    _secrets: list[str]

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def knows_mapping(self, identity: str) -> bool:
        """Whether a run of the mapping `identity` (its `name` and `key:` columns) has checked
        the register for every row it read and ended with none failed (`mapping_checked`).

        Until then the ledger cannot vouch for what the register already holds: its rows' keys
        are new, whatever was imported before under another name or into a lost ledger.
        """
        with self._mutex:
            row = self._db.execute(
                "SELECT 1 FROM ledger_info WHERE name = ?", (f"mapping:{identity}",)
            ).fetchone()
        return row is not None

    def mapping_checked(self, identity: str) -> None:
        """Record that the mapping `identity` has been reconciled with the register."""
        with self._write() as db:
            db.execute(
                "INSERT OR IGNORE INTO ledger_info (name, value) VALUES (?, ?)",
                (f"mapping:{identity}", utc_now()),
            )

    def owners(self, incident_ids: Collection[str]) -> dict[str, tuple[str, str | None]]:
        """`{incident_id: (owning key, mapping identity of the run that last wrote it)}`."""
        wanted = list(dict.fromkeys(incident_ids))
        found: dict[str, tuple[str, str | None]] = {}
        with self._mutex:
            for start in range(0, len(wanted), KEYS_PER_QUERY):
                batch = wanted[start : start + KEYS_PER_QUERY]
                marks = ",".join("?" * len(batch))
                rows = self._db.execute(
                    "SELECT e.incident_id, e.key, json_extract(r.meta, '$.mapping_identity')"
                    f" FROM entries e JOIN runs r USING (run_id) WHERE e.incident_id IN ({marks})",
                    batch,
                )
                found.update((row[0], (row[1], row[2])) for row in rows)
        return found

    def a_created_entry(self, *, before: datetime) -> LedgerEntry | None:
        """The latest entry created before `before` (UTC), to check that search finds it."""
        with self._mutex:
            row = self._db.execute(
                "SELECT * FROM entries WHERE state = 'created' AND updated_at < ?"
                " ORDER BY updated_at DESC LIMIT 1",
                (before.astimezone(UTC).isoformat(timespec="milliseconds"),),
            ).fetchone()
        return None if row is None else entry_from_row(row)

    def adopt(
        self,
        key: str,
        incident_id: str,
        *,
        fingerprint: str,
        body: dict[str, Any],
        source: str,
        run_id: int,
    ) -> None:
        """Record a key new to the ledger as `incident_id`, found in the register before sending."""
        at = utc_now()
        with self._write() as db:
            row = db.execute("SELECT state, attempts FROM entries WHERE key = ?", (key,)).fetchone()
            if row is not None and (row["state"] != "failed" or row["attempts"]):
                raise LedgerError(f"cannot adopt for {key!r}: the ledger has sent it before")
            owner = db.execute(
                "SELECT key FROM entries WHERE incident_id = ?", (incident_id,)
            ).fetchone()
            if owner is not None:
                raise LedgerError(f"incident {incident_id} already belongs to key {owner['key']!r}")
            db.execute(
                "INSERT OR REPLACE INTO entries (key, fingerprint, state, incident_id, body,"
                " source, attempts, run_id, updated_at, reconciled)"
                " VALUES (?, ?, 'created', ?, ?, ?, 0, ?, ?, 1)",
                (key, fingerprint, incident_id, canonical_json(body), source, run_id, at),
            )
            details = {"incident_id": incident_id, "fingerprint": fingerprint, "note": "adopted"}
            before = row["state"] if row is not None else None
            append_event(db, key, before, _CREATED, run_id, at, **details)

    def mark_failed_unsent(
        self,
        key: str,
        error: str,
        *,
        fingerprint: str,
        body: dict[str, Any],
        source: str,
        run_id: int,
    ) -> None:
        """A key that failed before any send (attempts stay 0): `--retry-failed` will retry it."""
        at, error = utc_now(), scrub_text(error, self._secrets)
        with self._write() as db:
            row = db.execute("SELECT state FROM entries WHERE key = ?", (key,)).fetchone()
            if row is not None and row["state"] != "failed":
                raise LedgerError(
                    f"cannot mark {key!r} failed before sending: it is {row['state']}"
                )
            db.execute(
                "INSERT INTO entries (key, fingerprint, state, body, source, error, attempts,"
                " run_id, updated_at) VALUES (?, ?, 'failed', ?, ?, ?, 0, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET error = excluded.error,"
                " run_id = excluded.run_id, updated_at = excluded.updated_at",
                (key, fingerprint, canonical_json(body), source, error, run_id, at),
            )
            before = row["state"] if row is not None else None
            details = {"fingerprint": fingerprint, "error": error, "note": "not sent"}
            append_event(db, key, before, EntryState.FAILED, run_id, at, **details)

    def note_duplicate(self, key: str, copy_id: str, *, run_id: int) -> None:
        """Record in the audit trail that incident `copy_id` is a second copy of `key`'s."""
        at = utc_now()
        with self._write() as db:
            row = current_entry(db, key)
            note = f"duplicate {copy_id}"
            details = {"incident_id": row["incident_id"], "note": note}
            append_event(db, key, row["state"], EntryState(row["state"]), run_id, at, **details)
