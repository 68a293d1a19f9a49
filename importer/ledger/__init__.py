"""The exactly-once store: one SQLite ledger per tenant, its lock, a read-only view, and
reconciliation of ambiguous sends against the register's search.
"""

from importer.ledger.entries import body_fingerprints
from importer.ledger.reconcile import find_created, find_matching, lookalike_key
from importer.ledger.stages import StageState, StageStep
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
    "StageState",
    "StageStep",
    "body_fingerprint",
    "body_fingerprints",
    "default_ledger_path",
    "find_created",
    "find_matching",
    "lookalike_key",
]
