"""The command line: parses options, runs the library, turns its errors into one-line messages."""

from __future__ import annotations

import gc
import json
import os
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer

from importer import __version__
from importer.console import (
    LogProgress,
    RichProgress,
    configure_logging,
    problems_table,
    summary_table,
)
from importer.errors import ConfigError, ImporterError, is_storage_error

if TYPE_CHECKING:
    from rich.console import Console

    from importer.run import ProgressSink, RunOptions
    from importer.send import Credentials

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


@cache
def _out() -> Console:
    """stdout's console, made on first use: `--help` never loads rich."""
    from rich.console import Console

    return Console()


@cache
def _err() -> Console:
    """stderr's console, made on first use."""
    from rich.console import Console

    return Console(stderr=True)


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


@contextmanager
def _one_line_errors(verbose: bool) -> Iterator[None]:
    """`Error: message` plus a hint on one line each; tracebacks only with --verbose."""
    from importer.run import ExitCode, exit_code_for

    try:
        yield
    except ImporterError as exc:
        _fail(exc.message, exc.hint, exit_code_for(exc), verbose)
    except KeyboardInterrupt:
        _fail("interrupted", "run the same command again to resume", ExitCode.INTERRUPTED, verbose)
    except (typer.Exit, typer.Abort):
        raise
    except OSError as exc:
        if not is_storage_error(exc):
            _fail(f"internal error: {exc}", "run with --verbose", ExitCode.INTERNAL, verbose)
        where = f" {exc.filename}" if exc.filename else ""
        hint = "free disk space or choose a writable folder (--report-dir, --ledger)"
        _fail(f"cannot write{where}: {exc.strerror}", hint, ExitCode.CONFIG, verbose)
    except Exception as exc:  # a bug: still one line, and the way to see more
        message = f"internal error: {type(exc).__name__}: {exc}"
        _fail(message, "run with --verbose", ExitCode.INTERNAL, verbose)


def _fail(message: str, hint: str | None, code: int, verbose: bool) -> NoReturn:
    # Plain writes, never wrapped: cron mail and log scrapers get exactly one line per message.
    if verbose and sys.exc_info()[0] is not None:
        typer.echo(traceback.format_exc(), err=True)
    typer.echo(f"Error: {message}", err=True)
    if hint:
        typer.echo(f"Hint: {hint}", err=True)
    raise typer.Exit(code)


def _parse_rate(text: str) -> float:
    """`900`, `900/min`, `15/s` → requests per minute."""
    number, _, unit = text.partition("/")
    try:
        value = float(number)
    except ValueError:
        raise ConfigError(f"--rate {text!r}: expected e.g. 900/min or 15/s") from None
    per = {"": 1.0, "min": 1.0, "m": 1.0, "s": 60.0, "sec": 60.0, "h": 1 / 60, "hour": 1 / 60}
    if unit not in per or value <= 0:
        raise ConfigError(f"--rate {text!r}: expected e.g. 900/min or 15/s")
    return value * per[unit]


def _check_register(text: str) -> str:
    if text not in {"auto", "always", "never"}:
        raise ConfigError(f"--check-register {text!r}: expected auto, always or never")
    return text


def _parse_lookups(items: list[str]) -> dict[str, Path]:
    lookups = {}
    for item in items:
        kind, sep, path = item.partition("=")
        if not sep or kind not in {"organizations", "users", "stages"}:
            raise ConfigError(
                f"--lookup {item!r}: expected organizations=FILE, users=FILE or stages=FILE"
            )
        lookups[kind] = Path(path)
    return lookups


def _credentials(base_url: str | None) -> Credentials:
    from importer.send import Credentials

    environ = dict(os.environ)
    if base_url:
        environ["ONETRUST_BASE_URL"] = base_url
    return Credentials.from_env(environ)


# Options that `run` and `validate` share, declared once so their help cannot drift apart.
ReportDirOption = Annotated[
    Path,
    typer.Option(metavar="DIR", help="Folder in which each run writes its own report folder."),
]

LookupOption = Annotated[
    list[str] | None,
    typer.Option(
        metavar="KIND=FILE", help="Offline lookup file: organizations=F, users=F or stages=F."
    ),
]

