"""Numeric `strptime` formats (`%m/%d/%Y %H:%M`) read for a whole column with numpy.

`pd.to_datetime(format=...)` matches a regular expression per value (~3 µs each). A value
written at the format's full width (`03/07/2024 09:05`) is read here from its digits instead;
every other value (`3/7/2024 9:05`, `now`, typos, years outside 1900-2199, Unicode digits) is
left to pandas, so a column reads the same either way (tests/mapping/test_fixed_dates.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

__all__ = ["FixedFormat", "fixed_format", "read_fixed"]

_WIDTHS = {"Y": 4, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2}
# Literals that stand for themselves in pandas' format pattern (a space there is `\s+`, which
# a single space matches); letters other than T, `%%` and other directives are left to pandas.
_LITERALS = frozenset(" /-.:,T")
_FIRST_YEAR, _END_YEAR = 1900, 2200  # the import's range (dates.EARLIEST/LATEST); others: pandas
_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_ZERO = ord("0")


@dataclass(frozen=True)
class FixedFormat:
    """Where each directive's digits and each literal sit in a value of exactly `width`."""

    width: int
    starts: dict[str, int]  # directive letter → position of its first digit
    literals: tuple[tuple[int, int], ...]  # (position, code point)


@lru_cache(maxsize=256)
def fixed_format(fmt: str) -> FixedFormat | None:
    """The layout of `fmt` when it has only %Y %m %d (each once, all three) and optionally
    %H %M %S, with plain separators; None for anything else (pandas reads those alone)."""
    starts: dict[str, int] = {}
    literals: list[tuple[int, int]] = []
    position, i = 0, 0
    while i < len(fmt):
        char = fmt[i]
        if char == "%":
            letter = fmt[i + 1 : i + 2]
            if letter not in _WIDTHS or letter in starts:
                return None
            starts[letter] = position
            position += _WIDTHS[letter]
            i += 2
            continue
        if char not in _LITERALS:
            return None
        literals.append((position, ord(char)))
        position += 1
        i += 1
    if not {"Y", "m", "d"} <= starts.keys():
        return None
    return FixedFormat(position, starts, tuple(literals))


def read_fixed(text: pd.Series, layout: FixedFormat) -> tuple[pd.Series, pd.Series]:
    """(values read here as `datetime64[us]`, the rest for pandas) of a Series of text."""
    cells = text.to_numpy(dtype=object)
    candidate = np.fromiter(
        (type(v) is str and len(v) == layout.width for v in cells), dtype=bool, count=len(cells)
    )
    rows = np.flatnonzero(candidate)
    codes = cells[rows].astype(f"<U{layout.width}").view(np.uint32)
    codes = codes.reshape(len(rows), layout.width).astype(np.int64)
    digits = codes - _ZERO
    ok = np.ones(len(rows), dtype=bool)
    for position, code in layout.literals:
        ok &= codes[:, position] == code
    for letter, start in layout.starts.items():
        part = digits[:, start : start + _WIDTHS[letter]]
        ok &= ((part >= 0) & (part <= 9)).all(axis=1)
    parts = {k: _number(digits, start, _WIDTHS[k]) for k, start in layout.starts.items()}
    year, month, day = parts["Y"], parts["m"], parts["d"]
    hour, minute, second = (parts.get(k, np.zeros_like(year)) for k in ("H", "M", "S"))
    ok &= (year >= _FIRST_YEAR) & (year < _END_YEAR) & (month >= 1) & (month <= 12)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59) & (day >= 1)
    ok &= day <= _days_in_month(year, np.where(ok, month, 1))
    rows, year, month, day = rows[ok], year[ok], month[ok], day[ok]
    stamps = (year - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (month - 1)
    stamps = stamps.astype("datetime64[D]") + (day - 1)
    seconds = hour[ok] * 3600 + minute[ok] * 60 + second[ok]
    stamps = stamps.astype("datetime64[us]") + seconds.astype("timedelta64[s]")
    read = np.zeros(len(cells), dtype=bool)
    read[rows] = True
    found = pd.Series(stamps, index=text.index[rows], dtype="datetime64[us]")
    return found, text[~read]


def _number(digits: np.ndarray, start: int, width: int) -> np.ndarray:
    value = np.zeros(len(digits), dtype=np.int64)
    for column in range(start, start + width):
        value = value * 10 + digits[:, column]
    return value


def _days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days: np.ndarray = _DAYS[month] + (leap & (month == 2))
    return days
