"""The command line: parses options, runs the library, turns its errors into one-line messages.

`cli_options.py` declares what the commands accept, `cli_errors.py` says what went wrong, and
`cli_tools.py` holds the commands around an import (sandbox, init-mapping, schema, version).
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from importer.cli_errors import (
    ClickException,
    one_line_errors,
    refuse_undecodable_arguments,
    usage_error,
)
from importer.cli_options import (
    AcknowledgedOption,
    LimitOption,
    LogFormatOption,
    LookupOption,
    ReportDirOption,
    VerboseOption,
    credentials,
    parse_lookups,
    parse_rate,
    register_check,
)
from importer.cli_tools import (
    init_mapping_command,
    sandbox_command,
    schema_command,
    version_command,
)
from importer.console import configure_logging, print_outcome, progress_for
from importer.errors import ConfigError

if TYPE_CHECKING:
    from importer.run import ProgressSink, RunOptions

# The stages (pandas, pydantic, httpx, ...) are imported by the commands that use them, so that
# `--help`, `-h` of a command and `version` start in a fraction of a second.

__all__ = ["app", "main"]

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
    help="Bulk import of incidents from CSV and Excel sheets into the OneTrust Incident Register.",
)


# Set by main(): the command runs in a process of its own. Tests call `app` in theirs, whose
# objects must never be frozen.
_OWN_PROCESS = False


@contextmanager
def _startup() -> Iterator[None]:
    """A command's imports, with the collector paused, then frozen for the rest of the process.

    What they load (pandas, pydantic, ...: ~140,000 objects) lives until exit, yet collections
    during the imports, the full ones of the run and the one at exit walked it again and again:
    ~0.4 s CPU of a dry run on the shared 2-core machine (docs/performance.md)."""
    if not _OWN_PROCESS:
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


@app.command()
def run(
    files: Annotated[
        list[Path], typer.Argument(metavar="FILE", help="CSV or XLSX files to import.")
    ],
    mapping: Annotated[
        Path, typer.Option("--mapping", "-m", metavar="FILE", help="Mapping file (YAML).")
    ],
    sheet: Annotated[
        list[str] | None,
        typer.Option(metavar="SHEET", help="Sheet to read (repeatable); default: all."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", metavar="", help="Map and validate only; send nothing.")
    ] = False,
    encoding: Annotated[
        str | None,
        typer.Option(metavar="CODEC", help="Encoding of CSV text, e.g. cp1250; default: detected."),
    ] = None,
    sandbox: Annotated[
        bool,
        typer.Option(
            "--sandbox",
            metavar="",
            help="Import into a built-in sandbox register (no credentials).",
        ),
    ] = False,
    base_url: Annotated[
        str | None,
        typer.Option(metavar="URL", help="Register URL; default from ONETRUST_BASE_URL/HOSTNAME."),
    ] = None,
    rate: Annotated[
        str,
        typer.Option(
            metavar="RATE",
            help="Requests per minute on each endpoint (creates, moves), e.g. 900/min.",
        ),
    ] = "900",
    concurrency: Annotated[
        int, typer.Option(metavar="N", min=1, max=64, help="Requests in flight.")
    ] = 4,
    report_dir: ReportDirOption = Path("reports"),
    ledger: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Ledger file; default: one per tenant in the state dir."),
    ] = None,
    update_changed: Annotated[
        bool,
        typer.Option(
            "--update-changed",
            metavar="",
            help="Update incidents whose row changed since it was imported.",
        ),
    ] = False,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed",
            metavar="",
            help="Only re-send rows that failed or were rejected before.",
        ),
    ] = False,
    max_failures: Annotated[
        int | None,
        typer.Option(metavar="N", min=0, help="Stop the run after more than N rows fail to send."),
    ] = None,
    lookup: LookupOption = None,
    reconcile_delay: Annotated[
        float,
        typer.Option(
            metavar="SECONDS", help="Seconds to wait before searching for an ambiguous create."
        ),
    ] = 2.0,
    timeout: Annotated[
        float,
        typer.Option(
            metavar="SECONDS", min=0.1, help="Seconds to wait for each answer of the register."
        ),
    ] = 30.0,
    search_lag: Annotated[
        float,
        typer.Option(
            metavar="SECONDS",
            min=0,
            help="Seconds the register may take to show a new incident in search.",
        ),
    ] = 30.0,
    check_register: Annotated[
        str,
        typer.Option(
            metavar="auto|always|never",
            help="auto, always or never: search the register before creating rows the ledger "
            "has never seen (auto: when the ledger never ran this mapping's name and key).",
        ),
    ] = "auto",
    max_invalid: Annotated[
        str | None,
        typer.Option(metavar="N|N%", help="Send nothing if more than N (or N%) rows are invalid."),
    ] = None,
    acknowledged: AcknowledgedOption = None,
    log_format: LogFormatOption = "text",
    limit: LimitOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Import FILES into the register, each row exactly once, and write a report."""
    with _startup():
        import asyncio

        from importer.read import parse_limits
        from importer.report import default_report_dir
        from importer.run import InvalidLimit, RunOptions, read_acknowledged, run_import

    configure_logging(log_format=log_format, verbose=verbose)
    with one_line_errors(verbose):
        if sandbox and base_url:
            raise ConfigError("--sandbox and --base-url exclude each other")
        options = RunOptions(
            files=files,
            mapping_path=mapping,
            report_dir=report_dir,
            sheets=sheet or None,
            dry_run=dry_run,
            encoding=encoding,
            rate_per_minute=parse_rate(rate),
            concurrency=concurrency,
            ledger_path=ledger,
            update_changed=update_changed,
            retry_failed=retry_failed,
            max_failures=max_failures,
            reconcile_delay=reconcile_delay,
            request_timeout=timeout,
            search_lag=search_lag,
            check_register=register_check(check_register),
            lookup_files=parse_lookups(lookup or []),
            command=sys.argv[:],
            max_invalid=InvalidLimit.parse(max_invalid) if max_invalid is not None else None,
            acknowledged=read_acknowledged(acknowledged),
            limits=parse_limits(limit or []),
        )
        progress: ProgressSink = progress_for(log_format)
        options.report_dir = default_report_dir(report_dir, mapping.stem)  # created, unique
        with _removed_if_empty(options.report_dir), _register(sandbox, base_url, dry_run, options):
            outcome = asyncio.run(run_import(options, progress))
        print_outcome(outcome.summary, log_format, f"{outcome.report_dir}/results.csv")
        raise typer.Exit(outcome.exit_code)


