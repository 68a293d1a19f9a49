"""A job's result once its send task is over: finished, or cut short by a stop (Ctrl-C, a
signal, a fatal error), when the ledger says whether it may have been created."""

from __future__ import annotations

import asyncio

from importer.ledger import EntryState, LedgerEntry
from importer.rows import RowError, RowResult, RowStatus
from importer.run.adopt import Job
from importer.run.deliver import is_unresolved
from importer.run.stages import interrupted_move

__all__ = ["finished", "outcome"]

_INTERRUPTED = "interrupted while sending: may have been created; the next run checks"
_NEVER_SENT = "not sent: the run was stopped before this row's turn; the next run sends it"


def finished(task: asyncio.Future[RowResult]) -> bool:
    return task.done() and not task.cancelled() and task.exception() is None


def outcome(
    job: Job,
    task: asyncio.Future[RowResult],
    states: dict[str, LedgerEntry] | None,
    *,
    before: dict[str, LedgerEntry],
) -> RowResult:
    if finished(task):
        return task.result()
    task.cancel()
    entry = states.get(job.key) if states is not None else None
    earlier = before.get(job.key)
    if (
        entry is not None
        and entry.state is EntryState.CREATED
        and entry.incident_id is not None
        and (earlier is None or earlier.state is not EntryState.CREATED)
    ):
        # The ledger recorded this run's create before the stop reached the task (its stage
        # move, if any, never finished): the incident exists, and the row says which it is.
        created = RowResult(
            job.source,
            RowStatus.CREATED,
            incident_id=entry.incident_id,
            note="the run was stopped after the create",
            key=job.key,
            reconciled=entry.reconciled,
        )
        return interrupted_move(created, job.stage)
    if states is not None and (entry is None or not is_unresolved(entry)):
        return RowResult(job.source, RowStatus.FAILED, errors=[RowError(_NEVER_SENT)], key=job.key)
    return RowResult(job.source, RowStatus.UNKNOWN, errors=[RowError(_INTERRUPTED)], key=job.key)
