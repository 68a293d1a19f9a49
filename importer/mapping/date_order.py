"""One order (day or month first) for every free-form date of a column.

`12.07.2024` next to `13.07.2024` must not become 7 December and 13 July: the column's
unambiguous values decide, the decision holds for the rest of the run, and a value that
contradicts it is refused, never read the other way round (docs/cells.md).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pandas as pd

from importer.mapping.spec_dates import DateSpec

__all__ = ["NUMERIC_DATE", "ColumnOrder", "DateContext", "in_column_order"]

# d/m/y or m/d/y with one-or-two-digit parts, then an optional time: read by our own code, in
# the column's one order, so dateutil never swaps day and month to rescue a value.
NUMERIC_DATE = re.compile(r"^(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?=$|[ T])(.*)$")


@dataclass
class DateContext:
    """What a date column's parse needs beyond its cells: the run's decided orders of free-form
    columns (field → ("day"|"month", the value that decided)) and the workbook's date system."""

    orders: dict[str, tuple[str, str]] = field(default_factory=dict)
    date1904: bool = False


class ColumnOrder:
    """The one order (day or month first) of a free-form date column: the mapping's `dayfirst`,
    else the run's earlier decision, else the majority of this chunk's unambiguous values
    (13.07.2024 is day first). Values that contradict the order are refused, never swapped."""

    def __init__(self, spec: DateSpec, field: str, context: DateContext, why: dict[int, str]):
        self.spec, self.field, self.context, self.why = spec, field, context, why
        self.decided: tuple[str | None, str] | None = None

    def decide(self, parts: pd.DataFrame) -> tuple[str | None, str]:
        """("day" | "month" | None, what decided it) for the numeric dates in `parts`."""
        if self.spec.dayfirst is not None:
            return ("day" if self.spec.dayfirst else "month"), "set by the mapping's dayfirst"
        if self.field in self.context.orders:
            order, example = self.context.orders[self.field]
            return order, f"decided by {example!r} earlier in this column"
        first, second = parts["first"], parts["second"]
        days = parts["text"][(first > 12) & (second <= 12)]
        months = parts["text"][(second > 12) & (first <= 12)]
        if len(days) == len(months) and len(days):
            return None, (
                f"this column has as many dates written day first ({days.iloc[0]!r}) as month "
                f"first ({months.iloc[0]!r}); fix them or set dayfirst"
            )
        # The majority of distinct unambiguous values decides; the others contradict it.
        for order, found in sorted((("day", days), ("month", months)), key=lambda p: -len(p[1])):
            if len(found):
                self.context.orders[self.field] = (order, str(found.iloc[0]))
                return order, f"decided by {found.iloc[0]!r} in this column"
        return None, (
            "day and month could be either way round and no value in this column tells; "
            "set dayfirst: true (31/12) or false (12/31) in the mapping"
        )

    def contradicted(self, position: int) -> None:
        """The value at `position` is no date in the decided order: say why."""
        order, reason = self.decided or (None, "")
        self.why[int(position)] = (
            f"not a date when read {order or 'day'} first, the order of this column ({reason})"
        )


def in_column_order(text: pd.Series, order: ColumnOrder) -> Iterator[tuple[int, str, str]]:
    """(position, value, `YYYY-MM-DD<rest>`) for each numeric date of `text` that the column's
    order can read; the ones it cannot (undecided, ambiguous) get their reason in `order.why`."""
    if text.empty:
        return
    parts = text.str.extract(NUMERIC_DATE)
    parts = pd.DataFrame(
        {
            "text": text,
            "first": parts[0].astype(int),
            "second": parts[2].astype(int),
            "year": parts[3],
            "rest": parts[4].fillna(""),
        }
    )
    decided, reason = order.decided = order.decide(parts)
    rows = zip(
        text.index.tolist(),
        text.tolist(),
        parts["first"].tolist(),
        parts["second"].tolist(),
        parts["year"].tolist(),
        parts["rest"].tolist(),
        strict=True,
    )
    for position, value, first, second, year_text, rest in rows:
        ambiguous = first != second and first <= 12 and second <= 12
        if decided is None and (ambiguous or first > 12 or second > 12):
            order.why[int(position)] = f"not read: {reason}"
            continue
        day, month = (first, second) if decided == "day" else (second, first)
        year = int(year_text) if len(year_text) == 4 else _century(int(year_text))
        yield int(position), value, f"{year:04d}-{month:02d}-{day:02d}{rest}"


def _century(year: int) -> int:
    """Two-digit years as strptime's %y reads them: 69-99 → 1900s, 00-68 → 2000s."""
    return year + (1900 if year >= 69 else 2000)
