"""Date cells other than text in a mapping's formats: one column's parse as it accumulates
(`Parsed`), Excel serial numbers, real date cells, and free-form text read by dateutil.

`dates.parse_dates` decides which cells go where; the functions here read their share and
`put` it into the `Parsed` of the column.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Literal

import numpy as np
import pandas as pd
from dateutil import parser as dateutil_parser

from importer.mapping.date_order import ColumnOrder, in_column_order

__all__ = [
    "EARLIEST",
    "EPOCH_1904",
    "EXCEL_EPOCH",
    "LATEST",
    "SERIAL_END",
    "SERIAL_FIRST",
    "Parsed",
    "in_range",
    "parse_datetimes",
    "parse_in_order",
    "parse_lenient",
    "parse_numbers",
    "serial_text",
]

EARLIEST = pd.Timestamp("1900-01-01")
LATEST = pd.Timestamp("2200-01-01")
_UNIT: Literal["datetime64[us]"] = "datetime64[us]"
# A serial is a date only inside this range: 2019 (a year) would be 1905-07-11, 5 a day in 1900.
SERIAL_FIRST = pd.Timestamp("1970-01-01")
SERIAL_END = pd.Timestamp("2100-01-01")
EXCEL_EPOCH = "1899-12-30"  # the 1900 date system (with Lotus's leap-day bug folded in)
EPOCH_1904 = "1904-01-01"
_TIME_OF_DAY = re.compile(r"\d:\d")


class Parsed:
    """Accumulates one column's parse: local naive values, UTC values, and date-only flags."""

    def __init__(self, index: pd.Index) -> None:
        self.local = pd.Series(pd.NaT, index=index, dtype=_UNIT)
        self.utc = pd.Series(pd.NaT, index=index, dtype=_UNIT)
        self.date_only = pd.Series(False, index=index)
        self.out_of_range: set[Any] = set()  # labels read as a date, but before 1900 or 2200+

    def put(
        self, values: pd.Series, *, aware: bool = False, date_only: bool | pd.Series = False
    ) -> None:
        kept = in_range(values)
        self.out_of_range.update(values.index[values.notna() & kept.isna()])
        values = kept
        found = values.notna()
        if not found.any():
            return
        rows = values.index[found]
        if aware:
            values = values.dt.tz_convert("UTC").dt.tz_localize(None)
        # Nanoseconds (nine fractional digits) would not fit the microsecond column: truncate
        # first, like every value (the output keeps milliseconds), instead of failing the chunk.
        column = self.utc if aware else self.local
        column.loc[rows] = values[found].dt.floor("us").astype(_UNIT)
        flags = date_only if isinstance(date_only, bool) else date_only[found]
        self.date_only.loc[rows] = flags

    def done(self) -> pd.Series:
        return self.local.notna() | self.utc.notna()


def in_range(values: pd.Series) -> pd.Series:
    naive = values.dt.tz_convert("UTC").dt.tz_localize(None) if values.dt.tz else values
    return values.where((naive >= EARLIEST) & (naive < LATEST))


def parse_numbers(
    numbers: pd.Series, serials: bool, parsed: Parsed, epoch: str, why: dict[int, str]
) -> None:
    """Excel serial dates (days since the workbook's epoch), inside SERIAL_FIRST..SERIAL_END."""
    if numbers.empty:
        return
    if not serials:
        for position in numbers.index:
            why[int(position)] = "a number, not a date (excel_serial is off)"
        return
    days = numbers.where(numbers.abs() < 1e6)
    values = pd.to_datetime(days, unit="D", origin=epoch, errors="coerce").dt.round("s")
    plausible = (values >= SERIAL_FIRST) & (values < SERIAL_END)
    refused = ~plausible.to_numpy()
    for position, value, stamp in zip(
        numbers.index[refused], numbers[refused], values[refused], strict=True
    ):
        shown = "" if pd.isna(stamp) else f" (as an Excel serial it would be {_day(stamp)})"
        why[int(position)] = (
            f"the number {value:g} is not a plausible Excel date serial{shown}: serials "
            f"are read only for {SERIAL_FIRST.year}-{SERIAL_END.year - 1}; write the date"
        )
    usable = values[plausible]
    parsed.put(usable, date_only=numbers[plausible] == numbers[plausible].round())


def _day(stamp: pd.Timestamp) -> str:
    """The day of `stamp`, also outside the years 1-9999 Python's dates allow (-693594 is the
    day before 0001-01-01: `stamp.date()` raises, which made every row of the chunk fail)."""
    try:
        return stamp.date().isoformat()
    except (NotImplementedError, ValueError, OverflowError):
        return "outside the years 1-9999"


