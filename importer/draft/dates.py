"""Guess how a column writes its dates, from sample values, for `init-mapping`.

Strings are tried against common strptime formats; day-first and month-first are told apart by
values whose first or second number is above 12. Real date cells and Excel serial number cells
need no format; serials written as text need `excel_serial: true` (text is never a serial
unless the mapping says so).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Literal

__all__ = [
    "DATE_FORMATS",
    "DateGuess",
    "Order",
    "date_order",
    "guess_dates",
    "median_date",
]

Order = Literal["day", "month"]

# (format, order it implies when day and month are both numbers), most specific first.
DATE_FORMATS: list[tuple[str, Order | None]] = [
    ("%Y-%m-%dT%H:%M:%S.%f%z", None),
    ("%Y-%m-%dT%H:%M:%S%z", None),
    ("%Y-%m-%dT%H:%M:%S.%f", None),
    ("%Y-%m-%dT%H:%M:%S", None),
    ("%Y-%m-%dT%H:%M", None),
    ("%Y-%m-%d %H:%M:%S", None),
    ("%Y-%m-%d %H:%M", None),
    ("%Y-%m-%d", None),
    ("%Y/%m/%d %H:%M:%S", None),
    ("%Y/%m/%d %H:%M", None),
    ("%Y/%m/%d", None),
    ("%Y%m%d", None),
    ("%d/%m/%Y %H:%M:%S", "day"),
    ("%d/%m/%Y %H:%M", "day"),
    ("%d/%m/%Y %I:%M %p", "day"),
    ("%d/%m/%Y", "day"),
    ("%d/%m/%y %H:%M", "day"),
    ("%d/%m/%y", "day"),
    ("%d.%m.%Y %H:%M:%S", "day"),
    ("%d.%m.%Y %H:%M", "day"),
    ("%d.%m.%Y", "day"),
    ("%d.%m.%y", "day"),
    ("%d-%m-%Y %H:%M:%S", "day"),
    ("%d-%m-%Y %H:%M", "day"),
    ("%d-%m-%Y", "day"),
    ("%m/%d/%Y %H:%M:%S", "month"),
    ("%m/%d/%Y %H:%M", "month"),
    ("%m/%d/%Y %I:%M:%S %p", "month"),
    ("%m/%d/%Y %I:%M %p", "month"),
    ("%m/%d/%Y", "month"),
    ("%m/%d/%y %H:%M", "month"),
    ("%m/%d/%y", "month"),
    ("%m-%d-%Y %H:%M", "month"),
    ("%m-%d-%Y", "month"),
    ("%d %b %Y %H:%M", None),
    ("%d %b %Y", None),
    ("%d %B %Y", None),
    ("%d-%b-%Y", None),
    ("%d-%b-%y", None),
    ("%b %d, %Y", None),
    ("%B %d, %Y", None),
    ("%b %d %Y", None),
]

_SERIAL_TEXT = re.compile(r"^\d{5}(\.\d+)?$")
_SERIAL_RANGE = (20000.0, 80000.0)  # Excel day numbers 1954-2119
_EXCEL_EPOCH = datetime(1899, 12, 30)
_MAX_DISTINCT = 300  # enough to see every format a column uses; keeps the guess fast


@dataclass(slots=True)
class DateGuess:
    """What the sample says about one date column."""

    formats: list[str] = field(default_factory=list)
    dayfirst: bool = False
    order_unknown: bool = False  # numeric day/month both <= 12 everywhere: order is a guess
    order_conflict: bool = False  # some values only parse day-first, others only month-first
    native: int = 0  # distinct real date cells
    serials: int = 0  # distinct Excel serial numbers
    serial_texts: int = 0  # of which written as text (a CSV export): needs excel_serial: true
    texts: int = 0  # distinct text values
    unparsed: list[str] = field(default_factory=list)  # distinct texts no chosen format reads

    @property
    def looks_like_dates(self) -> bool:
        """At least 80% of the distinct sample values read as dates one way or another."""
        seen = self.native + self.serials + self.texts
        return seen > 0 and len(self.unparsed) <= 0.2 * seen


def guess_dates(values: Iterable[Any], *, prefer: Order = "day") -> DateGuess:
    """Formats (fewest that cover the sample) for a column's non-empty values.

    `prefer` settles day/month order when no value decides it (e.g. from the sheet's other columns).
    """
    guess = DateGuess()
    texts = _split_kinds(values, guess)
    parsed = _parse_table(texts)
    order, guess.order_conflict = _order_from(parsed)
    guess.order_unknown = order is None and any(
        parsed[fmt] for fmt, fmt_order in DATE_FORMATS if fmt_order
    )
    chosen_order: Order = order or prefer
    allowed = [fmt for fmt, fmt_order in DATE_FORMATS if fmt_order in (None, chosen_order)]
    remaining = set(texts)
    while remaining:
        best = max(allowed, key=lambda fmt: len(parsed[fmt] & remaining))
        covered = parsed[best] & remaining
        if not covered:
            break
        guess.formats.append(best)
        remaining -= covered
    guess.dayfirst = any(dict(DATE_FORMATS)[fmt] == "day" for fmt in guess.formats)
    guess.unparsed = sorted(remaining)
    return guess


def median_date(values: Iterable[Any]) -> datetime | None:
    """The middle date of a column's values (naive UTC): which of two columns comes first."""
    cells = list(values)
    guess = guess_dates(cells)
    found = sorted(d for d in (_as_datetime(v, guess.formats) for v in cells) if d is not None)
    return found[len(found) // 2] if found else None


def _as_datetime(value: Any, formats: list[str]) -> datetime | None:
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if _is_serial(value):
        return _EXCEL_EPOCH + timedelta(days=float(value))
    for fmt in formats:
        try:
            parsed = datetime.strptime(str(value).strip(), fmt)
        except ValueError:
            continue
        return parsed.astimezone(UTC).replace(tzinfo=None) if parsed.tzinfo else parsed
    return None


def date_order(values: Iterable[Any]) -> Order | None:
    """`day` or `month` when some value proves it; None when nothing does."""
    return _order_from(_parse_table(_split_kinds(values, DateGuess())))[0]


def _split_kinds(values: Iterable[Any], guess: DateGuess) -> list[str]:
    texts: set[str] = set()
    natives: set[Any] = set()
    serials: set[float] = set()
    for value in values:
        if isinstance(value, datetime | date):
            natives.add(value)
        elif _is_serial(value):
            serials.add(float(value))
            guess.serial_texts += isinstance(value, str)
        elif len(texts) < _MAX_DISTINCT:
            texts.add(str(value).strip())
    guess.native, guess.serials, guess.texts = len(natives), len(serials), len(texts)
    return sorted(texts)


def _is_serial(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    numeric = isinstance(value, int | float)
    if not numeric and not (isinstance(value, str) and _SERIAL_TEXT.match(value.strip())):
        return False
    number = float(value)
    return _SERIAL_RANGE[0] <= number <= _SERIAL_RANGE[1]


def _parse_table(texts: list[str]) -> dict[str, set[str]]:
    return {fmt: {text for text in texts if _parses(text, fmt)} for fmt, _ in DATE_FORMATS}


def _parses(text: str, fmt: str) -> bool:
    try:
        datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


def _order_from(parsed: dict[str, set[str]]) -> tuple[Order | None, bool]:
    """Decide day/month order from values only one of them reads; flag a conflict."""
    day = set().union(*(parsed[f] for f, o in DATE_FORMATS if o == "day"))
    month = set().union(*(parsed[f] for f, o in DATE_FORMATS if o == "month"))
    day_only, month_only = len(day - month), len(month - day)
    if not day_only and not month_only:
        return None, False
    order: Order = "day" if day_only >= month_only else "month"
    return order, bool(day_only and month_only)
