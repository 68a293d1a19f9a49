"""One import run: read → map → validate → decide with the ledger → send → report.

Chunks are processed one after another; within a chunk the rows to send go out concurrently
(the client paces and bounds them). Results are written per chunk in row order, so the report
is complete up to the last finished chunk even if the process dies. Whatever stops the run,
`summary.json` and `manifest.json` are written and say why.
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
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from importer import __version__
from importer.errors import ConfigError, ImporterError, LedgerError, shown_text
from importer.ledger import Ledger, LedgerView, default_ledger_path
from importer.mapping import Lookups, Mapping, load_mapping
from importer.read import DEFAULT_LIMITS, ReadLimits, check_input, read_rows
from importer.report import ReportWriter, ValidationReport, write_manifest
from importer.rows import RowStatus, SheetChunk
from importer.run.chunks import ChunkProcessor, ExitCode, ProgressSink, Settings, exit_code_for
from importer.run.lookups import fetch_lookups
from importer.run.signals import StopSignals
from importer.run.source import RunInput
from importer.run.validation import (
    NO_REGISTER,
    Acknowledged,
    InvalidLimit,
    ProblemCollector,
    problem_rows,
)
from importer.validate import UncheckedLookups, unchecked_lookups

if TYPE_CHECKING:
    from importer.send import Credentials, RegisterClient

__all__ = [
    "ExitCode",
    "ProgressSink",
    "RunOptions",
    "RunOutcome",
    "exit_code_for",
    "run_import",
]

log = logging.getLogger("importer.run")

# A sending run writes its report every chunk, and a chunk takes minutes at the vendor's quota;
# a dry run has nothing to wait for, and pandas' fixed cost per chunk then shows (measured on
# 100k rows: a dry run takes ~20 % less CPU at 5,000 rows a chunk than at 2,000, for ~10 MB;
# 10,000 saves no more and costs ~17 MB more).
SEND_CHUNK = 2000
DRY_RUN_CHUNK = 5000


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
    chunk_size: int | None = None  # rows; default 2000, dry runs 5000 (see docs/performance.md)
    reconcile_delay: float = 2.0
    request_timeout: float = 30.0
    search_lag: float = 30.0
    check_register: str = "auto"
    lookup_files: dict[str, Path] = field(default_factory=dict)
    command: list[str] = field(default_factory=list)
    encoding: str | None = None  # CSV text encoding; else the mapping's `encoding`, else detected
    limits: ReadLimits = DEFAULT_LIMITS
    validation_report: bool = False  # also write problems.csv, validation.xlsx, report.html
    max_invalid: InvalidLimit | None = None
    acknowledged: Acknowledged = field(default_factory=Acknowledged)

    @property
    def settings(self) -> Settings:
        return Settings(
            update_changed=self.update_changed,
            retry_failed=self.retry_failed,
            max_failures=self.max_failures,
            reconcile_delay=self.reconcile_delay,
            request_timeout=self.request_timeout,
            search_lag=self.search_lag,
            check_register=self.check_register,
            concurrency=self.concurrency,
            users_from_register="users" not in self.lookup_files,
            command=self.command,
            acknowledged=self.acknowledged,
        )


@dataclass
class RunOutcome:
    report_dir: Path
    counts: dict[str, int]
    exit_code: int
    summary: dict[str, Any]


def _check_path_names(options: RunOptions) -> None:
    """Raise ConfigError for a path whose name is not UTF-8 (a cp1252 name unzipped on Linux:
    Python holds its bytes as lone surrogates, which no report, ledger or log line can
    carry: the run failed mid-way with an internal error). The message shows the bytes."""
    named = [*options.files, options.mapping_path, options.report_dir]
    named += [options.ledger_path] if options.ledger_path is not None else []
    for path in [*named, *options.lookup_files.values()]:
        shown = shown_text(str(path))
        if shown is not None:
            raise ConfigError(
                f"{shown}: the path is not valid UTF-8 text (its name was written in another "
                "encoding), so reports could not name it",
                hint="rename it, e.g. `convmv -f cp1252 -t utf-8 --notest FILE`",
            )


async def run_import(options: RunOptions, progress: ProgressSink) -> RunOutcome:
    """Run one import; raises ImporterError for what stops it (after writing the summary),
    `StoppedError` for SIGTERM/SIGHUP (see `importer.run.signals`)."""
    with StopSignals() as stop:
        try:
            return await _run_import(options, progress, stop)
        except asyncio.CancelledError as exc:  # a signal before the rows started (or after)
            stopped = stop.translate(exc)
            if stopped is exc:
                raise
            raise stopped from None


async def _run_import(options: RunOptions, progress: ProgressSink, stop: StopSignals) -> RunOutcome:
    _check_path_names(options)
    mapping = load_mapping(options.mapping_path)
    for path in options.files:
        check_input(path)
    source = RunInput(
        options.files,
        mapping,
        sheets=_selected_sheets(options, mapping),
        chunk_size=_chunk_size(options),
        limits=options.limits,
        encoding=_encoding(options, mapping),
    )
    with source:  # opens the first file and checks every header: nothing is sent yet
        return await _run(options, mapping, source, progress, stop)


async def _run(
    options: RunOptions,
    mapping: Mapping,
    source: RunInput,
    progress: ProgressSink,
    stop: StopSignals,
) -> RunOutcome:
    if not options.dry_run and options.credentials is None:
        raise ConfigError("no register to send to", hint="set ONETRUST_* or use --sandbox")
    started_at, t0 = datetime.now(UTC), time.monotonic()
    async with AsyncExitStack() as stack:
        client = None
        if options.credentials is not None:
            from importer.send import RegisterClient  # httpx: a dry run without a register skips it

            client = RegisterClient(
                options.credentials,
                rate_per_minute=options.rate_per_minute,
                concurrency=options.concurrency,
                timeout=options.request_timeout,
            )
            await stack.enter_async_context(client)
            if not options.dry_run or mapping.needs:
                await client.authenticate()
        lookups = await _lookups(mapping, client, options)
        ledger = None if options.dry_run else _open_ledger(options)
        if ledger is not None:
            stack.callback(ledger.close)
        preview = _ledger_preview(options) if options.dry_run else None
        if preview is not None:
            stack.callback(preview.close)
        report = stack.enter_context(
            ReportWriter(
                options.report_dir,
                secrets=_secrets(options),
                serial_headers=mapping.serial_headers,
            )
        )
        validation = None
        if options.validation_report:
            validation = ValidationReport(options.report_dir, secrets=_secrets(options))
        problems = ProblemCollector(
            mapping,
            validation,
            options.acknowledged,
            offline_lookups=isinstance(lookups, UncheckedLookups),
        )
        run = ChunkProcessor(
            options.settings, mapping, lookups, client, ledger, report, progress, preview, problems
        )
        if options.max_invalid is not None:
            await _check_invalid(options, options.max_invalid, mapping, lookups, client, run)
        run.start()
        progress.start(None)
        stopped_by: BaseException | None = None
        try:
            for chunk in source.chunks():
                await run.process(chunk)
                progress.estimate(source.estimated_rows())
            if run.deliverer is not None and run.deliverer.storage_error is not None:
                raise run.deliverer.storage_error  # every row is reported; now say why, exit 2
            await run.check_duplicates()
        except BaseException as exc:  # also asyncio's cancellation on Ctrl-C or a stop signal
            stopped_by = stop.translate(exc)
            run.abort_reason = run.abort_reason or _describe(stopped_by)
            if stopped_by is not exc:
                raise stopped_by from None
            raise
        finally:
            progress.finish()
            outcome = _finish(
                options,
                run,
                report,
                validation,
                ledger,
                started_at,
                t0,
                stopped_by,
                source.sha256s(),
            )
    return outcome


def _finish(
    options: RunOptions,
    run: ChunkProcessor,
    report: ReportWriter,
    validation: ValidationReport | None,
    ledger: Ledger | None,
    started_at: datetime,
    t0: float,
    stopped_by: BaseException | None,
    input_sha256: dict[Path, str] | None = None,
) -> RunOutcome:
    """Write summary.json, the validation report and, last, manifest.json, which hashes every
    file the run wrote; also when the run is being stopped by an error."""
    exit_code = run.exit_code() if stopped_by is None else exit_code_for(stopped_by)
    summary = _summary(options, run, report, started_at, t0, exit_code)
    report.write_summary(summary)
    if ledger is not None and run.run_id is not None:
        try:
            ledger.finish_run(run.run_id, summary["counts"])
        except LedgerError as exc:  # the disk that stopped the run refuses this too
            log.error("%s", exc.message)
    report.close()  # flushed and closed, so the manifest hashes what is on disk
    if validation is not None:
        validation.close(summary)
    write_manifest(
        options.report_dir / "manifest.json",
        inputs=options.files,
        mapping=options.mapping_path,
        started_at=started_at,
        ended_at=datetime.now(UTC),
        counts=summary["counts"],
        results_file=report.results_path,
        exit_code=exit_code,
        extra={"dry_run": options.dry_run, "aborted": run.abort_reason},
        argv=options.command,
        secrets=_secrets(options),
        written=_written_files(options.report_dir),
        known_sha256={**(input_sha256 or {}), **report.written_sha256()},
        **_where_it_went(options, ledger),
    )
    return RunOutcome(options.report_dir, summary["counts"], exit_code, summary)


async def _check_invalid(
    options: RunOptions,
    limit: InvalidLimit,
    mapping: Mapping,
    lookups: Lookups,
    client: RegisterClient | None,
    run: ChunkProcessor,
) -> None:
    """`--max-invalid`: map and validate the whole file first, with the run's own code; if it
    is worse than the limit, the run goes on deciding every row but sends none."""
    checker = ChunkProcessor(
        options.settings, mapping, lookups, client, None, run.report, run.progress
    )
    invalid = total = 0
    for chunk in _chunks(options, mapping):
        results = await checker.check(chunk)
        invalid += problem_rows(results, options.acknowledged)
        total += len(chunk.frame)
    if limit.exceeded(invalid, total):
        reason = f"{invalid} of {total} rows are invalid, more than --max-invalid {limit}"
        run.refused = run.abort_reason = reason
        log.error("nothing will be sent: %s", reason)


def _written_files(folder: Path) -> list[Path]:
    """Every report file of the run's folder, whichever writer made it (results, failed rows,
    validation report, duplicates); not the manifest itself, nor a `--sandbox` run's ledger."""
    return sorted(
        path
        for path in folder.iterdir()
        if path.is_file() and path.name != "manifest.json" and not path.name.startswith("ledger")
    )


