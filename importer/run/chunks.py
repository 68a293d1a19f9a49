"""One chunk at a time: map, validate, decide with the ledger what each row needs, deliver it.

Every row of a chunk ends with exactly one `RowResult`, even when the run is stopped or
interrupted halfway through the chunk (then the rows still in flight are `unknown`); a dry
run's new rows end instead as one `SameOutcome` for the chunk, a row a place in its columns.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from importer import __version__
from importer.errors import AuthError, ImporterError, LedgerError, SendError
from importer.ledger import Ledger, LedgerEntry, LedgerView
from importer.mapping import Lookups, Mapping, apply_mapping
from importer.report import ReportWriter
from importer.rows import RowError, RowResult, RowStatus, SameOutcome, SheetChunk
from importer.run.adopt import adoption_mode, mapping_identity
from importer.run.batch import ValidRows, first_of_each_key, valid_rows
from importer.run.deliver import Deliverer, Job
from importer.run.duplicates import LateCopy, after_the_last_chunk
from importer.run.exits import ExitCode, exit_code_for
from importer.run.lookups import add_users
from importer.run.oldkeys import held_by_old_keys
from importer.run.outcomes import finished, outcome
from importer.run.preview import DryRun
from importer.run.seen import KeysSeen
from importer.run.settle import SettleWindow
from importer.run.stages import StageMover, interrupted_move
from importer.run.validation import ProblemCollector
from importer.run.verdict import Action, Settings, answer_from_ledger, changes, decide
from importer.validate import validate_chunk

if TYPE_CHECKING:
    from importer.send import RegisterClient

__all__ = [
    "Action",
    "ChunkProcessor",
    "ExitCode",
    "ProgressSink",
    "Settings",
    "decide",
    "exit_code_for",
]

log = logging.getLogger("importer.run")


class ProgressSink(Protocol):
    def start(self, total: int | None) -> None: ...
    def estimate(self, total: int | None) -> None: ...
    def advance(self, results: list[RowResult]) -> None: ...
    def finish(self) -> None: ...


_SEND_FAILURES = (
    RowStatus.REJECTED,
    RowStatus.FAILED,
    RowStatus.UNKNOWN,
    RowStatus.STAGE_NOT_REACHED,
)
_ROW_PROBLEMS = (RowStatus.INVALID, *_SEND_FAILURES)


class ChunkProcessor:
    """The state of one run across chunks: keys seen, failures, whether it must stop."""

    def __init__(
        self,
        settings: Settings,
        mapping: Mapping,
        lookups: Lookups,
        client: RegisterClient | None,
        ledger: Ledger | None,
        report: ReportWriter,
        progress: ProgressSink,
        preview: LedgerView | None = None,
        problems: ProblemCollector | None = None,
    ) -> None:
        self.settings, self.mapping, self.lookups = settings, mapping, lookups
        self.client, self.ledger, self.report, self.progress = client, ledger, report, progress
        self.preview = preview  # dry runs: the ledger, read-only
        self.run_id: int | None = None
        self.deliverer: Deliverer | None = None
        self.stages: StageMover | None = None
        self.moving: dict[str, RowResult] = {}  # key → its create's result while it is moved
        self.seen = KeysSeen()  # row key -> its first row and a tag of that row's values
        self.send_failures = 0
        self.abort_reason: str | None = None
        self.copies: list[LateCopy] = []  # second incidents found after the run
        self.dry_run = DryRun(settings, mapping, report, preview)
        self.alike: SameOutcome | None = None  # this chunk's rows decided together (dry runs)
        self.refused: str | None = None  # --max-invalid: decide every row, send none
        self.problems = problems or ProblemCollector(mapping, acknowledged=settings.acknowledged)

    def start(self) -> None:
        if self.ledger is None or self.client is None:
            return
        identity = mapping_identity(self.mapping.name, self.mapping.key_columns)
        check_register = adoption_mode(self.ledger, identity, self.settings.check_register)
        window = SettleWindow(
            self.settings.request_timeout, self.settings.search_lag, self.settings.reconcile_delay
        )
        self.run_id = self.ledger.start_run(
            {
                "tool_version": __version__,
                "command": self.settings.command,
                "mapping_identity": identity,
                # How long this run's sends may take to settle: a later run with a shorter
                # --timeout still waits them out (run/deliver.py, resolve_earlier_send).
                "settle_seconds": window.seconds,
            }
        )
        self.deliverer = Deliverer(
            self.client,
            self.ledger,
            self.run_id,
            window=window,
            concurrency=self.settings.concurrency,
            check_register=check_register,
            identity=identity,
        )
        self.stages = StageMover(self.client, self.ledger, self.run_id, self.deliverer)

    async def process(self, chunk: SheetChunk) -> None:
        """Decide and deliver every row of `chunk`, then write its results in row order."""
        results: list[RowResult] = []
        self.alike = None
        try:
            await self._process(chunk, results)
        finally:
            alike, self.alike = self.alike, None
            try:
                self.problems.chunk_done(chunk, results, alike)  # marks acknowledged rows first
            finally:
                self.report.write_chunk(chunk, results, alike)  # whatever the validation report did

    async def check(self, chunk: SheetChunk) -> list[RowResult]:
        """Map and validate a chunk without sending or writing anything (`--max-invalid`)."""
        await self._add_users(chunk)
        results: list[RowResult] = []
        self._decide_locally(chunk, results)
        return results

    async def _process(self, chunk: SheetChunk, results: list[RowResult]) -> None:
        await self._add_users(chunk)
        if self.abort_reason is not None and self.refused is None:
            results.extend(self._stopped(chunk))
            self.progress.advance(results)
            return
        valid = self._decide_locally(chunk, results)
        self.progress.advance(results)  # rows decided without the register, at once
        if self.ledger is None and self.preview is None and self.abort_reason is None:
            # A dry run without a ledger: no row is held by an old key (`_held_by_old_keys`),
            # and rows without a stage are decided together (`DryRun.alike`).
            self.alike = self.dry_run.alike(valid)
        if self.alike is not None:
            self.progress.advance(self.alike.counted())
        else:
            jobs = self._held_by_old_keys(valid.jobs(), results)
            await self._send(jobs, results)
        for result in results:
            if result.status in (RowStatus.REJECTED, RowStatus.STAGE_NOT_REACHED):
                result.errors = [self._locate(e) for e in result.errors]
        self._check_threshold(results)

    def _held_by_old_keys(self, jobs: list[Job], results: list[RowResult]) -> list[Job]:
        store = self.ledger if self.ledger is not None else self.preview
        kept, held = held_by_old_keys(jobs, self.mapping.name, store)
        self.progress.advance(held)
        results.extend(held)
        return kept

    async def _add_users(self, chunk: SheetChunk) -> None:
        wanted = "users" in self.mapping.needs and self.settings.users_from_register
        if not wanted or self.client is None or self.abort_reason is not None:
            return
        try:
            emails = self.mapping.user_emails(chunk)
            self.lookups = await add_users(self.lookups, self.client, emails)
        except SendError as exc:
            self.abort_reason = f"looking up users in the register failed: {exc.message}"
            log.error("stopping the run: %s", self.abort_reason)

    def _stopped(self, chunk: SheetChunk) -> list[RowResult]:
        error = RowError(f"not sent: the run stopped ({self.abort_reason})")
        return [
            RowResult(chunk.ref(r), RowStatus.FAILED, errors=[error]) for r in chunk.frame.index
        ]

    def _decide_locally(self, chunk: SheetChunk, results: list[RowResult]) -> ValidRows:
        """Skipped and invalid rows get their result here; the rest go on together, less
        those whose key this run met before (`first_of_each_key`)."""
        mapped = apply_mapping(self.mapping, chunk, self.lookups)
        validate_chunk(chunk, mapped, self.mapping)
        name, keys, bodies = self.mapping.name, mapped.keys, mapped.bodies
        refused = _refusals_that_hold(chunk.row_errors, self.mapping)
        skipped, errors = mapped.skipped, mapped.errors
        valid: list[int] = []  # most rows: they go on as columns (`valid_rows`)
        for row in map(int, chunk.frame.index.tolist()):
            if row in bodies and row not in refused and row not in skipped and row not in errors:
                valid.append(row)
                continue
            ref = chunk.ref(row)
            row_key = f"{name}:{keys[row]}" if row in keys else None
            if row in refused:  # the reader could not read it whole
                results.append(RowResult(ref, RowStatus.INVALID, errors=refused[row], key=row_key))
            elif row in skipped:
                results.append(RowResult(ref, RowStatus.SKIPPED, note=skipped[row], key=row_key))
            elif row in errors:
                results.append(RowResult(ref, RowStatus.INVALID, errors=errors[row], key=row_key))
            else:  # a mapping that forgot a row must not lose it
                error = RowError("the mapping produced no outcome for this row (a bug)")
                results.append(RowResult(ref, RowStatus.INVALID, errors=[error], key=row_key))
        firsts, repeats = first_of_each_key(self.seen, valid_rows(name, chunk, mapped, valid))
        results.extend(repeats)
        self.problems.valid_rows(chunk, firsts.checked())
        return firsts

    async def _send(self, jobs: list[Job], results: list[RowResult]) -> None:
        if self.abort_reason is not None or self.deliverer is None or self.ledger is None:
            done = self.dry_run.results(jobs, self.abort_reason)
            self.progress.advance(done)
            results.extend(done)
            return
        entries = self.ledger.get_many(j.key for j in jobs)
        tasks = [asyncio.ensure_future(self._tracked(j, entries.get(j.key))) for j in jobs]
        try:
            await asyncio.gather(*tasks)
        finally:
            # Also on Ctrl-C: rows that finished keep their result; of the others only those
            # the ledger shows as sent may have been created (`unknown`), the rest never left,
            # and a row whose create is done but whose move was in flight is `stage not reached`.
            states = self._states_after_stop(jobs, tasks)
            for job, task in zip(jobs, tasks, strict=True):
                ended = finished(task)
                result = outcome(job, task, states, before=entries)
                moving = self.moving.pop(job.key, None)
                results.append(moving if moving is not None and not ended else result)

    def _states_after_stop(
        self, jobs: list[Job], tasks: Sequence[asyncio.Future[RowResult]]
    ) -> dict[str, LedgerEntry] | None:
        """Ledger entries of the rows whose task did not finish; None if it cannot be read."""
        open_keys = [j.key for j, t in zip(jobs, tasks, strict=True) if not finished(t)]
        if not open_keys or self.ledger is None:
            return {}
        try:
            return self.ledger.get_many(open_keys)
        except LedgerError:
            return None

    async def _tracked(self, job: Job, entry: LedgerEntry | None) -> RowResult:
        try:
            result = await self._deliver(job, entry)
            if self.stages is not None:
                # Interrupted during the move, the row is not "maybe created": it was.
                self.moving[job.key] = interrupted_move(result, job.stage)
                result = await self.stages.settle(job, result)
                self.moving.pop(job.key, None)
        except Exception as exc:  # a bug must cost one row, not the run
            log.exception("%s: unexpected error", job.source)
            message = (
                f"internal error while sending ({type(exc).__name__}: {exc}); may have been created"
            )
            result = RowResult(
                job.source, RowStatus.UNKNOWN, errors=[RowError(message)], key=job.key
            )
        self.progress.advance([result])
        return result

    async def _deliver(self, job: Job, entry: LedgerEntry | None) -> RowResult:
        """Do what the ledger says this row needs."""
        assert self.deliverer is not None
        action = decide(job, entry, self.settings)
        if action in (Action.CREATE, Action.RESOLVE_THEN_CREATE):
            return await self.deliverer.deliver(job, entry)
        if action is Action.UPDATE:
            result = await self.deliverer.deliver(job, entry, update=True)
            if result.status is RowStatus.UPDATED and not result.note:
                result.note = changes(job, entry)
            return result
        return answer_from_ledger(job, entry, action)

    def _locate(self, error: RowError) -> RowError:
        if error.field is None or error.column is not None:
            return error
        columns = self.mapping.columns_for(error.field.split(".", 1)[0])
        return RowError(error.message, field=error.field, column=", ".join(columns) or None)

    def _check_threshold(self, results: list[RowResult]) -> None:
        self.send_failures += sum(r.status in _SEND_FAILURES for r in results)
        deliverer = self.deliverer
        stop: ImporterError | None = (
            (deliverer.fatal or deliverer.storage_error) if deliverer else None
        )
        if self.abort_reason is None and stop is not None:
            self.abort_reason = stop.message
        limit = self.settings.max_failures
        if self.abort_reason is None and limit is not None and self.send_failures > limit:
            self.abort_reason = f"more than {limit} rows failed to send (--max-failures)"
        if self.abort_reason:
            log.error("stopping the run: %s", self.abort_reason)

    async def check_duplicates(self) -> None:
        """After the last chunk: find the copies a late commit made (run/duplicates.py)."""
        if self.deliverer is not None and self.run_id is not None:
            self.copies = await after_the_last_chunk(self.deliverer, self.report, self.run_id)

    def exit_code(self) -> int:
        fatal = self.deliverer.fatal if self.deliverer else None
        if isinstance(fatal, AuthError):
            return ExitCode.AUTH
        if self.deliverer is not None and self.deliverer.storage_error is not None:
            return ExitCode.CONFIG
        if self.refused is not None:
            return ExitCode.TOO_MANY_INVALID
        if self.abort_reason is not None:
            return ExitCode.ABORTED
        problems = sum(self.report.counts[s] for s in _ROW_PROBLEMS)
        if problems > self.problems.acknowledged_rows or self.copies:
            return ExitCode.ROWS_FAILED
        return ExitCode.OK


def _refusals_that_hold(
    refused: dict[int, list[RowError]], mapping: Mapping
) -> dict[int, list[RowError]]:
    """The reader's refusals, less those about one cell only (`RowError.cell_only`: a number
    format, an error cell, a formula without value) in a column the mapping never reads: the
    row's other cells are read whole and nothing of that cell is sent."""
    if not any(error.cell_only for errors in refused.values() for error in errors):
        return refused
    held = {}
    for row, errors in refused.items():
        kept = [
            e
            for e in errors
            if not (e.cell_only and e.column is not None and not mapping.may_read(e.column))
        ]
        if kept:
            held[row] = kept
    return held
