"""Vendor-like rate limits: requests per endpoint per window, and an account-wide hourly limit.

Both are sliding windows over the admitted requests (stricter than fixed windows: a client
that never sees a 429 here stays under the vendor's limit whatever its window alignment).
Refused requests do not count.
"""

from __future__ import annotations

import math
import threading
import time
import uuid
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["QuotaBook", "QuotaRefusal", "SlidingWindow"]


@dataclass(frozen=True)
class QuotaRefusal:
    """Why a request got 429; `headers()` are the vendor's response headers."""

    retry_after: float  # seconds until the window admits a request again
    allowed: int
    made: int  # requests in the window, this one included
    period: str  # MINUTE (per endpoint) or HOUR (account-wide)
    event_id: str

    def headers(self) -> dict[str, str]:
        return {
            "Retry-After": str(max(1, math.ceil(self.retry_after))),
            "ot-requests-allowed": str(self.allowed),
            "ot-request-made": str(self.made),
            "ot-period": self.period,
            "ot-ratelimit-event-id": self.event_id,
        }


class SlidingWindow:
    """At most `limit` admissions in any `seconds`-long interval (not thread-safe by itself)."""

    def __init__(self, limit: int, seconds: float) -> None:
        self.limit = limit
        self.seconds = seconds
        self._admitted: deque[float] = deque()

    def wait_needed(self, now: float) -> float:
        """Seconds until a request could be admitted; 0 when it can be now."""
        while self._admitted and self._admitted[0] <= now - self.seconds:
            self._admitted.popleft()
        if len(self._admitted) < self.limit:
            return 0.0
        return self._admitted[0] + self.seconds - now

    def admit(self, now: float) -> None:
        self._admitted.append(now)

    @property
    def made(self) -> int:
        return len(self._admitted)


class QuotaBook:
    """Per-endpoint and account-wide windows; thread-safe."""

    def __init__(
        self,
        rate_limit: int,
        window_seconds: float,
        hourly_limit: int,
        hour_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.configure(rate_limit, window_seconds, hourly_limit, hour_seconds)

    def configure(
        self, rate_limit: int, window_seconds: float, hourly_limit: int, hour_seconds: float
    ) -> None:
        """Apply new limits; every window starts empty again."""
        with self._lock:
            self._rate = (rate_limit, window_seconds)
            self._account = SlidingWindow(hourly_limit, hour_seconds)
            self._endpoints: dict[str, SlidingWindow] = {}
            self.admitted: Counter[str] = Counter()
            self.refused: Counter[str] = Counter()

    def reset(self) -> None:
        with self._lock:
            limit, seconds = self._rate
            account = self._account
        self.configure(limit, seconds, account.limit, account.seconds)

    def try_admit(self, endpoint: str) -> QuotaRefusal | None:
        """Count a request to `endpoint` (e.g. `POST /api/incident/v1/incidents`), or refuse it."""
        with self._lock:
            now = self._clock()
            window = self._endpoints.get(endpoint)
            if window is None:
                window = self._endpoints[endpoint] = SlidingWindow(*self._rate)
            for limiter, period in ((window, "MINUTE"), (self._account, "HOUR")):
                wait = limiter.wait_needed(now)
                if wait > 0:
                    self.refused[endpoint] += 1
                    return QuotaRefusal(
                        wait, limiter.limit, limiter.made + 1, period, str(uuid.uuid4())
                    )
            window.admit(now)
            self._account.admit(now)
            self.admitted[endpoint] += 1
            return None
