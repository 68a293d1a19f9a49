"""Fixed-width numeric date text, read and written for a whole column with numpy.

`pd.to_datetime(format=...)` matches a regular expression per value (~3 µs each). A value
written at the format's full width (`03/07/2024 09:05`) is read here from its digits instead;
every other value (`3/7/2024 9:05`, `now`, typos, years outside 1900-2199, Unicode digits) is
left to pandas, so a column reads the same either way. `iso_text` writes the API's
`2024-12-31T13:30:00.000Z` from the digits of each part instead of a string per value
(tests/mapping/test_fixed_dates.py checks both against pandas and numpy).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

__all__ = [
    "FixedFormat",
    "days_from_civil",
    "fixed_format",
    "iso_text",
    "read_cells",
    "read_fixed",
]

_WIDTHS = {"Y": 4, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2}
# Literals that stand for themselves in pandas' format pattern (a space there is `\s+`, which
# a single space matches); letters other than T, `%%` and other directives are left to pandas.
_LITERALS = frozenset(" /-.:,T")
_FIRST_YEAR, _END_YEAR = 1900, 2200  # the import's range (dates.EARLIEST/LATEST); others: pandas
_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])
_ZERO = ord("0")
_UNIT = "datetime64[us]"


@dataclass(frozen=True, eq=False)
class FixedFormat:
    """Where each directive's digits and each literal sit in a value of exactly `width`."""

    width: int
    starts: dict[str, int]  # directive letter → position of its first digit
    expected: np.ndarray  # per position: the literal's code point, -1 where a digit goes
    weights: np.ndarray  # (width, directives): digits @ weights → each directive's number

    def numbers(self, digits: np.ndarray) -> dict[str, np.ndarray]:
        # float64 for BLAS: every sum stays below 2**53 (code points < 2**21, weights <= 1000)
        values = (digits.astype(np.float64) @ self.weights).astype(np.int64)
        return {letter: values[:, i] for i, letter in enumerate(self.starts)}


@lru_cache(maxsize=256)
def fixed_format(fmt: str) -> FixedFormat | None:
    """The layout of `fmt` when it has only %Y %m %d (each once, all three) and optionally
    %H %M %S, with plain separators; None for anything else (pandas reads those alone)."""
    starts: dict[str, int] = {}
    expected: list[int] = []
    i = 0
    while i < len(fmt):
        char = fmt[i]
        if char == "%":
            letter = fmt[i + 1 : i + 2]
            if letter not in _WIDTHS or letter in starts:
                return None
            starts[letter] = len(expected)
            expected += [-1] * _WIDTHS[letter]
            i += 2
            continue
        if char not in _LITERALS:
            return None
        expected.append(ord(char))
        i += 1
    if not {"Y", "m", "d"} <= starts.keys():
        return None
    weights = np.zeros((len(expected), len(starts)), dtype=np.float64)
    for column, (letter, start) in enumerate(starts.items()):
        width = _WIDTHS[letter]
        for place in range(width):
            weights[start + width - 1 - place, column] = 10**place
    return FixedFormat(len(expected), starts, np.array(expected), weights)


def read_fixed(text: pd.Series, layout: FixedFormat) -> tuple[pd.Series, pd.Series]:
    """(values read here as `datetime64[us]`, the rest for pandas) of a Series of text."""
    cells = text.to_numpy(dtype=object)
    stamps = read_cells(cells, _lengths(text, cells), layout)
    read = ~np.isnat(stamps)
    return pd.Series(stamps[read], index=text.index[read], dtype=_UNIT), text[~read]


def read_cells(cells: np.ndarray, lengths: np.ndarray, layout: FixedFormat) -> np.ndarray:
    """`datetime64[us]` per cell (`lengths`: each one's, -1 for no `str`); NaT for the cells
    this reading cannot vouch for."""
    rows = np.flatnonzero(lengths == layout.width)
    codes = cells[rows].astype(f"<U{layout.width}").view(np.uint32)
    codes = codes.reshape(len(rows), layout.width)
    # Each position's allowed code points as low + 0..span: '0' + 0..9 for a digit, the literal
    # + 0 otherwise; below low wraps round to a large unsigned number, so one test does both.
    is_digit = layout.expected < 0
    low = np.where(is_digit, _ZERO, layout.expected).astype(np.uint32)
    span = np.where(is_digit, 9, 0).astype(np.uint32)
    bad = (codes - low) > span
    # One test over the whole block first: a row-wise reduction costs ~4x, and is needed only
    # when some cell has a character out of place.
    ok = ~bad.any(axis=1) if bad.any() else np.ones(len(rows), dtype=bool)
    parts = layout.numbers(codes.astype(np.int64) - _ZERO)
    year, month, day = parts["Y"], parts["m"], parts["d"]
    hour, minute, second = (parts.get(k, np.zeros_like(year)) for k in ("H", "M", "S"))
    ok &= (year >= _FIRST_YEAR) & (year < _END_YEAR) & (month >= 1) & (month <= 12)
    ok &= (hour <= 23) & (minute <= 59) & (second <= 59) & (day >= 1)
    ok &= day <= _days_in_month(year, np.where(ok, month, 1))
    days = days_from_civil(year[ok], month[ok], day[ok])
    seconds = days * 86_400 + hour[ok] * 3600 + minute[ok] * 60 + second[ok]
    found = np.full(len(cells), np.datetime64("NaT"), dtype=_UNIT)
    found[rows[ok]] = (seconds * 1_000_000).view(_UNIT)  # < 2**63: years before 2200 only
    return found


