"""Stop signals: SIGTERM and SIGHUP end a run the way Ctrl-C does.

`systemctl stop`, `timeout` and `kill` send SIGTERM; a closed SSH session sends SIGHUP. Either
cancels the running import: the rows in flight are settled or marked (`unknown` only if they may
have been sent), the chunk's results, `summary.json` and `manifest.json` are written, and the run
ends with `StoppedError` (exit code 128 + the signal's number: 143 for SIGTERM, 129 for SIGHUP,
as shells report a process ended by a signal). SIGINT stays with asyncio (exit 130).
"""

from __future__ import annotations

import asyncio
import signal
from types import TracebackType

from importer.errors import StoppedError

__all__ = ["STOP_SIGNALS", "StopSignals"]

STOP_SIGNALS = tuple(
    s for s in (getattr(signal, "SIGTERM", None), getattr(signal, "SIGHUP", None)) if s is not None
)


class StopSignals:
    """`with StopSignals():` inside a coroutine: a stop signal cancels the current task.

    `received` names the signal; `translate(exc)` turns the cancellation it caused into
    `StoppedError`. Outside the main thread (tests calling `asyncio.run` in a worker thread)
    signals cannot be handled and the context does nothing.
    """

    def __init__(self) -> None:
        self.received: signal.Signals | None = None
        self._installed: list[int] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    def __enter__(self) -> StopSignals:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for number in STOP_SIGNALS:
            try:
                loop.add_signal_handler(number, self._stop, number, task)
            except (RuntimeError, ValueError, NotImplementedError):
                continue  # not the main thread, or no signals on this platform
            self._installed.append(number)
        self._loop = loop
        return self

    def _stop(self, number: int, task: asyncio.Task[object] | None) -> None:
        if self.received is None and task is not None:
            self.received = signal.Signals(number)
            task.cancel(f"stopped by {self.received.name}")

    def translate(self, exc: BaseException) -> BaseException:
        """`StoppedError` for the cancellation a stop signal caused, else `exc` itself."""
        if self.received is not None and isinstance(exc, asyncio.CancelledError):
            return StoppedError(self.received.name, int(self.received))
        return exc

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        assert self._loop is not None
        for number in self._installed:
            self._loop.remove_signal_handler(number)
