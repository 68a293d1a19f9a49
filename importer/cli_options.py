"""What the commands accept: the options `run` and `validate` share, and the values of options
that typer takes as text (`--rate 900/min`, `--lookup users=FILE`)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from importer.errors import ConfigError

if TYPE_CHECKING:
    from importer.send import Credentials

__all__ = [
    "AcknowledgedOption",
    "LimitOption",
    "LogFormatOption",
    "LookupOption",
    "ReportDirOption",
    "VerboseOption",
    "credentials",
    "parse_lookups",
    "parse_rate",
    "register_check",
]


def parse_rate(text: str) -> float:
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


def register_check(text: str) -> str:
    if text not in {"auto", "always", "never"}:
        raise ConfigError(f"--check-register {text!r}: expected auto, always or never")
    return text


def parse_lookups(items: list[str]) -> dict[str, Path]:
    lookups = {}
    for item in items:
        kind, sep, path = item.partition("=")
        if not sep or kind not in {"organizations", "users", "stages"}:
            raise ConfigError(
                f"--lookup {item!r}: expected organizations=FILE, users=FILE or stages=FILE"
            )
        lookups[kind] = Path(path)
    return lookups


def credentials(base_url: str | None) -> Credentials:
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
