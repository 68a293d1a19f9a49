"""How reports reach the disk: owner-only files and folders, report folders made atomically.

Reports repeat the personal data of the sheets (names, e-mails, descriptions), so every file is
created 0600 and every folder 0700, like the ledger. A run's folder is created with an exclusive
`mkdir`, so two runs started in the same second with the same `--report-dir` get two folders.
"""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer

from importer.errors import ConfigError

__all__ = [
    "FILE_MODE",
    "FOLDER_MODE",
    "Digest",
    "create_report_dir",
    "open_private",
    "open_private_binary",
    "write_private",
]

FILE_MODE = 0o600
FOLDER_MODE = 0o700
_MAX_TRIES = 1000


def open_private(
    path: Path, *, newline: str | None = None, buffering: int = -1, digest: Digest | None = None
) -> IO[str]:
    """Open `path` for writing UTF-8 text, created (or truncated) with mode 0600; `digest`
    (a hashlib object) is fed every byte as it reaches the file."""
    fd = _create_private(path)
    try:
        if digest is None:
            return open(fd, "w", buffering, encoding="utf-8", newline=newline)
        return io.TextIOWrapper(_hashed(fd, digest, buffering), encoding="utf-8", newline=newline)
    except BaseException:
        os.close(fd)
        raise


def open_private_binary(
    path: Path, *, buffering: int = -1, digest: Digest | None = None
) -> IO[bytes]:
    """`open_private` for bytes (JSON lines that orjson already encoded as UTF-8)."""
    fd = _create_private(path)
    try:
        return open(fd, "wb", buffering) if digest is None else _hashed(fd, digest, buffering)
    except BaseException:
        os.close(fd)
        raise


class Digest(Protocol):
    """What `hashlib.sha256()` gives: fed bytes, asked for its hex digest."""

    def update(self, data: memoryview, /) -> None: ...

    def hexdigest(self) -> str: ...


class _HashedFile(io.FileIO):
    """A file opened for writing that feeds each byte it writes to `digest` (the manifest's
    SHA-256 without reading the file back: 2.2 s of a million-row dry run)."""

    def __init__(self, fd: int, digest: Digest) -> None:
        super().__init__(fd, "w")
        self.digest = digest

    def write(self, data: ReadableBuffer, /) -> int:
        written = super().write(data)
        if written:  # a short write: the buffer above sends the rest again, hashed then
            self.digest.update(memoryview(data).cast("B")[:written])
        return written


def _hashed(fd: int, digest: Digest, buffering: int) -> io.BufferedWriter:
    size = buffering if buffering > 1 else io.DEFAULT_BUFFER_SIZE
    return io.BufferedWriter(_HashedFile(fd, digest), size)


def _create_private(path: Path) -> int:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # a file that existed keeps its mode through O_CREAT
    except BaseException:
        os.close(fd)
        raise
    return fd


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path` (mode 0600)."""
    with open_private(path) as fp:
        fp.write(text)


def create_report_dir(base: Path, mapping_name: str, *, now: datetime | None = None) -> Path:
    """Create and return `base/20261126-041500-legacy_incidents` (or `...-2`, `-3`...), mode
    0700; the exclusive mkdir makes the name unique even between runs started together.

    Raises ConfigError (one line) when `base` is not a folder or not writable.
    """
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    try:
        base.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
        for n in range(1, _MAX_TRIES + 1):
            candidate = base / (f"{stamp}-{mapping_name}" + (f"-{n}" if n > 1 else ""))
            try:
                candidate.mkdir(mode=FOLDER_MODE)
            except FileExistsError:
                continue
            os.chmod(candidate, FOLDER_MODE)  # the umask may have narrowed it, never widened
            return candidate
    except (FileExistsError, NotADirectoryError) as exc:
        raise ConfigError(
            f"--report-dir {str(base)!r}: not a folder ({exc.strerror})",
            hint="give a folder (it is created if missing)",
        ) from exc
    except OSError as exc:
        raise ConfigError(
            f"--report-dir {str(base)!r}: cannot create a report folder there ({exc.strerror})",
            hint="give a folder you can write to",
        ) from exc
    raise ConfigError(f"--report-dir {str(base)!r}: {_MAX_TRIES} report folders of this second")
