"""Counters a run's summary reports: requests, retries, 429s, statuses, pauses."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SendStats"]


@dataclass
class SendStats:
    """What the client did so far; API calls only (token requests count in `token_refreshes`)."""

    requests: int = 0  # HTTP requests to API endpoints, every retry and 401 replay included
    retries: int = 0  # requests that repeated an earlier one of the same call
    throttled: int = 0  # 429 answers
    by_status: dict[int, int] = field(default_factory=dict)
    token_refreshes: int = 0  # tokens fetched after the first one
    paused_seconds: float = 0.0  # wall time endpoints spent paused by a 429's Retry-After
    ambiguous: int = 0  # creates that may have been applied (500, timeout, dropped connection)
    by_endpoint: dict[str, int] = field(default_factory=dict)  # requests per paced endpoint
    transport_errors: dict[str, int] = field(default_factory=dict)  # httpx exception name -> count

    def count_response(self, endpoint: str, status: int) -> None:
        self._count_request(endpoint)
        self.by_status[status] = self.by_status.get(status, 0) + 1
        if status == 429:
            self.throttled += 1

    def count_transport_error(self, endpoint: str, exc: BaseException) -> None:
        self._count_request(endpoint)
        name = type(exc).__name__
        self.transport_errors[name] = self.transport_errors.get(name, 0) + 1

    def _count_request(self, endpoint: str) -> None:
        self.requests += 1
        self.by_endpoint[endpoint] = self.by_endpoint.get(endpoint, 0) + 1

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values for `summary.json` (status codes become strings)."""
        return {
            "requests": self.requests,
            "retries": self.retries,
            "throttled": self.throttled,
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "token_refreshes": self.token_refreshes,
            "paused_seconds": round(self.paused_seconds, 3),
            "ambiguous": self.ambiguous,
            "by_endpoint": dict(sorted(self.by_endpoint.items())),
            "transport_errors": dict(Counter(self.transport_errors).most_common()),
        }
