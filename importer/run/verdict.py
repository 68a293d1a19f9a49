"""What a valid row needs, judged from its ledger entry: one pure function that real and dry
runs share, and the results of the rows the register need not see."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum, auto

from importer.ledger import EntryState, LedgerEntry
from importer.rows import RowError, RowResult, RowStatus
from importer.run.adopt import Job
from importer.run.deliver import is_unresolved
from importer.run.validation import Acknowledged
from importer.validate import changed_fields

__all__ = ["NOT_A_RETRY", "Action", "Settings", "answer_from_ledger", "changes", "decide"]

NOT_A_RETRY = "not sent: --retry-failed only re-sends rows that failed before"


@dataclass(frozen=True)
class Settings:
    """The run options that decide what a row needs."""

    update_changed: bool = False
    retry_failed: bool = False
    max_failures: int | None = None
    reconcile_delay: float = 2.0
    request_timeout: float = 30.0
    search_lag: float = 30.0
    check_register: str = "auto"  # auto | always | never: search before creating new rows
    concurrency: int = 4
    users_from_register: bool = True
    command: list[str] = field(default_factory=list)
    acknowledged: Acknowledged = field(default_factory=Acknowledged)  # do not fail the run


class Action(Enum):
    """What a valid row needs, judged from its ledger entry."""

    CREATE = auto()
    RESOLVE_THEN_CREATE = auto()  # an earlier send is unresolved: search, then create if absent
    UPDATE = auto()
    ALREADY_IMPORTED = auto()
    CHANGED = auto()
    REJECTED_BEFORE = auto()
    NOT_A_RETRY = auto()


def decide(job: Job, entry: LedgerEntry | None, settings: Settings) -> Action:
    """The one place that reads the ledger's verdict on a row; pure, so dry runs share it."""
    if entry is not None and is_unresolved(entry):
        return Action.RESOLVE_THEN_CREATE
    if entry is not None and entry.state is EntryState.CREATED:
        if entry.fingerprint == job.fingerprint:
            return Action.ALREADY_IMPORTED
        return Action.UPDATE if settings.update_changed else Action.CHANGED
    if entry is None:
        return Action.NOT_A_RETRY if settings.retry_failed else Action.CREATE
    same_values = entry.fingerprint == job.fingerprint
    if entry.state is EntryState.REJECTED and same_values and not settings.retry_failed:
        return Action.REJECTED_BEFORE
    return Action.CREATE


def changes(job: Job, entry: LedgerEntry | None) -> str:
    """`changed: name: 'Old' → 'New' | deadline: (empty) → '...'`: what a re-export changed."""
    found = changed_fields(entry.body, job.body) if entry is not None else []
    return "changed: " + (" | ".join(found) or "the row's values")


def answer_from_ledger(job: Job, entry: LedgerEntry | None, action: Action) -> RowResult:
    """The result of a row the register need not see."""
    incident = entry.incident_id if entry else None
    if action is Action.ALREADY_IMPORTED:
        return RowResult(job.source, RowStatus.ALREADY_IMPORTED, incident_id=incident, key=job.key)
    if action is Action.CHANGED:
        note = f"{changes(job, entry)}; use --update-changed to update it"
        status = RowStatus.CHANGED
        return RowResult(job.source, status, incident_id=incident, note=note, key=job.key)
    if action is Action.NOT_A_RETRY:
        return RowResult(job.source, RowStatus.SKIPPED, key=job.key, note=NOT_A_RETRY)
    assert entry is not None and action is Action.REJECTED_BEFORE
    message = f"rejected in an earlier run with these same values: {entry.error}"
    hint = "fix the row, or use --retry-failed to send it again"
    return RowResult(
        job.source, RowStatus.REJECTED, errors=[RowError(message)], note=hint, key=job.key
    )
