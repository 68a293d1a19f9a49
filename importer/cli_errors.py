"""What the command line says when something fails: one `Error:` line, one `Hint:` line, an exit
code; a traceback only with `--verbose`."""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import typer

from importer.errors import ImporterError, is_storage_error

__all__ = [
    "ClickException",
    "fail",
    "one_line_errors",
    "refuse_undecodable_arguments",
    "usage_error",
]

# Typer ships its own copy of click; reach its error classes through a public one, which
# subclasses UsageError (itself a ClickException) in every click and typer version.
_UsageError: type[Exception] = typer.BadParameter.__mro__[1]
ClickException: type[Exception] = _UsageError.__mro__[1]


@contextmanager
def one_line_errors(verbose: bool) -> Iterator[None]:
    """`Error: message` plus a hint on one line each; tracebacks only with --verbose."""
    from importer.run import ExitCode, exit_code_for

    try:
        yield
    except ImporterError as exc:
        fail(exc.message, exc.hint, exit_code_for(exc), verbose)
    except KeyboardInterrupt:
        fail("interrupted", "run the same command again to resume", ExitCode.INTERRUPTED, verbose)
    except (typer.Exit, typer.Abort):
        raise
    except OSError as exc:
        if not is_storage_error(exc):
            fail(f"internal error: {exc}", "run with --verbose", ExitCode.INTERNAL, verbose)
        where = f" {exc.filename}" if exc.filename else ""
        hint = "free disk space or choose a writable folder (--report-dir, --ledger)"
        fail(f"cannot write{where}: {exc.strerror}", hint, ExitCode.CONFIG, verbose)
    except Exception as exc:  # a bug: still one line, and the way to see more
        message = f"internal error: {type(exc).__name__}: {exc}"
        fail(message, "run with --verbose", ExitCode.INTERNAL, verbose)


def fail(message: str, hint: str | None, code: int, verbose: bool) -> NoReturn:
    # Plain writes, never wrapped: cron mail and log scrapers get exactly one line per message.
    if verbose and sys.exc_info()[0] is not None:
        typer.echo(traceback.format_exc(), err=True)
    typer.echo(f"Error: {message}", err=True)
    if hint:
        typer.echo(f"Hint: {hint}", err=True)
    raise typer.Exit(code)


def usage_error(exc: Exception) -> NoReturn:
    """A click error from parsing the arguments, in one line too, with its exit code (2)."""
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


def refuse_undecodable_arguments(arguments: list[str]) -> None:
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
