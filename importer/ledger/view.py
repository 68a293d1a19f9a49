"""A read-only look at a ledger, for dry runs: what a real run would do with each row.

It takes no lock (a dry run may preview while the nightly run holds it) and never writes.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from pathlib import Path

from importer.errors import LedgerError
from importer.ledger.entries import LedgerEntry, select_entries

__all__ = ["LedgerView"]


class LedgerView:
    """Entries of an existing ledger file, opened read-only."""

    def __init__(self, path: Path, db: sqlite3.Connection) -> None:
        self.path = path
        self._db = db

    @classmethod
    def open_if_exists(cls, path: Path) -> LedgerView | None:
        """The ledger at `path` read-only, or None when no run has written it yet."""
        if not path.is_file():
            return None
        try:
            db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
            db.row_factory = sqlite3.Row
            db.execute("SELECT 1 FROM entries LIMIT 1")
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot read the ledger {path}: {exc}") from exc
        return cls(path, db)

    def get_many(self, keys: Iterable[str]) -> dict[str, LedgerEntry]:
        try:
            return select_entries(self._db, keys)
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot read the ledger {self.path}: {exc}") from exc

    def knows_mapping(self, identity: str) -> bool:
        """As `Ledger.knows_mapping`: has a run of this mapping identity checked the register?"""
        try:
            row = self._db.execute(
                "SELECT 1 FROM ledger_info WHERE name = ?", (f"mapping:{identity}",)
            ).fetchone()
        except sqlite3.Error as exc:
            raise LedgerError(f"cannot read the ledger {self.path}: {exc}") from exc
        return row is not None

    def close(self) -> None:
        self._db.close()