def serial_text(value: float, date1904: bool) -> str | None:
    """The date a workbook number cell in a date column is read as, written as text the same
    mapping reads back (`2023-03-15`, `2023-03-15T12:00:00`); None when it is no plausible
    serial (the run refused it: the number is kept for a person to fix)."""
    numbers = pd.Series([float(value)])
    if not np.isfinite(numbers).all() or abs(value) >= 1e6:
        return None
    epoch = EPOCH_1904 if date1904 else EXCEL_EPOCH
    stamp = pd.to_datetime(numbers, unit="D", origin=epoch, errors="coerce").dt.round("s")[0]
    if pd.isna(stamp) or not SERIAL_FIRST <= stamp < SERIAL_END:
        return None
    if float(value).is_integer():
        return str(stamp.date().isoformat())
    return str(stamp.isoformat())


def parse_datetimes(cells: pd.Series, parsed: Parsed) -> None:
    if cells.empty:
        return
    aware = cells.map(lambda v: isinstance(v, datetime) and v.tzinfo is not None).astype(bool)
    if aware.any():
        parsed.put(pd.to_datetime(cells[aware], utc=True, errors="coerce"), aware=True)
    naive = pd.to_datetime(cells[~aware].map(_as_datetime), errors="coerce")
    if naive.dt.tz is not None:  # a tz-aware pandas Timestamp slipped through
        parsed.put(naive, aware=True)
        return
    midnight = naive == naive.dt.normalize()  # an xlsx date cell is a datetime at 00:00
    parsed.put(naive, date_only=midnight)


def _as_datetime(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    return value


def parse_in_order(text: pd.Series, order: ColumnOrder, parsed: Parsed) -> None:
    local: dict[str, pd.Timestamp] = {}
    for position, value, candidate in in_column_order(text, order):
        stamp = _lenient_one(candidate, False)
        if stamp is None or stamp.tzinfo is not None:
            order.contradicted(position)
        else:
            local[value] = stamp
    if local:
        sub = text[text.isin(list(local))]
        values = pd.to_datetime(sub.map(local), errors="coerce")
        parsed.put(values, date_only=~sub.str.contains(_TIME_OF_DAY))


def parse_lenient(
    text: pd.Series, dayfirst: bool, parsed: Parsed, why: dict[int, str] | None = None
) -> None:
    """Anything dateutil understands, one distinct value at a time (only leftovers get here),
    provided it names a year, a month and a day: dateutil fills a missing part from today
    (`12:30` would be today at 12:30, `2024-05` the 1st of May), a day nobody wrote."""
    local: dict[str, pd.Timestamp] = {}
    utc: dict[str, pd.Timestamp] = {}
    for value in text.unique():
        missing = _missing_parts(value, dayfirst)
        if missing is None:  # pandas alone reads more (`2024Q2` as 1 April): refused
            continue
        if missing:
            if why is not None:
                reason = f"not a whole date: it has no {missing}; write the full date"
                for position in text.index[text == value]:
                    why[int(position)] = reason
            continue
        stamp = _lenient_one(value, dayfirst)
        if stamp is None:
            continue
        if stamp.tzinfo is None:
            local[value] = stamp
        else:
            utc[value] = stamp.tz_convert("UTC").tz_localize(None)
    if local:
        sub = text[text.isin(list(local))]
        values = pd.to_datetime(sub.map(local), errors="coerce")
        parsed.put(values, date_only=~sub.str.contains(_TIME_OF_DAY))
    if utc:
        sub = text[text.isin(list(utc))]
        parsed.put(pd.to_datetime(sub.map(utc), errors="coerce").dt.tz_localize("UTC"), aware=True)


def _missing_parts(value: str, dayfirst: bool) -> str | None:
    """The parts ("year", "day", "year, month or day") dateutil would take from its default
    rather than from `value` (parsed against two defaults that differ in every part); "" when
    whole, None when dateutil cannot read it at all."""
    try:
        one = dateutil_parser.parse(value, dayfirst=dayfirst, default=datetime(2000, 1, 1))
        two = dateutil_parser.parse(value, dayfirst=dayfirst, default=datetime(2001, 2, 2))
    except (ValueError, OverflowError, TypeError):
        return None
    names = [n for n in ("year", "month", "day") if getattr(one, n) != getattr(two, n)]
    if len(names) > 1:
        return ", ".join(names[:-1]) + " or " + names[-1]
    return names[0] if names else ""


def _lenient_one(value: str, dayfirst: bool) -> pd.Timestamp | None:
    try:
        stamp = pd.to_datetime(value, dayfirst=dayfirst)
    except (ValueError, OverflowError, TypeError):
        return None
    return None if pd.isna(stamp) else pd.Timestamp(stamp)
