"""The exclusive lock that lets only one run use a ledger at a time.

`flock` on `<ledger>.lock`: the kernel drops it when the holder exits, however it dies, so a
crashed run never leaves a stale lock behind. The file's text only *names* the holder.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from importer.errors import LedgerError, LedgerLockedError

__all__ = ["LedgerLock", "LockHolder"]


@dataclass(frozen=True, slots=True)
class LockHolder:
    """Who holds a ledger: written into the lock file so a second run can name it."""

    pid: int
    host: str
    since: str
    command: str

    def describe(self) -> str:
        return f"pid {self.pid} on {self.host} since {self.since}: {self.command}"


class LedgerLock:
    """A held, non-blocking exclusive `flock`; `release()` (or process death) frees it."""

    def __init__(self, path: Path, fd: int, holder: LockHolder) -> None:
        self.path = path
        self.holder = holder
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, ledger_path: Path, *, command: str) -> LedgerLock:
        """Take the lock of `ledger_path` or raise `LedgerLockedError` naming the holder."""
        path = ledger_path.with_name(ledger_path.name + ".lock")
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise LedgerError(f"cannot open lock file {path}: {exc.strerror}") from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_holder(fd)
            os.close(fd)
            who = holder.describe() if holder else "another process"
            raise LedgerLockedError(
                f"ledger {ledger_path} is in use by {who}",
                hint="wait for that run to finish; a run that died releases the lock by itself",
            ) from None
        holder = LockHolder(
            pid=os.getpid(),
            host=socket.gethostname(),
            since=datetime.now(UTC).isoformat(timespec="seconds"),
            command=command,
        )
        _write_holder(fd, holder)
        return cls(path, fd, holder)

    def release(self) -> None:
        """Clear the holder's name and drop the lock; safe to call twice."""
        if self._fd is None:
            return
        fd, self._fd = self._fd, None
        try:
            os.ftruncate(fd, 0)
        finally:
            # Closing the descriptor releases the flock.
            os.close(fd)


def _write_holder(fd: int, holder: LockHolder) -> None:
    text = json.dumps(
        {"pid": holder.pid, "host": holder.host, "since": holder.since, "command": holder.command}
    ).encode("utf-8")
    os.ftruncate(fd, 0)
    os.pwrite(fd, text, 0)
    os.fsync(fd)


def _read_holder(fd: int, *, tries: int = 5) -> LockHolder | None:
    # The holder writes its name just after taking the lock; give it a moment if the file is empty.
    for attempt in range(tries):
        size = os.fstat(fd).st_size
        if size:
            try:
                data = json.loads(os.pread(fd, size, 0).decode("utf-8"))
                return LockHolder(
                    pid=int(data["pid"]),
                    host=str(data["host"]),
                    since=str(data["since"]),
                    command=str(data["command"]),
                )
            except (ValueError, KeyError, TypeError):
                pass
        if attempt < tries - 1:
            time.sleep(0.02)
    return None
