"""Delivering one valid row to the register exactly once, with the ledger as the source of truth.

The rule that makes it exactly-once: a row is marked `sending` durably *before* its POST, and an
outcome that may or may not have created the incident (500, timeout, dropped connection) is never
resent blindly: the register is searched first, and a match is adopted instead of sending again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from importer.errors import (
    AmbiguousSendError,
    FatalSendError,
    LedgerError,
    LedgerWriteError,
    RetryableSendError,
    RowRejectedError,
    SendError,
)
from importer.ledger import EntryState, Ledger, LedgerEntry, find_created, lookalike_key
from importer.rows import RowError, RowResult, RowStatus
from importer.run.adopt import Job, adopt_existing
from importer.run.settle import SettleWindow, search_finds_known_incident, settled_search

if TYPE_CHECKING:
    from importer.send import RegisterClient

__all__ = ["Deliverer", "Job", "update_body"]

log = logging.getLogger("importer.deliver")

# After this many ambiguous outcomes that each searched as "not created", stop resending the row.
MAX_AMBIGUOUS_ROUNDS = 3
# An incident the register says it created this long before our send began cannot be ours,
# whatever the clocks of the two machines say.
CLOCK_SKEW = timedelta(minutes=15)
_CREATE_ONLY_FIELDS = ("linkedInventories", "autoAssessJurisdictions")


@dataclass(frozen=True, slots=True)
class Suspect:
    """A row whose create was ambiguous: a late commit may still make a second incident."""

    job: Job
    settled_at: datetime  # when every send of the row has settled (see run/settle.py)


def update_body(body: dict[str, Any]) -> dict[str, Any]:
    """PUT takes create's shape without the link fields."""
    return {k: v for k, v in body.items() if k not in _CREATE_ONLY_FIELDS}


