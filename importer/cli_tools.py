"""The commands around an import: the sandbox register, a draft mapping, the mapping's JSON
Schema, the version. `cli.py` registers them on the app after `run` and `validate`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from importer import __version__
from importer.cli_errors import one_line_errors
from importer.cli_options import VerboseOption
from importer.console import stderr_console, stdout_console
from importer.errors import ConfigError

__all__ = ["init_mapping_command", "sandbox_command", "schema_command", "version_command"]


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

    with one_line_errors(verbose):
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
            on_ready=lambda url: stderr_console().print(
                f"Sandbox register listening on {url} (Ctrl-C stops it)"
            ),
        )


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

    with one_line_errors(verbose):
        check_input(file)
        sys.stdout.write(draft_mapping(file, sheets=sheet or None, encoding=encoding))


def schema_command() -> None:
    """Print the JSON Schema of the mapping file format (for editor autocompletion)."""
    from importer.mapping import mapping_json_schema

    stdout_console().print_json(json.dumps(mapping_json_schema()))


def version_command() -> None:
    """Print the version."""
    stdout_console().print(__version__)
