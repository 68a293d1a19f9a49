"""Redaction that keeps secrets out of every record the tool writes: logs, reports, the ledger.

Shared by every stage that writes text a person or a file keeps: a secret-named option or
variable, a bearer token, or a password in a URL is replaced by `***`.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "REDACTED",
    "Scrubber",
    "redact_command",
    "redact_command_line",
    "scrub_text",
    "scrub_value",
    "secret_values",
]

REDACTED = "***"

# An option or variable whose name contains one of these carries a secret value.
_SECRET_WORDS = (
    "secret",
    "token",
    "password",
    "passwd",
    "apikey",
    "api-key",
    "api_key",
    "authorization",
)
# ...unless it only names where the secret lives: `--client-secret-file PATH` keeps its path.
_NOT_SECRET_SUFFIXES = ("-file", "_file", "-path", "_path", "-env", "_env", "-var", "_var")
_MIN_ENV_SECRET_LENGTH = 4  # shorter values would redact innocent text (e.g. "1", "yes")
_BEARER = re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]+")
_URL_PASSWORD = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^/\s:@]+:)[^/\s@]+@")


def _is_secret_name(name: str) -> bool:
    lowered = name.lower().lstrip("-")
    if lowered.endswith(_NOT_SECRET_SUFFIXES):
        return False
    return any(word in lowered for word in _SECRET_WORDS)


def secret_values(
    secrets: Iterable[str] = (), environ: Mapping[str, str] | None = None
) -> list[str]:
    """The given secrets plus the values of secret-named environment variables, longest first."""
    env = os.environ if environ is None else environ
    found = {s for s in secrets if s}
    found.update(
        value
        for name, value in env.items()
        if _is_secret_name(name) and len(value) >= _MIN_ENV_SECRET_LENGTH
    )
    # Longest first, so a secret that contains another is replaced whole.
    return sorted(found, key=len, reverse=True)


def scrub_text(text: str, secrets: Sequence[str] = ()) -> str:
    """Replace known secret values, bearer tokens and URL passwords in `text` by `***`."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    # Each pattern only runs on text holding the literal it needs; most text holds neither.
    # (Under `(?i)` only ASCII letters match the letters of "bearer": a test pins it.)
    if "bearer" in text.lower():
        text = _BEARER.sub(rf"\g<1>{REDACTED}", text)
    if "://" in text and "@" in text:
        text = _URL_PASSWORD.sub(rf"\g<1>{REDACTED}@", text)
    return text


class Scrubber:
    """`scrub_text` for one fixed set of secrets, remembering recent texts: a report repeats the
    same message on many rows (a dry run's adoption note on every row it would create)."""

    def __init__(self, secrets: Sequence[str] = (), *, remember: int = 1024) -> None:
        self._secrets = tuple(secrets)
        self._remember = remember
        self._done: dict[str, str] = {}

    def __call__(self, text: str) -> str:
        done = self._done.get(text)
        if done is None:
            done = scrub_text(text, self._secrets)
            if len(self._done) >= self._remember:
                self._done.clear()  # bounded: a run of unique messages must not grow memory
            self._done[text] = done
        return done


def redact_command(
    argv: Sequence[str],
    *,
    secrets: Iterable[str] = (),
    environ: Mapping[str, str] | None = None,
) -> list[str]:
    """Copy of `argv` with secret option values and known secret values replaced by `***`.

    >>> redact_command(["run", "--client-secret", "xyz", "--token=abc"], environ={})
    ['run', '--client-secret', '***', '--token=***']
    """
    known = secret_values(secrets, environ)
    redacted: list[str] = []
    value_is_secret = False
    for arg in argv:
        if value_is_secret:
            redacted.append(REDACTED)
            value_is_secret = False
            continue
        option, equals, _ = arg.partition("=")
        if arg.startswith("--") and _is_secret_name(option):
            if equals:
                redacted.append(f"{option}={REDACTED}")
            else:
                redacted.append(arg)
                value_is_secret = True
            continue
        redacted.append(scrub_text(arg, known))
    return redacted


def redact_command_line(
    command: str, *, secrets: Iterable[str] = (), environ: Mapping[str, str] | None = None
) -> str:
    """`redact_command` for a command line held as one shell-quoted string."""
    try:
        argv = shlex.split(command)
    except ValueError:  # unbalanced quotes: fall back to whitespace
        argv = command.split()
    return shlex.join(redact_command(argv, secrets=secrets, environ=environ))


def scrub_value(value: Any, secrets: Sequence[str] = ()) -> Any:
    """A JSON-ready copy of `value` with secret-named keys and known secret values redacted."""
    if isinstance(value, Mapping):
        return {
            str(k): REDACTED if _is_secret_name(str(k)) else scrub_value(v, secrets)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [scrub_value(v, secrets) for v in value]
    if isinstance(value, str):
        return scrub_text(value, secrets)
    if isinstance(value, Path):
        return str(value)
    return value