def _where_it_went(options: RunOptions, ledger: Ledger | None) -> dict[str, Any]:
    """The manifest's record of the register (host, client id; never the secret) and ledger."""
    written_ledger = ledger.path if ledger is not None else None
    credentials = options.credentials
    if credentials is None:
        return {"register": None, "ledger": written_ledger}
    register = {
        "host": urlsplit(credentials.base_url).netloc,
        "base_url": credentials.base_url,
        "client_id": credentials.client_id,
    }
    preview = options.ledger_path or default_ledger_path(credentials.base_url)
    return {"register": register, "ledger": written_ledger or preview}


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ImporterError):
        return exc.message
    if isinstance(exc, KeyboardInterrupt | asyncio.CancelledError):
        return "interrupted"
    return f"internal error: {type(exc).__name__}: {exc}"


def _chunk_size(options: RunOptions) -> int:
    return options.chunk_size or (DRY_RUN_CHUNK if options.dry_run else SEND_CHUNK)


def _selected_sheets(options: RunOptions, mapping: Mapping) -> list[str] | None:
    return options.sheets or mapping.sheets


def _encoding(options: RunOptions, mapping: Mapping) -> str | None:
    return options.encoding or mapping.spec.encoding


def _chunks(options: RunOptions, mapping: Mapping) -> Iterator[SheetChunk]:
    """Every chunk of every input, read afresh: only `--max-invalid`'s pre-pass reads the
    input a second time (the run itself reads it once, through `RunInput`)."""
    for path in options.files:
        yield from read_rows(
            path,
            sheets=_selected_sheets(options, mapping),
            chunk_size=_chunk_size(options),
            encoding=_encoding(options, mapping),
            limits=options.limits,
        )


