"""Dry runs: what a real run would do with each valid row, read from the ledger, never sent.

A dry run previews a real run's decision (`decide`) against a read-only view of the ledger a
real run would use, writes each body it would send to `would_send.jsonl`, and says which rows
a real run would move to a workflow stage.
"""

from __future__ import annotations

from importer.ledger import LedgerEntry, LedgerView
from importer.mapping import Mapping
from importer.report import ReportWriter
from importer.rows import RowError, RowResult, RowStatus, SameOutcome, SourceRef
from importer.run.adopt import Job, mapping_identity
from importer.run.batch import ValidRows
from importer.run.stages import preview_stage
from importer.run.verdict import Action, Settings, answer_from_ledger, changes, decide

__all__ = ["DryRun"]

ADOPTION_NOTE = "a real run searches the register first and adopts an exact match (adoption)"
_EARLIER_SEND = "an earlier send may have created it: a real run searches the register first"
_WOULD_SEND = (Action.CREATE, Action.RESOLVE_THEN_CREATE, Action.UPDATE)


class DryRun:
    """The results a dry run gives the valid rows of each chunk, in the jobs' order."""

    def __init__(
        self, settings: Settings, mapping: Mapping, report: ReportWriter, view: LedgerView | None
    ) -> None:
        self.settings, self.mapping, self.report, self.view = settings, mapping, report, view
        self._adoption: bool | None = None

    def results(self, jobs: list[Job], abort_reason: str | None) -> list[RowResult]:
        """One result a job; the bodies a real run would send go to `would_send.jsonl`."""
        view = self.view
        known = view.get_many(j.key for j in jobs) if view else {}
        steps = view.stage_steps(j.key for j in jobs) if view else {}
        if abort_reason is None and not known:
            results = self._all_new(jobs)
        else:
            results = [self._result(job, known.get(job.key), abort_reason) for job in jobs]
        return [
            preview_stage(job, result, steps.get(job.key)) if job.stage is not None else result
            for job, result in zip(jobs, results, strict=True)
        ]

    def alike(self, valid: ValidRows) -> SameOutcome | None:
        """`results` of rows the ledger cannot know (a dry run without one), when none has a
        stage and a new row would be created: one decision and one write for the chunk, no
        object a row. None when the rows need `results` one at a time."""
        if self.view is not None or not valid.rows or any(s is not None for s in valid.stages):
            return None
        first = Job(
            SourceRef(valid.file, valid.sheet, valid.rows[0]),
            valid.keys[0],
            valid.fingerprints[0],
            valid.bodies[0],
        )
        if decide(first, None, self.settings) is not Action.CREATE:  # depends on settings only
            return None
        note = ADOPTION_NOTE if self.checks_register() else ""
        self.report.write_would_send_rows(
            valid.file, valid.sheet, valid.rows, valid.keys, valid.bodies
        )
        return SameOutcome(
            valid.file, valid.sheet, valid.rows, valid.keys, RowStatus.WOULD_CREATE, note
        )

    def _all_new(self, jobs: list[Job]) -> list[RowResult]:
        """`_result` of jobs the ledger knows none of: one decision for all (it depends only
        on the settings then), without the per-row checks."""
        if not jobs:
            return []
        action = decide(jobs[0], None, self.settings)
        if action is not Action.CREATE:
            return [self._result(job, None, None) for job in jobs]
        note = ADOPTION_NOTE if self.checks_register() else ""
        write, status = self.report.write_would_send, RowStatus.WOULD_CREATE
        results = []
        for job in jobs:
            write(job.source, job.key, job.body)
            results.append(RowResult(job.source, status, key=job.key, note=note))
        return results

    def _result(self, job: Job, entry: LedgerEntry | None, abort_reason: str | None) -> RowResult:
        if abort_reason is not None:
            error = RowError(f"not sent: the run stopped ({abort_reason})")
            return RowResult(job.source, RowStatus.FAILED, errors=[error], key=job.key)
        action = decide(job, entry, self.settings)  # a dry run previews a real run's decision
        if action in _WOULD_SEND:
            self.report.write_would_send(job.source, job.key, job.body)
        if action is Action.UPDATE:
            incident = entry.incident_id if entry else None
            note = changes(job, entry)
            return RowResult(
                job.source, RowStatus.WOULD_UPDATE, incident_id=incident, note=note, key=job.key
            )
        if action is Action.RESOLVE_THEN_CREATE:
            return RowResult(job.source, RowStatus.WOULD_CREATE, note=_EARLIER_SEND, key=job.key)
        if action is Action.CREATE:
            note = ADOPTION_NOTE if self.checks_register() else ""
            return RowResult(job.source, RowStatus.WOULD_CREATE, key=job.key, note=note)
        return answer_from_ledger(job, entry, action)

    def checks_register(self) -> bool:
        """Whether the real run would search before creating (adoption mode, run/adopt.py)."""
        if self._adoption is None:
            mode = self.settings.check_register
            identity = mapping_identity(self.mapping.name, self.mapping.key_columns)
            unchecked = self.view is None or not self.view.knows_mapping(identity)
            self._adoption = mode == "always" or (mode == "auto" and unchecked)
        return self._adoption
