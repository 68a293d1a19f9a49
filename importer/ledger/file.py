"""Where a ledger file lives, and its SQLite schema, versioned with `PRAGMA user_version`.

A new version appends a migration to `_MIGRATIONS`; opening a ledger brings it up to date in
one transaction. A ledger written by a newer tool is refused rather than guessed at.
"""

from __future__ import annotations

import ipaddress
import os
import re
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit

from importer.errors import ConfigError, LedgerError
from importer.ledger.stages import STAGES_TABLE

__all__ = [
    "SCHEMA_VERSION",
    "canonical_host",
    "connect",
    "default_ledger_path",
    "migrate",
    "tenant_origin",
]


def _host_port(base_url: str) -> tuple[str, str, int]:
    parts = urlsplit(base_url)
    if not parts.hostname:
        raise ConfigError(f"not a base URL: {base_url!r}", hint="e.g. https://app.onetrust.com")
    return (
        parts.scheme,
        canonical_host(parts.hostname),
        parts.port or (80 if parts.scheme == "http" else 443),
    )


def canonical_host(host: str) -> str:
    """One spelling per host: lower case, no trailing dot, IDNA (`xn--`) for non-ASCII names,
    and every loopback spelling (`localhost`, `127.0.0.1`, `::1`, ...) as `localhost`.

    Two spellings of one tenant must never mean two ledgers: each would create every row anew.
    """
    name = host.strip().rstrip(".").lower()
    try:
        address = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        if name == "localhost" or name.endswith(".localhost"):
            return "localhost"
        try:
            return name.encode("idna").decode("ascii")
        except UnicodeError:
            return name
    if address.is_loopback:
        return "localhost"
    return address.compressed


def tenant_origin(base_url: str) -> str:
    """`https://app.onetrust.com:443`: what identifies a tenant, whatever path the URL has."""
    scheme, host, port = _host_port(base_url)
    return f"{scheme}://{host}:{port}"


def default_ledger_path(base_url: str) -> Path:
    """`<user state dir>/ledgers/<host>-<port>.sqlite`: one ledger per tenant."""
    import platformdirs  # a dry run without a register has no tenant

    _, host, port = _host_port(base_url)
    slug = re.sub(r"[^a-z0-9.]+", "-", f"{host}-{port}").strip("-")
    return platformdirs.user_state_path("incident-import") / "ledgers" / f"{slug}.sqlite"


_V1 = """
CREATE TABLE runs (
    run_id       INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at   TEXT NOT NULL,
    ended_at     TEXT,
    tool_version TEXT NOT NULL,
    command      TEXT NOT NULL,          -- redacted: never holds a secret
    pid          INTEGER NOT NULL,
    host         TEXT NOT NULL,
    meta         TEXT NOT NULL,          -- JSON: input/mapping sha256, options, ...
    counts       TEXT                    -- JSON, set by finish_run
);

CREATE TABLE entries (
    key          TEXT PRIMARY KEY,       -- the row key, or the body fingerprint without one
    fingerprint  TEXT NOT NULL,          -- sha256 of the canonical body last sent
    state        TEXT NOT NULL CHECK (state IN
                   ('pending', 'sending', 'created', 'rejected', 'failed', 'unknown')),
    incident_id  TEXT,
    body         TEXT NOT NULL,          -- JSON of the body last sent
    source       TEXT NOT NULL,          -- "file[sheet] row 17"
    error        TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    run_id       INTEGER NOT NULL REFERENCES runs (run_id),
    updated_at   TEXT NOT NULL,
    reconciled   INTEGER NOT NULL DEFAULT 0
);
-- One incident belongs to at most one key: reconciliation can never adopt it twice.
CREATE UNIQUE INDEX entries_incident_id ON entries (incident_id) WHERE incident_id IS NOT NULL;
CREATE INDEX entries_state_key ON entries (state, key);

CREATE TABLE events (
    event_id     INTEGER PRIMARY KEY AUTOINCREMENT,
    key          TEXT NOT NULL,
    from_state   TEXT,                   -- NULL when the key is first seen
    to_state     TEXT NOT NULL,
    run_id       INTEGER NOT NULL REFERENCES runs (run_id),
    at           TEXT NOT NULL,
    incident_id  TEXT,
    fingerprint  TEXT,
    error        TEXT,
    note         TEXT                    -- "reconciled", "updated", ...
);
CREATE INDEX events_key ON events (key);
CREATE TRIGGER events_no_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'the events table is append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'the events table is append-only'); END;

CREATE TABLE ledger_info (
    name  TEXT PRIMARY KEY,              -- e.g. "tenant"
    value TEXT NOT NULL
);
"""

# version reached -> script from the version before; 2 adds the stage steps (stages.py)
_MIGRATIONS: dict[int, str] = {1: _V1, 2: STAGES_TABLE}
SCHEMA_VERSION = max(_MIGRATIONS)


def migrate(db: sqlite3.Connection, *, path: str) -> None:
    """Create or upgrade the schema of an open ledger; refuse foreign or newer files."""
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise LedgerError(
            f"ledger {path} has schema version {version}; this tool knows up to {SCHEMA_VERSION}",
            hint="upgrade incident-import",
        )
    if version == 0 and db.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0]:
        raise LedgerError(
            f"{path} is an SQLite database but not an incident-import ledger",
            hint="choose another --ledger path",
        )
    for target in range(version + 1, SCHEMA_VERSION + 1):
        # executescript() commits first, so BEGIN inside the script makes the step atomic.
        script = (
            f"BEGIN IMMEDIATE;\n{_MIGRATIONS[target]}\nPRAGMA user_version = {target};\nCOMMIT;"
        )
        try:
            db.executescript(script)
        except sqlite3.Error:
            if db.in_transaction:
                db.rollback()
            raise


def connect(path: Path) -> sqlite3.Connection:
    """Open the ledger file in WAL mode with full syncs and an up-to-date schema."""
    try:
        # Incident bodies can be sensitive: the file is 0600 (its -wal and -shm copy that mode).
        os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as exc:
        raise LedgerError(f"cannot open the ledger {path}: {exc}") from exc
    try:
        db.row_factory = sqlite3.Row
        mode = db.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise LedgerError(
                f"ledger {path} cannot use write-ahead logging (journal mode {mode})",
                hint="put the ledger on a local disk",
            )
        # FULL: a commit is on disk when it returns, so `sending` survives a crash or power cut.
        db.execute("PRAGMA synchronous = FULL")
        db.execute("PRAGMA foreign_keys = ON")
        migrate(db, path=str(path))
    except sqlite3.DatabaseError as exc:
        db.close()
        raise LedgerError(
            f"{path} is not a usable incident-import ledger: {exc}",
            hint="choose another --ledger path",
        ) from exc
    except BaseException:
        db.close()
        raise
    return db