@dataclass
class Deliverer:
    """Sends jobs with the ledger; stops sending after the first error that ends the run."""

    client: RegisterClient
    ledger: Ledger
    run_id: int
    window: SettleWindow = field(default_factory=SettleWindow)
    concurrency: int = 4
    # Search the register before creating a row the ledger has never seen (adoption mode).
    check_register: bool = False
    identity: str | None = None  # the mapping's name and key columns (see ChunkProcessor)
    fatal: FatalSendError | None = None
    # The first ledger write the disk refused: nothing more is sent after it.
    storage_error: LedgerWriteError | None = None
    # Rows whose create was ambiguous in this run: checked for late copies after the run.
    suspects: list[Suspect] = field(default_factory=list)

    def __post_init__(self) -> None:
        # Rows enter `sending` only when a seat is free, so a crash leaves at most `concurrency`
        # rows to reconcile, not every row queued behind the pacer.
        self._seats = asyncio.Semaphore(self.concurrency)
        self._lookalikes: dict[str, tuple[asyncio.Lock, int]] = {}
        # Any send a crashed earlier run left in flight began before this run started.
        self._started = datetime.now(UTC)

    async def deliver(
        self, job: Job, entry: LedgerEntry | None, *, update: bool = False
    ) -> RowResult:
        """Create (or, with `update`, PUT) one row, first resolving an earlier unfinished send."""
        async with self._one_lookalike_at_a_time(job.body), self._seats:
            try:
                if entry is not None and is_unresolved(entry):
                    resolved = await self.resolve_earlier_send(job, entry)
                    if resolved is not None:
                        return resolved
                if update and entry is not None:
                    return await self.update(job, entry)
                if self.check_register and (entry is None or entry.attempts == 0):
                    adopted = await adopt_existing(
                        self.client,
                        self.ledger,
                        job,
                        identity=self.identity,
                        run_id=self.run_id,
                        started=self._started,
                    )
                    if adopted is not None:
                        return adopted
                return await self.create(job)
            except LedgerWriteError as exc:
                # After a send: the entry stays `sending`, so the next run searches first.
                self.storage_error = self.storage_error or exc
                return self._unknown(job, f"the ledger could not record the outcome: {exc}")
            except LedgerError as exc:
                # The ledger refused a transition (e.g. an id another key owns): never guess.
                log.error("%s: %s", job.source, exc.message)
                return self._unknown(job, f"the ledger refused this row's outcome: {exc.message}")

    @asynccontextmanager
    async def _one_lookalike_at_a_time(self, body: dict[str, Any]) -> AsyncIterator[None]:
        """Rows that reconciliation could not tell apart are never in flight together.

        Otherwise one row's search could adopt the incident a look-alike row is creating.
        """
        signature = lookalike_key(body)
        lock, users = self._lookalikes.get(signature, (asyncio.Lock(), 0))
        self._lookalikes[signature] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._lookalikes[signature]
            if users == 1:
                del self._lookalikes[signature]
            else:
                self._lookalikes[signature] = (lock, users - 1)

    async def create(self, job: Job) -> RowResult:
        attempts = 0
        for _ in range(MAX_AMBIGUOUS_ROUNDS):
            if self.fatal is not None or self.storage_error is not None:
                return self._not_sent(job)
            try:
                self.ledger.mark_sending(
                    job.key,
                    fingerprint=job.fingerprint,
                    body=job.body,
                    source=str(job.source),
                    run_id=self.run_id,
                )
            except LedgerWriteError as exc:
                self.storage_error = self.storage_error or exc
                return self._not_sent(job)  # not in the ledger as sending: certainly not sent
            try:
                created = await self.client.create_incident(job.body)
            except RowRejectedError as exc:
                self.ledger.mark_rejected(job.key, _detail_text(exc), run_id=self.run_id)
                return self._result(job, RowStatus.REJECTED, exc, attempts + exc.attempts)
            except AmbiguousSendError as exc:
                attempts += exc.attempts
                result = await self._reconcile(job, exc, attempts)
                if result is not None:
                    return result
                log.info("%s: not in the register after %s; sending again", job.source, exc)
                continue
            except FatalSendError as exc:
                self.fatal = exc
                self.ledger.mark_failed(job.key, exc.message, run_id=self.run_id)
                return self._result(job, RowStatus.FAILED, exc, attempts + exc.attempts)
            except RetryableSendError as exc:
                self.ledger.mark_failed(job.key, exc.message, run_id=self.run_id)
                return self._result(job, RowStatus.FAILED, exc, attempts + exc.attempts)
            note = ""
            try:
                self.ledger.mark_created(job.key, created.incident_id, run_id=self.run_id)
            except LedgerWriteError as exc:
                self.storage_error = self.storage_error or exc
                note = "created, but the ledger could not record it; the next run finds it"
            return RowResult(
                job.source,
                RowStatus.CREATED,
                incident_id=created.incident_id,
                http_status=created.status_code,
                attempts=attempts + created.attempts,
                key=job.key,
                note=note,
            )
        # Each search came back empty, but the register may index late: say so, and let the
        # next run search again before it sends.
        message = (
            f"may have been created: {MAX_AMBIGUOUS_ROUNDS} sends ended in server errors and "
            "searches did not find it; the next run searches again before sending"
        )
        self.ledger.mark_unknown(job.key, message, run_id=self.run_id)
        return self._unknown(job, message, attempts)

    async def resolve_earlier_send(self, job: Job, entry: LedgerEntry) -> RowResult | None:
        """A row an earlier run left `sending`/`unknown`: adopt its incident, or None to send."""
        # An `unknown` row's last send had ended when it was marked; a `sending` row's may have
        # gone on until the crash, which was before this run started.
        sent_by = _utc(entry.updated_at) if entry.state is EntryState.UNKNOWN else self._started
        # That send lived as long as the --timeout of the run that made it, which may have been
        # longer than this run's: wait out the longer of the two windows.
        earlier = self.ledger.run_settle_seconds(entry.run_id) or 0.0
        deadline = sent_by + timedelta(seconds=max(self.window.seconds, earlier))
        try:
            found = await self._settled_search(job.key, entry.body, deadline)
        except SendError as exc:
            return self._unknown(job, f"an earlier send may have created it; search failed: {exc}")
        self.suspects.append(Suspect(job, deadline))
        if found is None:
            return None
        self.ledger.mark_created(job.key, found, run_id=self.run_id, reconciled=True)
        note = "reconciled: an interrupted earlier send had created it"
        if entry.fingerprint != job.fingerprint:
            note += " (row changed since; not updated)"
        return RowResult(
            job.source,
            RowStatus.CREATED,
            incident_id=found,
            note=note,
            key=job.key,
            reconciled=True,
        )

    async def update(self, job: Job, entry: LedgerEntry) -> RowResult:
        if self.fatal is not None or entry.incident_id is None:
            return self._not_sent(job)
        try:
            status = await self.client.update_incident(entry.incident_id, update_body(job.body))
        except SendError as exc:
            if isinstance(exc, FatalSendError):
                self.fatal = exc
            return self._result(job, RowStatus.FAILED, exc, exc.attempts, entry.incident_id)
        self.ledger.mark_updated(
            job.key, fingerprint=job.fingerprint, body=job.body, run_id=self.run_id
        )
        return RowResult(
            job.source,
            RowStatus.UPDATED,
            incident_id=entry.incident_id,
            http_status=status,
            attempts=1,
            key=job.key,
        )

    async def _reconcile(
        self, job: Job, exc: AmbiguousSendError, attempts: int
    ) -> RowResult | None:
        # The request began before now: it has settled one window from now at the latest.
        deadline = self.window.deadline(datetime.now(UTC))
        self.suspects.append(Suspect(job, deadline))
        try:
            found = await self._settled_search(job.key, job.body, deadline)
        except SendError as search_exc:
            self.ledger.mark_unknown(job.key, f"{exc}; search failed", run_id=self.run_id)
            return self._unknown(
                job,
                f"may have been created ({exc}); the register could not be searched "
                f"({search_exc}); the next run checks again",
                attempts,
                exc.status_code,
            )
        if found is None:
            return None
        self.ledger.mark_created(job.key, found, run_id=self.run_id, reconciled=True)
        return RowResult(
            job.source,
            RowStatus.CREATED,
            incident_id=found,
            http_status=exc.status_code,
            attempts=attempts,
            note=f"reconciled: {exc.message}, but the incident was found in the register",
            key=job.key,
            reconciled=True,
        )

    async def _settled_search(
        self, key: str, body: dict[str, Any], deadline: datetime
    ) -> str | None:
        return await settled_search(
            lambda: self._search(key, body),
            deadline=deadline,
            window=self.window,
            pause=self._seat_released,
            search_works=lambda: search_finds_known_incident(self.client, self.ledger, self.window),
        )

    @asynccontextmanager
    async def _seat_released(self) -> AsyncIterator[None]:
        """While a row waits for the register to settle, another row may use its seat."""
        self._seats.release()
        try:
            yield
        finally:
            await self._seats.acquire()

    async def _search(self, key: str, body: dict[str, Any]) -> str | None:
        since = self.ledger.sending_since(key)
        return await find_created(
            self.client,
            body,
            claimed=self.ledger.claimed_among,
            created_after=since - CLOCK_SKEW if since is not None else None,
        )

    def _unknown(
        self, job: Job, message: str, attempts: int = 0, status: int | None = None
    ) -> RowResult:
        return RowResult(
            job.source,
            RowStatus.UNKNOWN,
            http_status=status,
            attempts=attempts,
            errors=[RowError(message)],
            key=job.key,
        )

    def _not_sent(self, job: Job) -> RowResult:
        stop = self.fatal or self.storage_error
        reason = stop.message if stop else "run stopped"
        return RowResult(
            job.source,
            RowStatus.FAILED,
            errors=[RowError(f"not sent: the run stopped ({reason})")],
            key=job.key,
        )

    def _result(
        self,
        job: Job,
        status: RowStatus,
        exc: SendError,
        attempts: int,
        incident_id: str | None = None,
    ) -> RowResult:
        return RowResult(
            job.source,
            status,
            incident_id=incident_id,
            http_status=exc.status_code,
            attempts=attempts,
            errors=rejection_errors(exc)
            if status is RowStatus.REJECTED
            else [RowError(exc.message)],
            key=job.key,
        )


def rejection_errors(exc: SendError) -> list[RowError]:
    """The register's 400 body as row errors; the sandbox lists `{"field", "message"}` items."""
    details = exc.details
    if isinstance(details, dict) and isinstance(details.get("errors"), list):
        errors = [
            RowError(str(item.get("message", item)), field=item.get("field"))
            if isinstance(item, dict)
            else RowError(str(item))
            for item in details["errors"]
        ]
        if errors:
            return [
                RowError(f"rejected by the register: {e.message}", field=e.field) for e in errors
            ]
    return [RowError(f"rejected by the register: {_detail_text(exc)}")]


def _detail_text(exc: SendError) -> str:
    if exc.details is None:
        return exc.message
    text = str(exc.details)
    return text if len(text) <= 500 else text[:499] + "…"


def _utc(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)


def is_unresolved(entry: LedgerEntry) -> bool:
    return entry.state in (EntryState.SENDING, EntryState.UNKNOWN)
