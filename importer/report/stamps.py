"""The `decided_at` stamps of results.csv, formatted without a `datetime` a row."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["Rfc3339"]


class Rfc3339:
    """Epoch seconds → `2026-11-30T00:33:41.597Z`; the date part is formatted once a second
    and a whole stamp once a millisecond, since rows decided together share it, and a million
    rows must not pay for a million `datetime` objects."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""
        self._millis: int | None = None
        self._stamp = ""

    def rfc3339(self, moment: float) -> str:
        millis = int(moment * 1000)
        if millis == self._millis:
            return self._stamp
        second, milli = divmod(millis, 1000)
        if second != self._second:
            self._second = second
            self._prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        self._millis, self._stamp = millis, f"{self._prefix}.{milli:03d}Z"
        return self._stamp
