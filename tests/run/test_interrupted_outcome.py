"""Ctrl-C while a row's task is still running: what the report says comes from the ledger.

A create whose 201 the ledger has already recorded, cut short before the task returned (before
or during its stage move), was created: the row must carry the incident id, never read
"not sent: the next run sends it" (test_stages_e2e's Ctrl-C test hit this under load).
"""

from __future__ import annotations

import asyncio

from importer.ledger import EntryState, LedgerEntry
from importer.rows import RowStatus, SourceRef
from importer.run.deliver import Job
from importer.run.outcomes import outcome

INCIDENT = "3fa85f64-5717-4562-b3fc-2c963f66afa6"


def _entry(state: EntryState, incident: str | None = None) -> LedgerEntry:
    return LedgerEntry("log:T-1", "fp", state, incident, {}, "log.csv row 2", None, 1, 1, "now")


def _cancelled_task() -> asyncio.Future:
    async def cancelled() -> asyncio.Future:
        task = asyncio.ensure_future(asyncio.sleep(10))
        await asyncio.sleep(0)
        task.cancel()
        await asyncio.sleep(0)
        return task

    return asyncio.run(cancelled())


def test_a_create_the_ledger_recorded_before_the_stop_is_reported_created_with_its_id():
    job = Job(SourceRef("log.csv", None, 2), "log:T-1", "fp", {"name": "x"})
    task = _cancelled_task()
    created = {job.key: _entry(EntryState.CREATED, INCIDENT)}

    result = outcome(job, task, created, before={})

    assert result.status is RowStatus.CREATED
    assert result.incident_id == INCIDENT
    assert "not sent" not in result.message


def test_with_a_stage_the_row_is_stage_not_reached_with_its_id():
    job = Job(SourceRef("log.csv", None, 2), "log:T-1", "fp", {"name": "x"}, stage="Closed")
    task = _cancelled_task()
    created = {job.key: _entry(EntryState.CREATED, INCIDENT)}

    result = outcome(job, task, created, before={job.key: _entry(EntryState.PENDING)})

    assert result.status is RowStatus.STAGE_NOT_REACHED
    assert result.incident_id == INCIDENT
    assert "next run moves it" in result.message


def test_a_row_the_ledger_never_saw_sent_is_still_not_sent():
    job = Job(SourceRef("log.csv", None, 2), "log:T-1", "fp", {"name": "x"})
    task = _cancelled_task()

    result = outcome(job, task, {}, before={})

    assert result.status is RowStatus.FAILED
    assert "not sent" in result.message
