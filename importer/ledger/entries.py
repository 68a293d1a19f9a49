"""The ledger's values (entry states, entries, audit events, body fingerprints) and their rows."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from itertools import chain
from typing import Any

import orjson

from importer.errors import LedgerError

__all__ = [
    "EntryState",
    "LedgerEntry",
    "LedgerEvent",
    "append_event",
    "body_fingerprint",
    "body_fingerprints",
    "canonical_json",
    "current_entry",
    "entry_from_row",
    "event_from_row",
    "utc_now",
]


class EntryState(StrEnum):
    PENDING = "pending"  # known, not sent yet
    SENDING = "sending"  # a POST may be in flight: reconcile before resending
    CREATED = "created"
    REJECTED = "rejected"  # 400: the body must change before it can succeed
    FAILED = "failed"  # certainly not created (retries exhausted, run aborted)
    UNKNOWN = "unknown"  # maybe created, and the register could not be searched


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """The ledger's memory of one row key."""

    key: str
    fingerprint: str
    state: EntryState
    incident_id: str | None
    body: dict[str, Any]
    source: str  # "file[sheet] row 17"
    error: str | None
    attempts: int  # how many times a create was started for this key, over all runs
    run_id: int
    updated_at: str
    reconciled: bool = False  # the incident id was adopted from a search, not from a 201


@dataclass(frozen=True, slots=True)
class LedgerEvent:
    """One line of the audit trail: a key moved from one state to another."""

    key: str
    from_state: EntryState | None
    to_state: EntryState
    run_id: int
    at: str
    incident_id: str | None
    fingerprint: str | None
    error: str | None
    note: str | None  # "reconciled", "updated", "update failed", ...


def _drop_nones(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _drop_nones(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_drop_nones(v) for v in value]
    return value


_PLAIN = (str, bool, int)  # leaves orjson spells as `json` does (bool is an int)


def _has_float(value: Any) -> bool:
    if isinstance(value, _PLAIN) or value is None:
        return False
    if isinstance(value, dict):
        return any(_has_float(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_has_float(v) for v in value)
    return True  # a float, or something orjson might spell its own way


def canonical_json(body: dict[str, Any]) -> str:
    """Sorted keys, no spaces, UTF-8 kept as is: the same body always gives the same text.

    orjson writes the very text `json.dumps(sort_keys=True, separators=(",", ":"),
    ensure_ascii=False)` writes for strings, integers, booleans, null, lists and objects with
    text keys (tests pin it), ~10× faster; floats (whose spelling differs: `1e16` against
    `1e+16`) and anything orjson refuses take the `json` path, so fingerprints never change.
    """
    if not _has_float(body):
        try:
            return orjson.dumps(body, option=orjson.OPT_SORT_KEYS).decode("utf-8")
        except (orjson.JSONEncodeError, UnicodeDecodeError):
            pass  # a lone surrogate, a huge integer, a key that is not text...
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


_TEXT_ONLY = frozenset({str})


def body_fingerprint(body: dict[str, Any]) -> str:
    """SHA-256 hex of the body's canonical JSON; a field set to None counts as absent."""
    if _TEXT_ONLY.issuperset(map(type, body.values())):  # most bodies: flat text, nothing to drop
        try:
            return hashlib.sha256(orjson.dumps(body, option=orjson.OPT_SORT_KEYS)).hexdigest()
        except orjson.JSONEncodeError:
            pass  # a lone surrogate: the json path below fails on it as it always did
    return hashlib.sha256(canonical_json(_drop_nones(body)).encode("utf-8")).hexdigest()


def body_fingerprints(bodies: Sequence[dict[str, Any]]) -> list[str]:
    """`body_fingerprint` of each body; a chunk of flat text bodies is type-checked in one pass."""
    if _TEXT_ONLY.issuperset(map(type, chain.from_iterable(map(dict.values, bodies)))):
        try:
            sort = orjson.OPT_SORT_KEYS
            return [hashlib.sha256(orjson.dumps(b, option=sort)).hexdigest() for b in bodies]
        except orjson.JSONEncodeError:
            pass  # a lone surrogate: each body its own way, as below
    return [body_fingerprint(body) for body in bodies]


def entry_from_row(row: sqlite3.Row) -> LedgerEntry:
    return LedgerEntry(
        key=row["key"],
        fingerprint=row["fingerprint"],
        state=EntryState(row["state"]),
        incident_id=row["incident_id"],
        body=json.loads(row["body"]),
        source=row["source"],
        error=row["error"],
        attempts=row["attempts"],
        run_id=row["run_id"],
        updated_at=row["updated_at"],
        reconciled=bool(row["reconciled"]),
    )


def event_from_row(row: sqlite3.Row) -> LedgerEvent:
    return LedgerEvent(
        key=row["key"],
        from_state=EntryState(row["from_state"]) if row["from_state"] else None,
        to_state=EntryState(row["to_state"]),
        run_id=row["run_id"],
        at=row["at"],
        incident_id=row["incident_id"],
        fingerprint=row["fingerprint"],
        error=row["error"],
        note=row["note"],
    )


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def current_entry(db: sqlite3.Connection, key: str) -> sqlite3.Row:
    """The entries row of `key`; a key never sent is the caller's bug, so it raises."""
    row: sqlite3.Row | None = db.execute("SELECT * FROM entries WHERE key = ?", (key,)).fetchone()
    if row is None:
        raise LedgerError(f"no ledger entry for key {key!r}: mark_sending comes first")
    return row


def append_event(
    db: sqlite3.Connection,
    key: str,
    from_state: str | None,
    to_state: EntryState,
    run_id: int,
    at: str,
    **details: str | None,
) -> None:
    """Append to the audit trail; `details` may give incident_id, fingerprint, error, note."""
    extra = tuple(details.get(name) for name in ("incident_id", "fingerprint", "error", "note"))
    db.execute(
        "INSERT INTO events (key, from_state, to_state, run_id, at, incident_id, fingerprint,"
        " error, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (key, from_state, str(to_state), run_id, at, *extra),
    )


KEYS_PER_QUERY = 500  # well under SQLite's limit on bound parameters


def select_entries(db: sqlite3.Connection, keys: Iterable[str]) -> dict[str, LedgerEntry]:
    """The entries of those `keys` that the ledger knows, in batched indexed queries."""
    wanted = list(dict.fromkeys(keys))
    found: dict[str, LedgerEntry] = {}
    for start in range(0, len(wanted), KEYS_PER_QUERY):
        batch = wanted[start : start + KEYS_PER_QUERY]
        marks = ",".join("?" * len(batch))
        rows = db.execute(f"SELECT * FROM entries WHERE key IN ({marks})", batch)
        found.update((row["key"], entry_from_row(row)) for row in rows)
    return found
