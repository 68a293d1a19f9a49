"""The exit codes of a run (the README's table), and which one a stopping error gives."""

from __future__ import annotations

import asyncio

from importer.errors import (
    AbortedError,
    AuthError,
    ImporterError,
    LedgerLockedError,
    SendError,
    StoppedError,
    is_storage_error,
)

__all__ = ["ExitCode", "exit_code_for"]


class ExitCode:
    OK = 0
    ROWS_FAILED = 1
    CONFIG = 2
    AUTH = 3
    ABORTED = 4
    LOCKED = 5
    TOO_MANY_INVALID = 6
    INTERNAL = 70
    INTERRUPTED = 130


def exit_code_for(exc: BaseException) -> int:
    """The exit code for what stopped a run (see the README's table)."""
    if isinstance(exc, AuthError):
        return ExitCode.AUTH
    if isinstance(exc, LedgerLockedError):
        return ExitCode.LOCKED
    if isinstance(exc, StoppedError):
        return 128 + exc.signal_number  # 143 for SIGTERM, 129 for SIGHUP, as shells say
    if is_storage_error(exc):
        return ExitCode.CONFIG  # a full disk or read-only folder: a one-line error, not a bug
    if isinstance(exc, AbortedError | SendError):
        return ExitCode.ABORTED  # the register failed us: a wrong URL, 403, network down
    if isinstance(exc, ImporterError):
        return ExitCode.CONFIG
    if isinstance(exc, KeyboardInterrupt | asyncio.CancelledError):
        return ExitCode.INTERRUPTED
    return ExitCode.INTERNAL