async def _lookups(mapping: Mapping, client: RegisterClient | None, options: RunOptions) -> Lookups:
    missing = set(mapping.needs) - set(options.lookup_files) - set(mapping.lookup_files)
    if missing and client is None and options.dry_run:
        # Validating offline: what only the tenant knows is reported "not checked", not refused.
        found = await fetch_lookups(mapping, NO_REGISTER, offline=options.lookup_files or None)
        return unchecked_lookups(found, missing)
    if missing and client is None:
        raise ConfigError(
            f"the mapping looks up {', '.join(sorted(missing))} in the register, "
            "but no register was given",
            hint="set ONETRUST_* variables, use --sandbox, or give --lookup KIND=FILE",
        )
    return await fetch_lookups(mapping, client, offline=options.lookup_files or None)


def _open_ledger(options: RunOptions) -> Ledger:
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


def _ledger_preview(options: RunOptions) -> LedgerView | None:
    """A dry run reads the ledger a real run would use, when there is one."""
    if options.ledger_path is not None:
        return LedgerView.open_if_exists(options.ledger_path)
    if options.credentials is not None:
        return LedgerView.open_if_exists(default_ledger_path(options.credentials.base_url))
    return None


def _secrets(options: RunOptions) -> list[str]:
    return [options.credentials.client_secret] if options.credentials else []


def _summary(
    options: RunOptions,
    run: ChunkProcessor,
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
        "stages": dict(sorted(report.stages.items())),
        "duplicates": len(run.copies),
        "requests": stats.requests if stats else 0,
        "retries": stats.retries if stats else 0,
        "throttled_429": stats.throttled if stats else 0,
        "aborted": run.abort_reason,
        "acknowledged": run.problems.acknowledged_rows,
        "problems": run.problems.tally.most_common(10),
        "problem_kinds": run.problems.tally.by_kind(),
        "exit_code": exit_code,
        # free-form date columns: the order every row was read in, and the value that decided
        "date_orders": {name: list(decided) for name, decided in run.mapping.date_orders.items()},
    }