AcknowledgedOption = Annotated[
    Path | None,
    typer.Option(metavar="FILE", help="File of row keys whose problems do not fail the run."),
]

LogFormatOption = Annotated[
    str, typer.Option(metavar="text|json", help="text or json (structured, for cron).")
]

LimitOption = Annotated[
    list[str] | None,
    typer.Option(
        metavar="NAME=VALUE",
        help="Raise a reader limit, e.g. max_cell_chars=200000 (docs/security.md).",
    ),
]

VerboseOption = Annotated[
    bool, typer.Option("--verbose", "-v", metavar="", help="Debug logs, tracebacks.")
]


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
    with _one_line_errors(verbose):
        if sandbox and base_url:
            raise ConfigError("--sandbox and --base-url exclude each other")
        options = RunOptions(
            files=files,
            mapping_path=mapping,
            report_dir=report_dir,
            sheets=sheet or None,
            dry_run=dry_run,
            encoding=encoding,
            rate_per_minute=_parse_rate(rate),
            concurrency=concurrency,
            ledger_path=ledger,
            update_changed=update_changed,
            retry_failed=retry_failed,
            max_failures=max_failures,
            reconcile_delay=reconcile_delay,
            request_timeout=timeout,
            search_lag=search_lag,
            check_register=_check_register(check_register),
            lookup_files=_parse_lookups(lookup or []),
            command=sys.argv[:],
            max_invalid=InvalidLimit.parse(max_invalid) if max_invalid is not None else None,
            acknowledged=read_acknowledged(acknowledged),
            limits=parse_limits(limit or []),
        )
        interactive = _err().is_terminal and log_format == "text"
        progress: ProgressSink = RichProgress(_err()) if interactive else LogProgress()
        options.report_dir = default_report_dir(report_dir, mapping.stem)  # created, unique
        with _removed_if_empty(options.report_dir), _register(sandbox, base_url, dry_run, options):
            outcome = asyncio.run(run_import(options, progress))
        _print_outcome(outcome.summary, log_format, f"{outcome.report_dir}/results.csv")
        raise typer.Exit(outcome.exit_code)


def _print_outcome(summary: dict[str, object], log_format: str, report: str) -> None:
    if log_format == "json":
        _out().print_json(json.dumps(summary))
        return
    _out().print(summary_table(summary))
    common = problems_table(summary)
    if common is not None:
        _out().print(common)
    _out().print(f"Report: {report}")


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
    with _one_line_errors(verbose):
        options = RunOptions(
            files=files,
            mapping_path=mapping,
            report_dir=report_dir,
            sheets=sheet or None,
            dry_run=True,
            ledger_path=ledger,
            lookup_files=_parse_lookups(lookup or []),
            command=sys.argv[:],
            validation_report=True,
            acknowledged=read_acknowledged(acknowledged),
            limits=parse_limits(limit or []),
        )
        if online:
            options.credentials = _credentials(base_url)
        interactive = _err().is_terminal and log_format == "text"
        progress: ProgressSink = RichProgress(_err()) if interactive else LogProgress()
        options.report_dir = default_report_dir(report_dir, mapping.stem)  # created, unique
        with _removed_if_empty(options.report_dir):
            outcome = asyncio.run(run_import(options, progress))
        _print_outcome(outcome.summary, log_format, f"{outcome.report_dir}/report.html")
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
        options.credentials = _credentials(base_url)
    yield


