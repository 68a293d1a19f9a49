"""The exactly-once store: one SQLite ledger per tenant, its lock, a read-only view, and
reconciliation of ambiguous sends against the register's search.
"""

from importer.ledger.reconcile import find_created, find_matching, lookalike_key
from importer.ledger.store import (
    EntryState,
    Ledger,
    LedgerEntry,
    body_fingerprint,
    default_ledger_path,
)
from importer.ledger.view import LedgerView

__all__ = [
    "EntryState",
    "Ledger",
    "LedgerEntry",
    "LedgerView",
    "body_fingerprint",
    "default_ledger_path",
    "find_created",
    "find_matching",
    "lookalike_key",
]
