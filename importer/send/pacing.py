"""Client-side pacing: evenly spaced request slots per endpoint, and a shared 429 pause.

A GCRA with zero burst tolerance: slot n+1 is never earlier than slot n plus 60/rate seconds,
and idle time earns no credit. So any window of W seconds holds at most ceil(W * rate / 60)
requests, right from the start: below the vendor's budget whenever `rate` is.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

from importer.errors import ConfigError

__all__ = ["PAUSE_WITHOUT_RETRY_AFTER", "EndpointPacer", "Pacers"]

log = logging.getLogger("importer.send")

PAUSE_WITHOUT_RETRY_AFTER = 1.0  # seconds an endpoint pauses on a 429 that names no wait

Clock = Callable[[], float]


class EndpointPacer:
    """Hands out evenly spaced send times for one endpoint; a 429 pauses all its callers."""

    def __init__(self, name: str, rate_per_minute: float, *, clock: Clock = time.monotonic) -> None:
        if not rate_per_minute > 0:
            raise ConfigError(f"rate must be > 0 requests per minute, got {rate_per_minute!r}")
        self.name = name
        self.interval = 60.0 / rate_per_minute
        self._clock = clock
        self._next_slot = 0.0  # the GCRA's "theoretical arrival time"
        self._paused_until = 0.0
        self.paused_seconds = 0.0

    @property
    def paused_until(self) -> float:
        return self._paused_until

    def pause(self, seconds: float) -> float:
        """Hold every caller of this endpoint for `seconds` from now; returns the added pause."""
        now = self._clock()
        until = now + max(0.0, seconds)
        if until <= self._paused_until:
            return 0.0
        added = until - max(now, self._paused_until)
        self._paused_until = until
        self.paused_seconds += added
        log.warning(
            "%s: throttled by the register; pausing all its requests %.2f s", self.name, seconds
        )
        return added

    def pause_throttled(self, retry_after: float | None) -> float:
        """After a 429: pause for its Retry-After, or a default when it names no wait."""
        return self.pause(PAUSE_WITHOUT_RETRY_AFTER if retry_after is None else retry_after)

    async def wait_turn(self) -> None:
        """Wait for this caller's slot; if a pause starts meanwhile, take a slot after it."""
        while True:
            now = self._clock()
            # Reserve before sleeping (no await in between), so concurrent callers queue up.
            slot = max(now, self._paused_until, self._next_slot)
            self._next_slot = slot + self.interval
            if slot > now:
                await asyncio.sleep(slot - now)
            if self._clock() >= self._paused_until:
                return


class Pacers:
    """One `EndpointPacer` per endpoint, all at one rate (the vendor counts per endpoint)."""

    def __init__(self, rate_per_minute: float, *, clock: Clock = time.monotonic) -> None:
        EndpointPacer("check", rate_per_minute)  # validate the rate now, not at the first request
        self.rate_per_minute = rate_per_minute
        self._clock = clock
        self._pacers: dict[str, EndpointPacer] = {}

    def __getitem__(self, endpoint: str) -> EndpointPacer:
        pacer = self._pacers.get(endpoint)
        if pacer is None:
            pacer = self._pacers[endpoint] = EndpointPacer(
                endpoint, self.rate_per_minute, clock=self._clock
            )
        return pacer

    @property
    def paused_seconds(self) -> float:
        return sum(p.paused_seconds for p in self._pacers.values())
