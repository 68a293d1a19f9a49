"""Durations in mapping files: `72h`, `3d`, `1d12h`, `-30m`, `2w`."""

from __future__ import annotations

import re
from datetime import timedelta

__all__ = ["parse_duration"]

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([wdhms])")
_WHOLE = re.compile(r"^[+-]?\s*(?:\d+(?:\.\d+)?\s*[wdhms]\s*)+$")
_UNIT = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes", "s": "seconds"}


def parse_duration(text: str) -> timedelta:
    """Parse `72h` or `1d12h` (units w, d, h, m, s; a leading `-` means before); else ValueError."""
    cleaned = text.strip().lower()
    if not _WHOLE.match(cleaned):
        raise ValueError(f"not a duration: {text!r} (e.g. 72h, 3d, 1d12h, -30m)")
    total = timedelta()
    for amount, unit in _PART.findall(cleaned):
        total += timedelta(**{_UNIT[unit]: float(amount)})
    return -total if cleaned.startswith("-") else total
