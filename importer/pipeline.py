"""One import run: read → map → validate → decide with the ledger → send → report.

Chunks are processed one after another; within a chunk the rows to send go out concurrently
(the client paces and bounds them). Results are written per chunk in row order, so the report
is complete up to the last finished chunk even if the process dies.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from importer import __version__
from importer.deliver import Deliverer, Job, is_unresolved
from importer.errors import AuthError, ConfigError
from importer.ledger import EntryState, Ledger, LedgerEntry, body_fingerprint
from importer.lookups_fetch import add_users, fetch_lookups
from importer.manifest import write_manifest
from importer.mapping import Lookups, Mapping, apply_mapping, load_mapping
from importer.read import read_rows
from importer.report import ReportWriter
from importer.rows import RowError, RowResult, RowStatus, SheetChunk
from importer.send import Credentials, RegisterClient
from importer.validate import validate_chunk

__all__ = ["ExitCode", "ProgressSink", "RunOptions", "RunOutcome", "run_import"]

log = logging.getLogger("importer.run")


class ExitCode:
    OK = 0
    ROWS_FAILED = 1
    CONFIG = 2
    AUTH = 3
    ABORTED = 4
    LOCKED = 5
    INTERRUPTED = 130


class ProgressSink(Protocol):
    def start(self, total: int | None) -> None: ...
    def advance(self, results: list[RowResult]) -> None: ...
    def finish(self) -> None: ...


@dataclass
class RunOptions:
    files: list[Path]
    mapping_path: Path
    report_dir: Path
    credentials: Credentials | None = None
    sheets: list[str] | None = None
    dry_run: bool = False
    rate_per_minute: float = 900.0
    concurrency: int = 4
    ledger_path: Path | None = None
    update_changed: bool = False
    retry_failed: bool = False
    max_failures: int | None = None
    chunk_size: int = 2000
    reconcile_delay: float = 2.0
    lookup_files: dict[str, Path] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)
    count_rows_first: bool = False


@dataclass
class RunOutcome:
    report_dir: Path
    counts: dict[str, int]
    exit_code: int
    summary: dict[str, Any]


_SEND_FAILURES = (RowStatus.REJECTED, RowStatus.FAILED, RowStatus.UNKNOWN)
_ROW_PROBLEMS = (RowStatus.INVALID, *_SEND_FAILURES)


async def run_import(options: RunOptions, progress: ProgressSink) -> RunOutcome:
    """Run one import; raises ImporterError for what stops it before any row is processed."""
    mapping = load_mapping(options.mapping_path)
    for path in options.files:
        if not path.is_file():
            raise ConfigError(f"{path}: no such file")
    if not options.dry_run and options.credentials is None:
        raise ConfigError("no register to send to", hint="set ONETRUST_* or use --sandbox")
    started_at, t0 = datetime.now(UTC), time.monotonic()
    async with AsyncExitStack() as stack:
        client = None
        if options.credentials is not None:
            client = RegisterClient(
                options.credentials,
                rate_per_minute=options.rate_per_minute,
                concurrency=options.concurrency,
            )
            await stack.enter_async_context(client)
            if not options.dry_run or mapping.needs:
                await client.authenticate()
        lookups = await _lookups(mapping, client, options)
        ledger = None if options.dry_run else _open_ledger(options)
        if ledger is not None:
            stack.callback(ledger.close)
        report = stack.enter_context(ReportWriter(options.report_dir))
        run = _Run(options, mapping, lookups, client, ledger, report, progress)
        progress.start(_count_rows(options) if options.count_rows_first else None)
        try:
            await run.prepare()
            for chunk in _chunks(options, mapping):
                results = await run.process(chunk)
                report.write_chunk(chunk, results)
        finally:
            progress.finish()
        exit_code = run.exit_code(report)
        summary = _summary(options, mapping, run, report, started_at, t0, exit_code)
        report.write_summary(summary)
        if ledger is not None and run.run_id is not None:
            ledger.finish_run(run.run_id, summary["counts"])
        write_manifest(
            options.report_dir / "manifest.json",
            inputs=options.files,
            mapping=options.mapping_path,
            started_at=started_at,
            ended_at=datetime.now(UTC),
            counts=summary["counts"],
            results_file=report.results_path,
            exit_code=exit_code,
            extra={"dry_run": options.dry_run},
            argv=options.command,
            secrets=_secrets(options),
        )
    return RunOutcome(options.report_dir, summary["counts"], exit_code, summary)


class _Run:
    """The state of one run: which keys were seen, whether it must stop, what the ledger says."""

    def __init__(
        self,
        options: RunOptions,
        mapping: Mapping,
        lookups: Lookups,
        client: RegisterClient | None,
        ledger: Ledger | None,
        report: ReportWriter,
        progress: ProgressSink,
    ) -> None:
        self.options, self.mapping, self.lookups = options, mapping, lookups
        self.client, self.ledger, self.report = client, ledger, report
        self.progress = progress
        self.run_id: int | None = None
        self.deliverer: Deliverer | None = None
        self.seen: dict[str, int] = {}
        self.send_failures = 0
        self.abort_reason: str | None = None

    async def prepare(self) -> None:
        if self.ledger is None or self.client is None:
            return
        self.run_id = self.ledger.start_run(
            {"tool_version": __version__, "command": self.options.command}
        )
        self.deliverer = Deliverer(
            self.client,
            self.ledger,
            self.run_id,
            reconcile_delay=self.options.reconcile_delay,
            concurrency=self.options.concurrency,
        )

    async def process(self, chunk: SheetChunk) -> list[RowResult]:
        if "users" in self.mapping.needs and self.client is not None:
            emails = self.mapping.user_emails(chunk)
            self.lookups = await add_users(self.lookups, self.client, emails)
        mapped = apply_mapping(self.mapping, chunk, self.lookups)
        validate_chunk(chunk, mapped, self.mapping)
        results: list[RowResult] = []
        jobs: list[Job] = []
        for row in chunk.frame.index:
            ref = chunk.ref(row)
            row_key = f"{self.mapping.name}:{mapped.keys[row]}" if row in mapped.keys else None
            if row in mapped.skipped:
                note = mapped.skipped[row]
                results.append(RowResult(ref, RowStatus.SKIPPED, note=note, key=row_key))
            elif row in mapped.errors:
                errors = mapped.errors[row]
                results.append(RowResult(ref, RowStatus.INVALID, errors=errors, key=row_key))
            elif row in mapped.bodies:
                body = mapped.bodies[row]
                fingerprint = body_fingerprint(body)
                key = row_key or f"{self.mapping.name}:sha256:{fingerprint}"
                first = self.seen.setdefault(key, row)
                if first != row:
                    message = f"same row key as row {first} in this run: {key}"
                    results.append(RowResult(ref, RowStatus.INVALID, errors=[RowError(message)]))
                else:
                    jobs.append(Job(ref, key, fingerprint, body))
            else:  # a mapping that forgot a row must not lose it
                error = RowError("the mapping produced no outcome for this row (a bug)")
                results.append(RowResult(ref, RowStatus.INVALID, errors=[error]))
        self.progress.advance(results)  # rows decided without the register, at once
        results.extend(await self._send(jobs))
        for result in results:
            if result.status is RowStatus.REJECTED:
                result.errors = [self._locate(e) for e in result.errors]
        self._check_threshold(results)
        return results

    async def _send(self, jobs: list[Job]) -> list[RowResult]:
        if self.abort_reason is not None or self.deliverer is None or self.ledger is None:
            results = [self._without_sending(job) for job in jobs]
            self.progress.advance(results)
            return results
        entries = self.ledger.get_many(j.key for j in jobs)
        return list(await asyncio.gather(*(self._tracked(j, entries.get(j.key)) for j in jobs)))

    def _without_sending(self, job: Job) -> RowResult:
        if self.abort_reason is not None:
            return _not_sent(job, self.abort_reason)
        self.report.write_would_send(job.source, job.key, job.body)
        return RowResult(job.source, RowStatus.WOULD_CREATE, key=job.key)

    async def _tracked(self, job: Job, entry: LedgerEntry | None) -> RowResult:
        result = await self._deliver(job, entry)
        self.progress.advance([result])
        return result

    async def _deliver(self, job: Job, entry: LedgerEntry | None) -> RowResult:
        """Decide from the ledger what this row needs, then do it."""
        assert self.deliverer is not None
        opts = self.options
        if entry is not None and is_unresolved(entry):
            return await self.deliverer.deliver(job, entry)
        if entry is not None and entry.state is EntryState.CREATED:
            if entry.fingerprint == job.fingerprint:
                return _already(job, entry, RowStatus.ALREADY_IMPORTED)
            if opts.update_changed:
                return await self.deliverer.deliver(job, entry, update=True)
            return _already(job, entry, RowStatus.CHANGED, "use --update-changed to update it")
        if opts.retry_failed and entry is None:
            return RowResult(job.source, RowStatus.SKIPPED, key=job.key, note=_NOT_A_RETRY)
        if (
            entry is not None
            and entry.state is EntryState.REJECTED
            and entry.fingerprint == job.fingerprint
            and not opts.retry_failed
        ):
            message = f"rejected in an earlier run with these same values: {entry.error}"
            hint = "fix the row, or use --retry-failed to send it again"
            return RowResult(
                job.source, RowStatus.REJECTED, errors=[RowError(message)], note=hint, key=job.key
            )
        return await self.deliverer.deliver(job, entry)

    def _locate(self, error: RowError) -> RowError:
        if error.field is None or error.column is not None:
            return error
        columns = self.mapping.columns_for(error.field.split(".", 1)[0])
        return RowError(error.message, field=error.field, column=", ".join(columns) or None)

    def _check_threshold(self, results: list[RowResult]) -> None:
        self.send_failures += sum(r.status in _SEND_FAILURES for r in results)
        fatal = self.deliverer.fatal if self.deliverer else None
        if self.abort_reason is None and fatal is not None:
            self.abort_reason = fatal.message
        limit = self.options.max_failures
        if self.abort_reason is None and limit is not None and self.send_failures > limit:
            self.abort_reason = f"more than {limit} rows failed to send (--max-failures)"
        if self.abort_reason:
            log.error("stopping the run: %s", self.abort_reason)

    def exit_code(self, report: ReportWriter) -> int:
        fatal = self.deliverer.fatal if self.deliverer else None
        if isinstance(fatal, AuthError):
            return ExitCode.AUTH
        if self.abort_reason is not None:
            return ExitCode.ABORTED
        if any(report.counts[s] for s in _ROW_PROBLEMS):
            return ExitCode.ROWS_FAILED
        return ExitCode.OK


_NOT_A_RETRY = "not sent: --retry-failed only re-sends rows that failed before"


def _already(job: Job, entry: LedgerEntry, status: RowStatus, note: str = "") -> RowResult:
    return RowResult(job.source, status, incident_id=entry.incident_id, note=note, key=job.key)


def _not_sent(job: Job, reason: str) -> RowResult:
    error = RowError(f"not sent: the run stopped ({reason})")
    return RowResult(job.source, RowStatus.FAILED, errors=[error], key=job.key)


def _chunks(options: RunOptions, mapping: Mapping) -> Iterator[SheetChunk]:
    sheets = options.sheets or mapping.sheets
    for path in options.files:
        yield from read_rows(path, sheets=sheets, chunk_size=options.chunk_size)


def _count_rows(options: RunOptions) -> int:
    mapping_sheets = options.sheets
    return sum(
        len(chunk.frame)
        for path in options.files
        for chunk in read_rows(path, sheets=mapping_sheets, chunk_size=50_000)
    )


async def _lookups(mapping: Mapping, client: RegisterClient | None, options: RunOptions) -> Lookups:
    missing = set(mapping.needs) - set(options.lookup_files)
    if missing and client is None:
        raise ConfigError(
            f"the mapping looks up {', '.join(sorted(missing))} in the register, "
            "but no register was given",
            hint="set ONETRUST_* variables, use --sandbox, or give --lookup KIND=FILE",
        )
    return await fetch_lookups(mapping, client, offline=options.lookup_files or None)


def _open_ledger(options: RunOptions) -> Ledger:
    from importer.ledger import default_ledger_path

    assert options.credentials is not None
    credentials = options.credentials
    path = options.ledger_path or default_ledger_path(credentials.base_url)
    ledger = Ledger.open(path, command=" ".join(options.command), secrets=_secrets(options))
    try:
        ledger.check_tenant(credentials.base_url)
    except BaseException:
        ledger.close()
        raise
    return ledger


def _secrets(options: RunOptions) -> list[str]:
    return [options.credentials.client_secret] if options.credentials else []


def _summary(
    options: RunOptions,
    mapping: Mapping,
    run: _Run,
    report: ReportWriter,
    started_at: datetime,
    t0: float,
    exit_code: int,
) -> dict[str, Any]:
    seconds = time.monotonic() - t0
    rows = sum(report.counts.values())
    stats = run.client.stats if run.client is not None else None
    return {
        "tool_version": __version__,
        "dry_run": options.dry_run,
        "inputs": [str(p) for p in options.files],
        "mapping": str(options.mapping_path),
        "started_at": started_at.isoformat(),
        "duration_seconds": round(seconds, 3),
        "rows": rows,
        "rows_per_second": round(rows / seconds, 1) if seconds else None,
        "counts": {status.value: report.counts[status] for status in RowStatus},
        "reconciled": report.reconciled,
        "requests": stats.requests if stats else 0,
        "retries": stats.retries if stats else 0,
        "throttled_429": stats.throttled if stats else 0,
        "aborted": run.abort_reason,
        "exit_code": exit_code,
        "report_files": sorted(p.name for p in report.folder.iterdir()),
    }
