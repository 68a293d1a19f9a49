"""The audit manifest of one run.

The manifest is the evidence a compliance team files: which files (by SHA-256) went in, with
which mapping and tool version, when, with what counts, and the hash of the per-row outcomes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import platform
import sys
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import importer
from importer.errors import ConfigError, ReadError
from importer.redact import redact_command, scrub_value, secret_values
from importer.report.files import FOLDER_MODE, open_private

__all__ = ["file_sha256", "write_manifest"]

MANIFEST_VERSION = 2  # 2: register, ledger, files_written


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


def _file_record(path: Path, sha256: str | None = None) -> dict[str, Any]:
    sha256 = sha256 or file_sha256(path)
    return {"path": str(path), "name": path.name, "sha256": sha256, "size": path.stat().st_size}


def _utc(moment: datetime) -> str:
    # A naive datetime is taken as local time, as `datetime.now()` returns it.
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


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
    register: dict[str, str] | None = None,
    ledger: Path | None = None,
    written: Sequence[Path] = (),
    known_sha256: Mapping[Path, str] | None = None,
) -> None:
    """Write the run's manifest as JSON, atomically; `argv` defaults to `sys.argv` (redacted).

    `register` says where the incidents went (`host`, `base_url`, `client_id`: never the
    secret), `ledger` which ledger file remembers them, and `written` the files the run wrote,
    each recorded with its SHA-256 and size (closed files: hash them after the last write).
    `known_sha256` gives digests already taken: an input's while the run read it, a report
    file's while it was written (`ReportWriter.written_sha256`), so neither is read again; a
    file missing from it is hashed here.
    """
    digests = dict(known_sha256 or {})  # each file hashed once: results.csv is named twice

    def record(path: Path) -> dict[str, Any]:
        found = _file_record(path, digests.get(path))
        digests[path] = found["sha256"]
        return found

    known = secret_values(secrets)
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "tool": {"name": "incident-import", "version": importer.__version__},
        "python": platform.python_version(),
        "command": redact_command(sys.argv if argv is None else argv, secrets=known),
        "started_at": _utc(started_at),
        "ended_at": _utc(ended_at),
        "duration_seconds": round((ended_at - started_at).total_seconds(), 3),
        "inputs": [record(p) for p in inputs],
        "mapping": record(mapping),
        "counts": dict(counts),
        "results_file": record(results_file),
        "exit_code": exit_code,
        "register": scrub_value(register, known) if register else None,
        "ledger": {"path": str(ledger.resolve())} if ledger is not None else None,
        "files_written": [record(p) for p in written if p.is_file()],
        "extra": scrub_value(extra, known),
    }
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    _write_atomically(path, text)


def _write_atomically(path: Path, text: str) -> None:
    # A manifest is evidence: never leave a half-written one behind.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
        with open_private(tmp) as stream:
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