def _lengths(text: pd.Series, cells: np.ndarray) -> np.ndarray:
    """Each cell's length; -1 for a cell that is no `str` (left to pandas)."""
    if isinstance(text.dtype, pd.StringDtype):  # str values or missing ones
        try:
            return np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))
        except TypeError:  # a missing value
            pass
    lengths = (len(v) if type(v) is str else -1 for v in cells)
    return np.fromiter(lengths, dtype=np.int64, count=len(cells))


def _days_in_month(year: np.ndarray, month: np.ndarray) -> np.ndarray:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    days: np.ndarray = _DAYS[month] + (leap & (month == 2))
    return days


_ISO = np.array([ord(c) for c in "0000-00-00T00:00:00.000Z"], dtype=np.uint32)
_TENS = _ZERO + np.arange(100, dtype=np.uint32) // 10  # the digits of 00..99
_UNITS = _ZERO + np.arange(100, dtype=np.uint32) % 10
_DAY_MS = 86_400_000


def iso_text(stamps: np.ndarray) -> np.ndarray:
    """`datetime64[ms]` → `2024-12-31T13:30:00.000Z` (`<U24`): what
    `np.datetime_as_string(stamps, unit="ms")` + "Z" writes (`NaTZ` for NaT)."""
    missing = np.isnat(stamps)
    days, ms = np.divmod(np.where(missing, 0, stamps.view(np.int64)), _DAY_MS)
    year, month, day = _civil(days)
    if ((year < 0) | (year > 9999)).any():  # written with a sign or five digits: numpy's own
        return np.char.add(np.datetime_as_string(stamps, unit="ms"), "Z")
    seconds = ms // 1000
    # One row of code points per character, filled a whole row at a time, then turned so each
    # value's 24 characters lie together (assigning column pairs of an (n, 24) array is ~5x
    # slower).
    codes = np.empty((len(_ISO), len(stamps)), dtype=np.uint32)
    codes[:] = _ISO[:, None]
    parts = [(0, year // 100), (2, year % 100), (5, month), (8, day), (11, seconds // 3600)]
    parts += [(14, seconds // 60 % 60), (17, seconds % 60), (21, ms % 100)]
    for start, pair in parts:
        codes[start] = _TENS[pair]
        codes[start + 1] = _UNITS[pair]
    codes[20] = _ZERO + ms % 1000 // 100
    text = np.ascontiguousarray(codes.T).view("<U24").reshape(len(stamps))
    if missing.any():
        text[missing] = "NaTZ"
    return text


def days_from_civil(year: np.ndarray, month: np.ndarray, day: np.ndarray) -> np.ndarray:
    """Days since 1970-01-01 of valid (year, month, day) int64 arrays, proleptic Gregorian, in
    integer arithmetic (H. Hinnant's `days_from_civil`, the inverse of `_civil`): numpy's
    `datetime64[Y]` → `[M]` → `[D]` casts cost ~0.1 µs a value each."""
    shifted = year - (month <= 2)  # years counted from March: the leap day ends a year
    era = shifted // 400
    year_of_era = shifted - era * 400
    day_of_year = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    days: np.ndarray = era * 146_097 + day_of_era - 719_468
    return days


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(year, month, day) of days since 1970-01-01 in the proleptic Gregorian calendar, in
    integer arithmetic (H. Hinnant's `civil_from_days`; numpy's floor division suits it)."""
    shifted = days + 719_468  # days since 0000-03-01
    era = shifted // 146_097
    day_of_era = shifted - era * 146_097
    year_of_era = (
        day_of_era - day_of_era // 1460 + day_of_era // 36_524 - day_of_era // 146_096
    ) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    month_from_march = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * month_from_march + 2) // 5 + 1
    month = np.where(month_from_march < 10, month_from_march + 3, month_from_march - 9)
    return year_of_era + era * 400 + (month <= 2), month, day
