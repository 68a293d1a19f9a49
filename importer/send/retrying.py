"""One logical API call, and the policy that repeats its requests until one counts.

Only `RetryableSendError` is retried: a server-named wait is honoured (a 429's is already spent
in the endpoint pause), anything else backs off with full jitter, up to `max_attempts` requests.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from importer.errors import RetryableSendError, SendError

__all__ = ["BACKOFF_FIRST_WINDOW", "Call", "RetryPolicy"]

log = logging.getLogger("importer.send")

BACKOFF_FIRST_WINDOW = 0.5  # seconds: full jitter draws from [0, 0.5], then [0, 1], [0, 2], ...


@dataclass
class Call:
    """One logical API call and the requests made for it so far."""

    endpoint: str  # pacing budget: the vendor counts requests per endpoint
    method: str
    path: str
    idempotent: bool
    json: Any = None
    params: dict[str, Any] | None = None
    passthrough: frozenset[int] = frozenset()  # statuses the caller interprets itself (404 on GET)
    attempts: int = 0

    @property
    def what(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class RetryPolicy:
    """How often and after what wait a call's failed request is sent again."""

    max_attempts: int
    max_wait: float
    backoff: wait_random_exponential = field(init=False)

    def __post_init__(self) -> None:
        self.backoff = wait_random_exponential(multiplier=BACKOFF_FIRST_WINDOW, max=self.max_wait)

    async def run(
        self, call: Call, attempt: Callable[[], Awaitable[httpx.Response]]
    ) -> httpx.Response:
        """`attempt()` until it answers or fails for good; the error carries `call.attempts`."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(self._may_retry),
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            async for try_ in retrying:
                with try_:
                    return await attempt()
        except SendError as exc:
            exc.attempts = call.attempts  # status_code stays None for transport failures
            raise
        raise AssertionError("tenacity ended without an outcome")  # pragma: no cover

    def _may_retry(self, exc: BaseException) -> bool:
        if not isinstance(exc, RetryableSendError):
            return False
        # A server-named wait longer than we may wait ends the call; the caller decides.
        return exc.retry_after is None or exc.retry_after <= self.max_wait

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, SendError) and exc.retry_after is not None:
            # A 429's wait is already enforced for every worker by the endpoint pause.
            return 0.0 if exc.status_code == 429 else exc.retry_after
        return float(self.backoff(state))


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.info("retrying in %.2f s after: %s", wait, exc)