@app.command("validate")
def validate_command(
    files: Annotated[
        list[Path], typer.Argument(metavar="FILE", help="CSV or XLSX files to check.")
    ],
    mapping: Annotated[
        Path, typer.Option("--mapping", "-m", metavar="FILE", help="Mapping file (YAML).")
    ],
    sheet: Annotated[
        list[str] | None,
        typer.Option(metavar="SHEET", help="Sheet to read (repeatable); default: all."),
    ] = None,
    online: Annotated[
        bool,
        typer.Option(
            "--online",
            metavar="",
            help="Resolve lookups in the register (read-only; ONETRUST_*).",
        ),
    ] = False,
    base_url: Annotated[
        str | None,
        typer.Option(metavar="URL", help="Register URL for --online; default from ONETRUST_*."),
    ] = None,
    lookup: LookupOption = None,
    report_dir: ReportDirOption = Path("reports"),
    ledger: Annotated[
        Path | None,
        typer.Option(metavar="FILE", help="Ledger to compare with (what changed since import)."),
    ] = None,
    acknowledged: AcknowledgedOption = None,
    log_format: LogFormatOption = "text",
    limit: LimitOption = None,
    verbose: VerboseOption = False,
) -> None:
    """Check every row of FILES, send nothing: validation.xlsx, problems.csv, report.html."""
    with _startup():
        import asyncio

        from importer.read import parse_limits
        from importer.report import default_report_dir
        from importer.run import RunOptions, read_acknowledged, run_import

    configure_logging(log_format=log_format, verbose=verbose)
    with one_line_errors(verbose):
        options = RunOptions(
            files=files,
            mapping_path=mapping,
            report_dir=report_dir,
            sheets=sheet or None,
            dry_run=True,
            ledger_path=ledger,
            lookup_files=parse_lookups(lookup or []),
            command=sys.argv[:],
            validation_report=True,
            acknowledged=read_acknowledged(acknowledged),
            limits=parse_limits(limit or []),
        )
        if online:
            options.credentials = credentials(base_url)
        progress: ProgressSink = progress_for(log_format)
        options.report_dir = default_report_dir(report_dir, mapping.stem)  # created, unique
        with _removed_if_empty(options.report_dir):
            outcome = asyncio.run(run_import(options, progress))
        print_outcome(outcome.summary, log_format, f"{outcome.report_dir}/report.html")
        raise typer.Exit(outcome.exit_code)


@contextmanager
def _removed_if_empty(folder: Path) -> Iterator[None]:
    """A run refused before it wrote anything leaves no empty report folder behind."""
    try:
        yield
    except BaseException:
        with suppress(OSError):
            folder.rmdir()  # only ever removes an empty folder
        raise


@contextmanager
def _register(
    sandbox: bool, base_url: str | None, dry_run: bool, options: RunOptions
) -> Iterator[None]:
    """Fill in the options' credentials: a sandbox started here, or the environment's register."""
    if sandbox:
        from importer.sandbox import running_sandbox
        from importer.send import Credentials

        with running_sandbox() as handle:
            options.credentials = Credentials(
                handle.base_url, handle.client_id, handle.client_secret
            )
            # The sandbox forgets everything when it stops, so its ledger must too; and it starts
            # empty, so there is nothing to look for before creating.
            options.ledger_path = options.ledger_path or options.report_dir / "ledger.sqlite"
            options.check_register = "never"
            yield
        return
    wants_register = not dry_run or base_url or "ONETRUST_BASE_URL" in os.environ
    wants_register = wants_register or "ONETRUST_HOSTNAME" in os.environ
    if wants_register:
        options.credentials = credentials(base_url)
    yield


# After `run` and `validate`, in the order `--help` lists them.
app.command("sandbox")(sandbox_command)
app.command("init-mapping")(init_mapping_command)
app.command("schema")(schema_command)
app.command("version")(version_command)


def main() -> None:
    """The `incident-import` entry point: usage errors in one line too, exit code 2."""
    global _OWN_PROCESS
    _OWN_PROCESS = True
    refuse_undecodable_arguments(sys.argv[1:])
    try:
        code = app(prog_name="incident-import", standalone_mode=False)
    except ClickException as exc:
        usage_error(exc)
    except typer.Abort:
        from importer.run import ExitCode

        sys.exit(ExitCode.INTERRUPTED)
    sys.exit(code if isinstance(code, int) else 0)
