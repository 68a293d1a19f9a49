"""Stage moves: after a row's incident exists, move it to the workflow stage the row names.

A move is the ledger's stage step (ledger/stages.py), separate from the create: it is marked
`moving` before the request, so a crash between create and move leaves the create `created`
and the move to do, and the next run sends it. Moves go through the client's own endpoint
(`move_incident_stage`), paced on their own quota and retried like any idempotent call.

A refused move (an unknown stage, one the workflow cannot reach) leaves the row `stage not
reached` with the incident's id: the incident exists, its stage is not the row's. A refusal
after an earlier attempt may only mean the move already happened, so the incident is read back
before a refusal is believed.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from importer.errors import FatalSendError, RowRejectedError, SendError
from importer.ledger import Ledger, StageStep
from importer.rows import RowError, RowResult, RowStatus
from importer.run.deliver import Deliverer, Job, rejection_errors

if TYPE_CHECKING:
    from importer.send import RegisterClient

__all__ = ["StageMover", "interrupted_move", "preview_stage"]

log = logging.getLogger("importer.stages")

# Outcomes after which the row's incident certainly exists and is the ledger's.
_EXISTS = (RowStatus.CREATED, RowStatus.UPDATED, RowStatus.ALREADY_IMPORTED, RowStatus.CHANGED)
_WOULD_EXIST = (RowStatus.WOULD_CREATE, RowStatus.WOULD_UPDATE, *_EXISTS)


@dataclass
class StageMover:
    """Moves the incidents of finished rows to their stage, one ledger step each."""

    client: RegisterClient
    ledger: Ledger
    run_id: int
    deliverer: Deliverer

    async def settle(self, job: Job, result: RowResult) -> RowResult:
        """`result`, after moving its incident to `job.stage` if the ledger says it is not there."""
        incident = result.incident_id
        if job.stage is None or incident is None or result.status not in _EXISTS:
            return result
        step = self.ledger.stages.get_many([job.key]).get(job.key)
        if step is not None and step.incident_id == incident and step.done_for(job.stage):
            result.stage = step.reached
            return result
        if self.deliverer.fatal is not None:
            reason = f"not moved: the run stopped ({self.deliverer.fatal.message})"
            return _not_reached(result, job.stage, reason, step.reached if step else None)
        return await self._move(job, result, incident, job.stage)

    async def _move(self, job: Job, result: RowResult, incident: str, target: str) -> RowResult:
        self.ledger.stages.mark_moving(job.key, incident, target, run_id=self.run_id)
        try:
            moved = await self.client.move_incident_stage(incident, target)
        except RowRejectedError as exc:
            return await self._refused(job, result, incident, target, exc)
        except SendError as exc:
            if isinstance(exc, FatalSendError):
                self.deliverer.fatal = exc
            self.ledger.stages.mark_failed(job.key, exc.message, run_id=self.run_id)
            reason = f"moving it failed ({exc.message}); the next run moves it"
            return _not_reached(result, target, reason, None)
        self.ledger.stages.mark_moved(job.key, moved.stage_name, run_id=self.run_id)
        _reached(result, moved.stage_name)
        result.attempts += moved.attempts
        return result

    async def _refused(
        self, job: Job, result: RowResult, incident: str, target: str, exc: RowRejectedError
    ) -> RowResult:
        current = await self._current_stage(incident)
        if current == target:  # already there: an earlier, unanswered move, or its first stage
            self.ledger.stages.mark_moved(job.key, target, run_id=self.run_id)
            _reached(result, target, f"in stage {target}")
            return result
        prefix = "rejected by the register: "
        detail = "; ".join(e.message.removeprefix(prefix) for e in rejection_errors(exc))
        self.ledger.stages.mark_refused(job.key, detail, run_id=self.run_id)
        reason = f"the register refused the move (HTTP {exc.status_code}): {detail}"
        return _not_reached(result, target, reason, current)

    async def _current_stage(self, incident: str) -> str | None:
        try:
            found = await self.client.get_incident(incident)
        except SendError as exc:
            log.warning("incident %s: cannot read its stage back: %s", incident, exc.message)
            return None
        stage = (found or {}).get("incidentStageName")
        return stage if isinstance(stage, str) else None


def _reached(result: RowResult, stage: str, note: str | None = None) -> None:
    result.stage = stage
    moved = note or f"moved to stage {stage}"
    result.note = f"{result.note}; {moved}" if result.note else moved
    result.decided_at = time.time()


def _not_reached(result: RowResult, target: str, reason: str, current: str | None) -> RowResult:
    """The incident exists; its stage is not `target`. The row says exactly that."""
    message = f"incident {result.incident_id} exists but is not in stage {target!r}: {reason}"
    return RowResult(
        result.source,
        RowStatus.STAGE_NOT_REACHED,
        incident_id=result.incident_id,
        http_status=result.http_status,
        attempts=result.attempts,
        errors=[*result.errors, RowError(message, field="stage")],
        note=result.note,
        key=result.key,
        reconciled=result.reconciled,
        stage=current,
    )


def interrupted_move(result: RowResult, target: str | None) -> RowResult:
    """What to report if the run is interrupted while `result`'s incident is being moved."""
    if target is None or result.incident_id is None or result.status not in _EXISTS:
        return result
    reason = "the run was interrupted while moving it; the next run moves it"
    return _not_reached(result, target, reason, None)


def preview_stage(job: Job, result: RowResult, step: StageStep | None) -> RowResult:
    """Dry runs: say which rows a real run would move, from the ledger's stage steps."""
    if job.stage is None or result.status not in _WOULD_EXIST:
        return result
    if step is not None and step.incident_id == result.incident_id and step.done_for(job.stage):
        result.stage = step.reached
        return result
    would = f"would move to stage {job.stage}"
    result.note = f"{result.note}; {would}" if result.note else would
    return result
