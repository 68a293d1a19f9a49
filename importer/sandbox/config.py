"""Start-up settings of the sandbox register: quotas, token lifetime and fault knobs.

Both can be given as CLI text (`parse_rate("1000/min")`, `parse_faults("latency_ms=20")`)
and changed while the server runs through the `/_sandbox/` admin endpoints.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, fields
from typing import Any

from importer.errors import ConfigError

__all__ = [
    "PROBABILITY_KNOBS",
    "Faults",
    "SandboxConfig",
    "SandboxConfigError",
    "parse_faults",
    "parse_rate",
]

PROBABILITY_KNOBS = (
    "fail_before_commit",
    "fail_after_commit",
    "drop_after_commit",
    "unavailable",
    "search_empty",
    "search_ignore_sort",
    "search_omit_empty",
)
# How Search Incidents answers: the vendor's published JSON array, or a Spring-style page.
SEARCH_ANSWERS = ("array", "page")


class SandboxConfigError(ConfigError, ValueError):
    """A sandbox setting, seed file or listen address that cannot be used."""


@dataclass
class Faults:
    """Fault knobs; every probability is per create request and 0 means never."""

    fail_before_commit: float = 0.0  # 500, nothing stored
    fail_after_commit: float = 0.0  # stored, then 500
    drop_after_commit: float = 0.0  # stored, then the connection closes with no response
    unavailable: float = 0.0  # 503 + Retry-After, nothing stored
    unavailable_retry_after: float = 1.0
    latency_ms: float = 0.0  # added to every /api call
    random_seed: int | None = None
    # A register that is slow, lags and forgets (see docs/sandbox.md):
    commit_delay_ms: float = 0.0  # a create stores this long after it arrives, client or not
    search_lag_ms: float = 0.0  # a new incident shows in search results this long after create
    search_empty: float = 0.0  # per search: 200 with no results at all
    search_ignore_sort: float = 0.0  # per search: oldest first, whatever `sort` asked for
    search_omit_empty: float = 0.0  # per search: results leave out null and empty fields
    search_answer: str = "array"  # "array" (the vendor's published answer) or "page"

    def __post_init__(self) -> None:
        for name in PROBABILITY_KNOBS:
            value = getattr(self, name)
            if not _is_number(value) or not 0.0 <= value <= 1.0:
                raise SandboxConfigError(f"fault {name} must be a probability 0..1, got {value!r}")
        if self.search_answer not in SEARCH_ANSWERS:
            raise SandboxConfigError(
                f"fault search_answer must be one of {', '.join(SEARCH_ANSWERS)},"
                f" got {self.search_answer!r}"
            )
        for name in ("unavailable_retry_after", "latency_ms", "commit_delay_ms", "search_lag_ms"):
            value = getattr(self, name)
            if not _is_number(value) or value < 0 or math.isinf(value):
                raise SandboxConfigError(f"fault {name} must be a number >= 0, got {value!r}")
        seed = self.random_seed
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise SandboxConfigError(f"fault random_seed must be an integer, got {seed!r}")

    def as_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class SandboxConfig:
    """Quotas and token lifetime; the account-wide window is 60 x `window_seconds` (an hour)."""

    rate_limit: int = 1000  # requests per endpoint per window
    window_seconds: float = 60.0
    hourly_limit: int = 200_000  # account-wide, per 60 windows
    token_lifetime: float = 3600.0  # seconds
    faults: Faults = field(default_factory=Faults)

    def __post_init__(self) -> None:
        for name in ("rate_limit", "hourly_limit"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise SandboxConfigError(f"{name} must be an integer >= 1, got {value!r}")
        for name in ("window_seconds", "token_lifetime"):
            value = getattr(self, name)
            if not _is_number(value) or not 0 < value < math.inf:
                raise SandboxConfigError(f"{name} must be a number > 0, got {value!r}")

    @property
    def hour_seconds(self) -> float:
        """The account-wide window, scaled with `window_seconds` so tests can shrink it."""
        return self.window_seconds * 60

    def settings(self) -> dict[str, Any]:
        """The runtime-adjustable settings, as `GET /_sandbox/config` shows them."""
        return {
            "rate_limit": self.rate_limit,
            "window_seconds": self.window_seconds,
            "hourly_limit": self.hourly_limit,
            "hour_seconds": self.hour_seconds,
            "token_lifetime": self.token_lifetime,
        }


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and not math.isnan(value)


_FAULT_NAMES = tuple(f.name for f in fields(Faults))


def parse_faults(spec: str) -> Faults:
    """Faults from CLI text, e.g. `"fail_after_commit=0.1,latency_ms=20"`; empty text gives none."""
    knobs: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in spec.split(","))):
        name, sep, raw = (s.strip() for s in part.partition("="))
        if not sep or name not in _FAULT_NAMES:
            raise SandboxConfigError(
                f"bad fault {part!r}: expected NAME=VALUE, NAME one of {', '.join(_FAULT_NAMES)}"
            )
        knobs[name] = _parse_knob(name, raw)
    return Faults(**knobs)


def _parse_knob(name: str, raw: str) -> float | int | str | None:
    if name == "search_answer":
        return raw
    try:
        if name == "random_seed":
            return None if raw.lower() in {"", "none"} else int(raw)
        return float(raw)
    except ValueError:
        kind = "an integer" if name == "random_seed" else "a number"
        raise SandboxConfigError(f"fault {name} must be {kind}, got {raw!r}") from None


_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*\.?\d*)\s*([a-z]*)\s*$", re.IGNORECASE)
_UNIT_SECONDS = {
    "": 1.0,
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "seconds": 1.0,
    "m": 60.0,
    "min": 60.0,
    "minute": 60.0,
    "minutes": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
    "hours": 3600.0,
}


def parse_rate(spec: str) -> tuple[int, float]:
    """`(requests, window seconds)` from `"1000/60s"`, `"1000/min"`, `"50/2s"` or `"100/0.5s"`."""
    match = _RATE.match(spec)
    unit = match.group(3).lower() if match else ""
    if not match or unit not in _UNIT_SECONDS or (not match.group(2) and not unit):
        raise SandboxConfigError(
            f"bad rate {spec!r}: expected REQUESTS/WINDOW such as 1000/min, 1000/60s or 20/1s"
        )
    count_text, length_text = match.group(1), match.group(2)
    try:
        length = float(length_text) if length_text else 1.0
    except ValueError:
        raise SandboxConfigError(f"bad rate {spec!r}: {length_text!r} is not a number") from None
    window = length * _UNIT_SECONDS[unit]
    if int(count_text) < 1 or window <= 0:
        raise SandboxConfigError(f"bad rate {spec!r}: requests and window must be > 0")
    return int(count_text), window
