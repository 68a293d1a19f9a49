"""What the ledger's verdict means for a row: one pure function, shared by real and dry runs."""

from __future__ import annotations

import pytest

from importer.ledger import EntryState, LedgerEntry
from importer.rows import SourceRef
from importer.run.chunks import Action, Settings, decide
from importer.run.deliver import Job

JOB = Job(SourceRef("log.csv", None, 2), "log:T-1", "fp-now", {"name": "x"})


def entry(state: EntryState, fingerprint: str = "fp-now") -> LedgerEntry:
    return LedgerEntry(
        key="log:T-1",
        fingerprint=fingerprint,
        state=state,
        incident_id="uuid-1" if state is EntryState.CREATED else None,
        body={"name": "x"},
        source="log.csv row 2",
        error="HTTP 400" if state is EntryState.REJECTED else None,
        attempts=1,
        run_id=1,
        updated_at="2026-11-26T00:00:00Z",
    )


CASES = {
    "new-row": (None, Settings(), Action.CREATE),
    "new-row-while-retrying-failed": (None, Settings(retry_failed=True), Action.NOT_A_RETRY),
    "created-same-values": (entry(EntryState.CREATED), Settings(), Action.ALREADY_IMPORTED),
    "created-changed": (entry(EntryState.CREATED, "fp-old"), Settings(), Action.CHANGED),
    "created-changed-update": (
        entry(EntryState.CREATED, "fp-old"),
        Settings(update_changed=True),
        Action.UPDATE,
    ),
    "sending-left-by-a-crash": (entry(EntryState.SENDING), Settings(), Action.RESOLVE_THEN_CREATE),
    "unknown": (entry(EntryState.UNKNOWN), Settings(), Action.RESOLVE_THEN_CREATE),
    "failed-is-resent": (entry(EntryState.FAILED), Settings(), Action.CREATE),
    "rejected-same-values": (entry(EntryState.REJECTED), Settings(), Action.REJECTED_BEFORE),
    "rejected-then-fixed": (entry(EntryState.REJECTED, "fp-old"), Settings(), Action.CREATE),
    "rejected-retry-failed": (
        entry(EntryState.REJECTED),
        Settings(retry_failed=True),
        Action.CREATE,
    ),
    "pending": (entry(EntryState.PENDING), Settings(), Action.CREATE),
}


@pytest.mark.parametrize(("found", "settings", "expected"), CASES.values(), ids=CASES.keys())
def test_decide(found, settings, expected):
    assert decide(JOB, found, settings) is expected
