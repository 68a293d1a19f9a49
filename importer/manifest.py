"""The audit manifest of one run, and the redaction that keeps secrets out of every record.

The manifest is the evidence a compliance team files: which files (by SHA-256) went in, with
which mapping and tool version, when, with what counts, and the hash of the per-row outcomes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import re
import shlex
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import importer
from importer.errors import ConfigError, ReadError

__all__ = [
    "REDACTED",
    "file_sha256",
    "redact_command",
    "redact_command_line",
    "scrub_text",
    "scrub_value",
    "secret_values",
    "write_manifest",
]

REDACTED = "***"
MANIFEST_VERSION = 1

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
    text = _BEARER.sub(rf"\g<1>{REDACTED}", text)
    return _URL_PASSWORD.sub(rf"\g<1>{REDACTED}@", text)


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


def file_sha256(path: Path, *, chunk_size: int = 1 << 20) -> str:
    """SHA-256 hex digest of a file, read in chunks so memory stays flat."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as stream:
            while chunk := stream.read(chunk_size):
                digest.update(chunk)
    except OSError as exc:
        raise ReadError(f"cannot read for its checksum: {exc.strerror}", path=str(path)) from exc
    return digest.hexdigest()


def _file_record(path: Path) -> dict[str, Any]:
    sha256 = file_sha256(path)
    return {"path": str(path), "name": path.name, "sha256": sha256, "size": path.stat().st_size}


def _utc(moment: datetime) -> str:
    # A naive datetime is taken as local time, as `datetime.now()` returns it.
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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


def write_manifest(
    path: Path,
    *,
    inputs: list[Path],
    mapping: Path,
    started_at: datetime,
    ended_at: datetime,
    counts: dict[str, int],
    results_file: Path,
    exit_code: int,
    extra: dict[str, Any],
    argv: Sequence[str] | None = None,
    secrets: Iterable[str] = (),
) -> None:
    """Write the run's manifest as JSON, atomically; `argv` defaults to `sys.argv` (redacted)."""
    known = secret_values(secrets)
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "tool": {"name": "incident-import", "version": importer.__version__},
        "python": platform.python_version(),
        "command": redact_command(sys.argv if argv is None else argv, secrets=known),
        "started_at": _utc(started_at),
        "ended_at": _utc(ended_at),
        "duration_seconds": round((ended_at - started_at).total_seconds(), 3),
        "inputs": [_file_record(p) for p in inputs],
        "mapping": _file_record(mapping),
        "counts": dict(counts),
        "results_file": _file_record(results_file),
        "exit_code": exit_code,
        "extra": scrub_value(extra, known),
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    _write_atomically(path, text)


def _write_atomically(path: Path, text: str) -> None:
    # A manifest is evidence: never leave a half-written one behind.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tmp.open("w", encoding="utf-8") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        raise ConfigError(
            f"cannot write the manifest {path}: {exc.strerror}",
            hint="choose a writable location for the manifest",
        ) from exc
