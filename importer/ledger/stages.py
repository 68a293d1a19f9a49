"""The ledger's stage step: moving a created incident to the workflow stage its row names.

A move is its own step after the create, with its own state, so a crash between the two
neither duplicates the incident (the create step is `created`) nor forgets the move (the
stage step is missing or `moving`, and the next run sends it). States:

    moving   the move is about to be sent (committed before the POST)
    moved    the register answered the stage: `reached` is its name
    refused  the register refused the move (400/404): the incident stays where it was
    failed   sending gave up (retries exhausted, run stopped): the next run tries again

Every change is also written to the key's audit trail (`events`, note `stage ...`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from importer.errors import LedgerError
from importer.ledger.entries import KEYS_PER_QUERY, EntryState, append_event, utc_now
from importer.redact import scrub_text

__all__ = ["StageState", "StageStep", "StageSteps", "select_stage_steps"]

# Schema version 2 of the ledger (see file.py): the table of stage steps.
STAGES_TABLE = """
CREATE TABLE stages (
    key          TEXT PRIMARY KEY REFERENCES entries (key),
    incident_id  TEXT NOT NULL,
    target       TEXT NOT NULL,          -- the stage the row names
    state        TEXT NOT NULL CHECK (state IN ('moving', 'moved', 'refused', 'failed')),
    reached      TEXT,                   -- the stage the register answered, once moved
    error        TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    run_id       INTEGER NOT NULL REFERENCES runs (run_id),
    updated_at   TEXT NOT NULL
);
"""


class StageState(StrEnum):
    MOVING = "moving"
    MOVED = "moved"
    REFUSED = "refused"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class StageStep:
    """The ledger's memory of one key's stage move."""

    key: str
    incident_id: str
    target: str
    state: StageState
    reached: str | None
    error: str | None
    attempts: int
    updated_at: str

    def done_for(self, target: str) -> bool:
        """The incident is in `target` as far as the ledger knows: nothing to send."""
        return self.state is StageState.MOVED and self.reached == target


def select_stage_steps(db: sqlite3.Connection, keys: Iterable[str]) -> dict[str, StageStep]:
    """The stage steps of those `keys` that have one, in batched indexed queries."""
    wanted = list(dict.fromkeys(keys))
    found: dict[str, StageStep] = {}
    for start in range(0, len(wanted), KEYS_PER_QUERY):
        batch = wanted[start : start + KEYS_PER_QUERY]
        marks = ",".join("?" * len(batch))
        rows = db.execute(f"SELECT * FROM stages WHERE key IN ({marks})", batch)
        found.update((row["key"], _step(row)) for row in rows)
    return found


def _step(row: sqlite3.Row) -> StageStep:
    return StageStep(
        key=row["key"],
        incident_id=row["incident_id"],
        target=row["target"],
        state=StageState(row["state"]),
        reached=row["reached"],
        error=row["error"],
        attempts=row["attempts"],
        updated_at=row["updated_at"],
    )


Writer = Callable[[], AbstractContextManager[sqlite3.Connection]]


class StageSteps:
    """Stage steps of an open `Ledger` (its `stages` attribute); every write is one transaction."""

    def __init__(
        self,
        db: sqlite3.Connection,
        mutex: AbstractContextManager[Any],
        write: Writer,
        secrets: list[str],
    ) -> None:
        self._db = db
        self._mutex = mutex
        self._write = write
        self._secrets = secrets

    def get_many(self, keys: Iterable[str]) -> dict[str, StageStep]:
        """The stage steps of those `keys` that have one."""
        with self._mutex:
            return select_stage_steps(self._db, keys)

    def mark_moving(self, key: str, incident_id: str, target: str, *, run_id: int) -> None:
        """Record that a move to `target` is about to be sent; on disk before it returns."""
        at = utc_now()
        with self._write() as db:
            db.execute(
                "INSERT INTO stages (key, incident_id, target, state, attempts, run_id, updated_at)"
                " VALUES (?, ?, ?, 'moving', 1, ?, ?) ON CONFLICT (key) DO UPDATE SET"
                " incident_id = excluded.incident_id, target = excluded.target, state = 'moving',"
                " error = NULL, attempts = stages.attempts + 1, run_id = excluded.run_id,"
                " updated_at = excluded.updated_at",
                (key, incident_id, target, run_id, at),
            )
            self._event(db, key, incident_id, run_id, at, f"stage moving to {target}")

    def mark_moved(self, key: str, reached: str, *, run_id: int) -> None:
        """The register answered the stage `reached`."""
        self._finish(key, StageState.MOVED, run_id=run_id, reached=reached)

    def mark_refused(self, key: str, error: str, *, run_id: int) -> None:
        """The register refused the move: the incident exists, its stage is not the row's."""
        self._finish(key, StageState.REFUSED, run_id=run_id, error=error)

    def mark_failed(self, key: str, error: str, *, run_id: int) -> None:
        """Sending the move gave up; the next run sends it again."""
        self._finish(key, StageState.FAILED, run_id=run_id, error=error)

    def _finish(
        self,
        key: str,
        state: StageState,
        *,
        run_id: int,
        reached: str | None = None,
        error: str | None = None,
    ) -> None:
        at = utc_now()
        error = scrub_text(error, self._secrets) if error else None
        with self._write() as db:
            row = db.execute("SELECT * FROM stages WHERE key = ?", (key,)).fetchone()
            if row is None:
                raise LedgerError(f"no stage step for key {key!r}: mark_moving comes first")
            db.execute(
                "UPDATE stages SET state = ?, reached = COALESCE(?, reached), error = ?,"
                " run_id = ?, updated_at = ? WHERE key = ?",
                (str(state), reached, error, run_id, at, key),
            )
            note = f"stage {state}: {reached or row['target']}"
            self._event(db, key, row["incident_id"], run_id, at, note, error)

    @staticmethod
    def _event(
        db: sqlite3.Connection,
        key: str,
        incident_id: str,
        run_id: int,
        at: str,
        note: str,
        error: str | None = None,
    ) -> None:
        created = EntryState.CREATED
        details: dict[str, Any] = {"incident_id": incident_id, "note": note, "error": error}
        append_event(db, key, str(created), created, run_id, at, **details)
