"""Every error the importer raises, sorted by what the caller should do.

    ImporterError                     root: the CLI turns any of these into one line
    ├── ConfigError                   bad options, credentials or environment (exit 2)
    │   └── MappingError              a mapping file that does not load (file, line, hint)
    ├── ReadError                     an input file that cannot be read at all (file, reason)
    ├── SendError                     talking to the register
    │   ├── RetryableSendError        certainly not applied: 429, 503 + Retry-After, connect errors
    │   ├── RowRejectedError          the register refused this row (400): give up on the row
    │   ├── AmbiguousSendError        may have been applied: 500, read timeout, dropped connection
    │   └── FatalSendError            stop the run: nothing else will succeed either
    │       └── AuthError             credentials refused (exit 3)
    ├── LedgerError                   the exactly-once ledger cannot be used
    │   ├── LedgerWriteError          its disk refuses writes: full, read-only (exit 2)
    │   └── LedgerLockedError         another run holds the ledger (exit 5)
    ├── AbortedError                  the run stopped itself, e.g. too many failures (exit 4)
    └── StoppedError                  SIGTERM/SIGHUP stopped the run (exit 128 + signal number)

Row-level problems are *not* exceptions: they are `RowError` values (see `importer.rows`)
collected per row, so one bad row never stops the file.
"""

from __future__ import annotations

import errno
from typing import Any

__all__ = [
    "AbortedError",
    "AmbiguousSendError",
    "AuthError",
    "ConfigError",
    "FatalSendError",
    "ImporterError",
    "LedgerError",
    "LedgerLockedError",
    "LedgerWriteError",
    "MappingError",
    "ReadError",
    "RetryableSendError",
    "RowRejectedError",
    "SendError",
    "StoppedError",
    "shown_text",
]


class ImporterError(Exception):
    """Root of every error the importer raises on purpose; `hint` tells the user what to try."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class ConfigError(ImporterError):
    """Options, credentials or environment that make the run impossible."""


class MappingError(ConfigError):
    """A mapping file that does not load; carries the file and the 1-based line."""

    def __init__(
        self, message: str, *, path: str, line: int | None = None, hint: str | None = None
    ) -> None:
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}", hint=hint)
        self.path = path
        self.line = line


class ReadError(ImporterError):
    """An input file that cannot be read at all (missing, not a sheet, wrong sheet name)."""

    def __init__(self, message: str, *, path: str, hint: str | None = None) -> None:
        super().__init__(f"{path}: {message}", hint=hint)
        self.path = path


class SendError(ImporterError):
    """A request to the register did not succeed; carries the HTTP status when there was one."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        retry_after: float | None = None,
        details: Any = None,
        attempts: int = 0,
        hint: str | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        self.status_code = status_code
        self.retry_after = retry_after
        self.details = details
        self.attempts = attempts  # requests made for this call, retries included


class RetryableSendError(SendError):
    """The register certainly did not apply the request: safe to send again."""


class RowRejectedError(SendError):
    """The register refused this row's body (400); `details` holds its list of problems."""


class AmbiguousSendError(SendError):
    """The request may or may not have been applied: never blindly resend a create."""


class FatalSendError(SendError):
    """Nothing else in this run will succeed (403, misconfigured base URL, ...)."""


class AuthError(FatalSendError):
    """The register refused the client credentials or the token."""


class LedgerError(ImporterError):
    """The exactly-once ledger cannot be opened or written."""


class LedgerWriteError(LedgerError):
    """The disk under the ledger refuses writes (full, read-only, permission lost): the run
    stops at the first such write, and nothing is reported `unknown` that was never sent."""


class LedgerLockedError(LedgerError):
    """Another run holds this ledger's lock."""


# errno values that mean "this machine cannot store the file", not a bug: exit 2, one line.
STORAGE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})


def is_storage_error(exc: BaseException) -> bool:
    """A full disk, a read-only folder or a lost permission while writing a local file."""
    return isinstance(exc, LedgerWriteError) or (
        isinstance(exc, OSError) and exc.errno in STORAGE_ERRNOS
    )


class AbortedError(ImporterError):
    """The run stopped itself before the end (failure threshold reached)."""


class StoppedError(ImporterError):
    """A stop signal (SIGTERM, SIGHUP) ended the run after its report was written."""

    def __init__(self, signal_name: str, signal_number: int) -> None:
        super().__init__(f"stopped by {signal_name}", hint="run the same command again to resume")
        self.signal_number = signal_number


def shown_text(text: str) -> str | None:
    """`text` as a message can show it when it is not UTF-8 text, else None: the bytes of a
    name Python decoded with `surrogateescape` as `\\xe9`, any other lone surrogate escaped.

    >>> shown_text("caf\\udce9.csv"), shown_text("café.csv")
    ('caf\\\\xe9.csv', None)
    """
    try:
        text.encode("utf-8")
        return None
    except UnicodeEncodeError:
        pass
    try:
        return text.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no undecodable byte stands for
        return text.encode("utf-8", "backslashreplace").decode("ascii")
