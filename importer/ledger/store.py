"""The exactly-once ledger: one SQLite file per tenant that remembers every row ever sent.

A row goes pending → sending (committed *before* the POST) → created / rejected / failed /
unknown. A row found in `sending` at start-up may have reached the register and must be
reconciled before it is sent again. Every change is also appended to `events`, the audit trail.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
from collections.abc import Collection, Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import importer
from importer.errors import LedgerError, LedgerWriteError
from importer.ledger.checks import RegisterChecks
from importer.ledger.entries import (
    KEYS_PER_QUERY,
    EntryState,
    LedgerEntry,
    LedgerEvent,
    append_event,
    body_fingerprint,
    canonical_json,
    current_entry,
    entry_from_row,
    event_from_row,
    select_entries,
    utc_now,
)
from importer.ledger.file import connect, default_ledger_path, tenant_origin
from importer.ledger.lock import LedgerLock
from importer.redact import redact_command_line, scrub_text, scrub_value, secret_values

__all__ = [
    "EntryState",
    "Ledger",
    "LedgerEntry",
    "LedgerEvent",
    "body_fingerprint",
    "default_ledger_path",
]

_PAGE = 500
_CREATED = EntryState.CREATED


class Ledger(RegisterChecks):
    """An open, locked ledger. Use `Ledger.open(...)` as a context manager."""

    def __init__(
        self,
        path: Path,
        db: sqlite3.Connection,
        lock: LedgerLock,
        *,
        command: str,
        secrets: list[str],
    ) -> None:
        self.path = path
        self.command = command
        self._db = db
        self._lock = lock
        self._secrets = secrets
        self._mutex = threading.RLock()  # the pipeline may call from worker threads

    @classmethod
    def open(cls, path: Path, *, command: str, secrets: Iterable[str] = ()) -> Ledger:
        """Lock and open (creating if needed) the ledger at `path`; `LedgerLockedError` if in use.

        `command` is stored redacted; `secrets` and secret-named environment variables are
        scrubbed from everything the ledger stores except row bodies.
        """
        path = Path(path)
        known = secret_values(secrets)
        command = redact_command_line(command, secrets=known)
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise LedgerError(f"cannot create the folder {path.parent}: {exc.strerror}") from exc
        lock = LedgerLock.acquire(path, command=command)
        try:
            db = connect(path)
        except BaseException:
            lock.release()
            raise
        return cls(path, db, lock, command=command, secrets=known)

    def close(self) -> None:
        """Close the database (checkpointing the WAL) and release the lock; safe to call twice."""
        with self._mutex:
            try:
                self._db.close()
            finally:
                self._lock.release()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One transaction, committed (and, with synchronous=FULL, synced) on exit."""
        with self._mutex:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    self._db.rollback()
                    raise
                self._db.commit()
            except sqlite3.Error as exc:
                kind = LedgerWriteError if _storage_failure(exc) else LedgerError
                raise kind(
                    f"cannot write the ledger {self.path}: {exc}",
                    hint="free disk space or fix the folder's permissions, then run again",
                ) from exc

    # -- runs -------------------------------------------------------------------------------

    def start_run(self, meta: dict[str, Any]) -> int:
        """Record a run's start; `meta` (input/mapping sha256, options...) is kept as JSON."""
        meta_json = json.dumps(scrub_value(meta, self._secrets), sort_keys=True, default=str)
        row = (utc_now(), importer.__version__, self.command, os.getpid(), socket.gethostname())
        with self._write() as db:
            cursor = db.execute(
                "INSERT INTO runs (started_at, tool_version, command, pid, host, meta)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (*row, meta_json),
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def run_settle_seconds(self, run_id: int) -> float | None:
        """The settle window (`settle_seconds` of its meta) run `run_id` sent with, if known."""
        with self._mutex:
            row = self._db.execute(
                "SELECT json_extract(meta, '$.settle_seconds') FROM runs WHERE run_id = ?",
                (run_id,),
            ).fetchone()
        value = row[0] if row else None
        return float(value) if isinstance(value, int | float) else None

    def finish_run(self, run_id: int, counts: dict[str, int]) -> None:
        """Record a run's end and its outcome counts."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE runs SET ended_at = ?, counts = ? WHERE run_id = ?",
                (utc_now(), json.dumps(counts, sort_keys=True), run_id),
            )
            if cursor.rowcount != 1:
                raise LedgerError(f"no run {run_id} in ledger {self.path}")

    def check_tenant(self, base_url: str) -> None:
        """Bind the ledger to a register on first use; refuse a different one afterwards."""
        tenant = tenant_origin(base_url)
        with self._write() as db:
            row = db.execute("SELECT value FROM ledger_info WHERE name = 'tenant'").fetchone()
            if row is None:
                db.execute("INSERT INTO ledger_info (name, value) VALUES ('tenant', ?)", (tenant,))
                return
        if tenant_origin(row[0]) != tenant:  # older ledgers stored the URL's own spelling
            raise LedgerError(
                f"ledger {self.path} belongs to {row[0]}, not {tenant}",
                hint="use that tenant's ledger, or choose another with --ledger",
            )

    # -- reading ----------------------------------------------------------------------------

    def get_many(self, keys: Iterable[str]) -> dict[str, LedgerEntry]:
        """The entries of those `keys` that the ledger knows; unknown keys are left out."""
        with self._mutex:
            return select_entries(self._db, keys)

    def entries_in(self, states: Collection[EntryState]) -> Iterator[LedgerEntry]:
        """Entries in any of `states`, by state then key; safe to mark entries while iterating."""
        for state in sorted(set(states)):
            after = ""
            while True:
                # Each page is read whole, so marks made between pages disturb no open cursor.
                with self._mutex:
                    rows = self._db.execute(
                        "SELECT * FROM entries WHERE state = ? AND key > ? ORDER BY key LIMIT ?",
                        (str(state), after, _PAGE),
                    ).fetchall()
                yield from (entry_from_row(row) for row in rows)
                if len(rows) < _PAGE:
                    break
                after = rows[-1]["key"]

    def claimed_among(self, incident_ids: Collection[str]) -> set[str]:
        """Which of `incident_ids` some key already owns, so reconciliation never adopts one twice.

        Batched lookups on the unique `incident_id` index: cost grows with the ids asked about,
        not with the ledger's size.
        """
        wanted = list(dict.fromkeys(incident_ids))
        owned: set[str] = set()
        with self._mutex:
            for start in range(0, len(wanted), KEYS_PER_QUERY):
                batch = wanted[start : start + KEYS_PER_QUERY]
                marks = ",".join("?" * len(batch))
                rows = self._db.execute(
                    f"SELECT incident_id FROM entries WHERE incident_id IN ({marks})", batch
                )
                owned.update(row[0] for row in rows)
        return owned

    def sending_since(self, key: str) -> datetime | None:
        """When `key` FIRST entered `sending` (UTC), or None if it never did.

        The earliest, not the latest: each attempt of a key (the ambiguous rounds of one run, or
        earlier runs that ended `unknown` or `failed`) may have created an incident that the
        register indexes late, so only the first attempt bounds when the key's incident can
        have been created. Incidents older than that cannot be the key's.
        """
        with self._mutex:
            row = self._db.execute(
                "SELECT at FROM events WHERE key = ? AND to_state = 'sending'"
                " ORDER BY event_id LIMIT 1",
                (key,),
            ).fetchone()
            if row is None:  # no trail (cannot happen through this class): fall back on the entry
                row = self._db.execute(
                    "SELECT updated_at AS at FROM entries WHERE key = ? AND state = 'sending'",
                    (key,),
                ).fetchone()
        return None if row is None else _utc(row["at"])

    def history(self, key: str) -> list[LedgerEvent]:
        """Every recorded state change of `key`, oldest first."""
        with self._mutex:
            rows = self._db.execute(
                "SELECT * FROM events WHERE key = ? ORDER BY event_id", (key,)
            ).fetchall()
        return [event_from_row(row) for row in rows]

    # -- state changes ----------------------------------------------------------------------

    def mark_sending(
        self, key: str, *, fingerprint: str, body: dict[str, Any], source: str, run_id: int
    ) -> None:
        """Record that a create is about to be sent; on disk before it returns."""
        at = utc_now()
        with self._write() as db:
            row = db.execute("SELECT * FROM entries WHERE key = ?", (key,)).fetchone()
            if row is not None and row["state"] == _CREATED:
                raise LedgerError(
                    f"refusing to create {key!r} again: it is already incident {row['incident_id']}"
                )
            db.execute(
                "INSERT INTO entries (key, fingerprint, state, body, source, attempts, run_id,"
                " updated_at) VALUES (?, ?, 'sending', ?, ?, 1, ?, ?)"
                " ON CONFLICT (key) DO UPDATE SET fingerprint = excluded.fingerprint,"
                " state = 'sending', body = excluded.body, source = excluded.source, error = NULL,"
                " attempts = entries.attempts + 1, run_id = excluded.run_id,"
                " updated_at = excluded.updated_at",
                (key, fingerprint, canonical_json(body), source, run_id, at),
            )
            before = row["state"] if row is not None else None
            append_event(db, key, before, EntryState.SENDING, run_id, at, fingerprint=fingerprint)

    def mark_created(
        self, key: str, incident_id: str, *, run_id: int, reconciled: bool = False
    ) -> None:
        """Record the incident id the register gave (or reconciliation found) for `key`."""
        at = utc_now()
        with self._write() as db:
            row = current_entry(db, key)
            if row["state"] == _CREATED and row["incident_id"] == incident_id:
                return
            if row["state"] == _CREATED:
                raise LedgerError(
                    f"key {key!r} is incident {row['incident_id']}, not {incident_id}"
                )
            owner = db.execute(
                "SELECT key FROM entries WHERE incident_id = ?", (incident_id,)
            ).fetchone()
            if owner is not None:
                raise LedgerError(f"incident {incident_id} already belongs to key {owner['key']!r}")
            db.execute(
                "UPDATE entries SET state = 'created', incident_id = ?, error = NULL, run_id = ?,"
                " updated_at = ?, reconciled = ? WHERE key = ?",
                (incident_id, run_id, at, int(reconciled), key),
            )
            note = "reconciled" if reconciled else None
            append_event(
                db, key, row["state"], _CREATED, run_id, at, incident_id=incident_id, note=note
            )

    def mark_updated(
        self, key: str, *, fingerprint: str, body: dict[str, Any], run_id: int
    ) -> None:
        """Record that a created incident was updated (PUT) to `body`."""
        at = utc_now()
        with self._write() as db:
            row = current_entry(db, key)
            if row["state"] != _CREATED:
                raise LedgerError(f"cannot update {key!r}: it is {row['state']}, not created")
            db.execute(
                "UPDATE entries SET fingerprint = ?, body = ?, error = NULL, run_id = ?,"
                " updated_at = ? WHERE key = ?",
                (fingerprint, canonical_json(body), run_id, at, key),
            )
            details = {"incident_id": row["incident_id"], "fingerprint": fingerprint}
            append_event(db, key, _CREATED, _CREATED, run_id, at, note="updated", **details)

    def mark_rejected(self, key: str, error: str, *, run_id: int) -> None:
        """The register refused the body (400)."""
        self._mark_problem(key, EntryState.REJECTED, error, run_id=run_id)

    def mark_failed(self, key: str, error: str, *, run_id: int) -> None:
        """Certainly not created: retries exhausted, fatal error, run aborted."""
        self._mark_problem(key, EntryState.FAILED, error, run_id=run_id)

    def mark_unknown(self, key: str, error: str, *, run_id: int) -> None:
        """Maybe created, and reconciliation could not tell."""
        self._mark_problem(key, EntryState.UNKNOWN, error, run_id=run_id)

    def _mark_problem(self, key: str, state: EntryState, error: str, *, run_id: int) -> None:
        at = utc_now()
        error = scrub_text(error, self._secrets)
        with self._write() as db:
            row = current_entry(db, key)
            # On a created key this is a failed update: the incident exists, so the key stays
            # created; otherwise a later --retry-failed would create it a second time.
            new_state = _CREATED if row["state"] == _CREATED else state
            db.execute(
                "UPDATE entries SET state = ?, error = ?, run_id = ?, updated_at = ? WHERE key = ?",
                (str(new_state), error, run_id, at, key),
            )
            note = f"update {state}" if new_state is _CREATED else None
            details = {"incident_id": row["incident_id"], "error": error, "note": note}
            append_event(db, key, row["state"], new_state, run_id, at, **details)


# SQLite primary result codes of a disk that refuses writes (https://sqlite.org/rescode.html)
_SQLITE_STORAGE = {3, 8, 10, 13, 14}  # PERM, READONLY, IOERR, FULL, CANTOPEN


def _storage_failure(exc: sqlite3.Error) -> bool:
    code = getattr(exc, "sqlite_errorcode", None)
    return code is not None and code & 0xFF in _SQLITE_STORAGE


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