@app.command("sandbox")
def sandbox_command(
    host: Annotated[
        str, typer.Option(metavar="ADDRESS", help="Loopback address to listen on.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(metavar="PORT", help="Port to listen on.")] = 8765,
    seed: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Tenant seed file (YAML).")
    ] = None,
    db: Annotated[
        Path | None, typer.Option(metavar="FILE", help="SQLite file to keep incidents in.")
    ] = None,
    rate: Annotated[
        str, typer.Option(metavar="N/WINDOW", help="Quota per endpoint, e.g. 1000/60s.")
    ] = "1000/60s",
    faults: Annotated[
        str,
        typer.Option(
            metavar="KNOB=VALUE,...", help="Fault knobs, e.g. fail_after_commit=0.05,latency_ms=20."
        ),
    ] = "",
    token_lifetime: Annotated[
        float, typer.Option(metavar="SECONDS", help="Token lifetime in seconds.")
    ] = 3600.0,
    verbose: VerboseOption = False,
) -> None:
    """Run the sandbox register in the foreground (Ctrl-C stops it)."""
    from importer.sandbox import SandboxConfig, parse_faults, parse_rate, serve

    with _one_line_errors(verbose):
        try:
            limit, window = parse_rate(rate)
            fault_knobs = parse_faults(faults) if faults else None
        except ValueError as exc:
            raise ConfigError(str(exc)) from exc
        config = SandboxConfig(
            rate_limit=limit, window_seconds=window, token_lifetime=token_lifetime
        )
        if fault_knobs is not None:
            config.faults = fault_knobs
        serve(
            host=host,
            port=port,
            config=config,
            seed=seed,
            db=db,
            on_ready=lambda url: _err().print(
                f"Sandbox register listening on {url} (Ctrl-C stops it)"
            ),
        )


@app.command("init-mapping")
def init_mapping_command(
    file: Annotated[
        Path, typer.Argument(metavar="FILE", help="A CSV or XLSX sheet to draft a mapping for.")
    ],
    sheet: Annotated[
        list[str] | None,
        typer.Option(metavar="SHEET", help="Sheet to read (repeatable); default: all."),
    ] = None,
    encoding: Annotated[
        str | None,
        typer.Option(
            metavar="CODEC", help="Encoding of CSV text, e.g. cp1250; the draft keeps it."
        ),
    ] = None,
    verbose: VerboseOption = False,
) -> None:
    """Print a draft mapping for FILE: matched columns, date formats, proposed value maps."""
    from importer.draft import draft_mapping
    from importer.read import check_input

    with _one_line_errors(verbose):
        check_input(file)
        sys.stdout.write(draft_mapping(file, sheets=sheet or None, encoding=encoding))


@app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the mapping file format (for editor autocompletion)."""
    from importer.mapping import mapping_json_schema

    _out().print_json(json.dumps(mapping_json_schema()))


@app.command("version")
def version_command() -> None:
    """Print the version."""
    _out().print(__version__)


# Typer ships its own copy of click; reach its error classes through a public one, which
# subclasses UsageError (itself a ClickException) in every click and typer version.
_UsageError: type[Exception] = typer.BadParameter.__mro__[1]
_ClickException: type[Exception] = _UsageError.__mro__[1]


def _refuse_undecodable_arguments(arguments: list[str]) -> None:
    """Exit 2 with one line for an argument that is not UTF-8 text: a file name written in
    another encoding, or bytes typed into an option. Python holds its bytes as lone
    surrogates, which no report, log line or message can carry (each such option ended in an
    internal error, some after creating the report folder); nothing is read or written yet."""
    from importer.errors import shown_text

    for position, argument in enumerate(arguments, start=1):
        shown = shown_text(argument)
        if shown is not None:
            typer.echo(f"Error: argument {position} ({shown}) is not valid UTF-8 text", err=True)
            typer.echo(
                "Hint: rename a file whose name is in another encoding (e.g. `convmv -f "
                "cp1252 -t utf-8 --notest FILE`), or retype the option",
                err=True,
            )
            sys.exit(2)


def main() -> None:
    """The `incident-import` entry point: usage errors in one line too, exit code 2."""
    global _OWN_PROCESS
    _OWN_PROCESS = True
    _refuse_undecodable_arguments(sys.argv[1:])
    try:
        code = app(prog_name="incident-import", standalone_mode=False)
    except _ClickException as exc:
        if type(exc).__name__ == "NoArgsIsHelpError":
            exc.show()  # type: ignore[attr-defined]  # the help text, as with `--help`
        else:
            message = exc.format_message()  # type: ignore[attr-defined]
            typer.echo(f"Error: {' '.join(message.split())}", err=True)
            context = getattr(exc, "ctx", None)
            if isinstance(exc, _UsageError):
                command = context.command_path if context is not None else "incident-import"
                typer.echo(f"Hint: run '{command} --help'", err=True)
        sys.exit(exc.exit_code)  # type: ignore[attr-defined]
    except typer.Abort:
        from importer.run import ExitCode

        sys.exit(ExitCode.INTERRUPTED)
    sys.exit(code if isinstance(code, int) else 0)
