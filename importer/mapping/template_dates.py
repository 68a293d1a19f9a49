"""Dates inside templates: `{Submission Date:%Y-%m-%d}` shows a date cell in a chosen format.

A placeholder `{Column:FORMAT}` (or `{Column?:FORMAT}`) reads the cell as a date and writes it
with the strftime `FORMAT`. The cell is read the way the mapping reads that column for a date
field (its `formats`, `dayfirst`, serials), so `name: "{Clinic} — {Submitted:%Y-%m-%d}"` shows
the same day as `dateOccurred: {column: Submitted, formats: ["%m/%d/%Y"]}`. Without such a
field, only what cannot be misread is taken: date cells of a workbook and ISO 8601 text. The
day shown is the day written in the sheet: no time zone is applied, and a value written with
an offset (`2021-02-19T23:30:00+05:00`) shows the time written, not that instant in UTC. A cell
that is not a date is a row error, never a guess.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timedelta

import pandas as pd

from importer.mapping.cells import STRING, ErrorSink
from importer.mapping.dates import date_example, parse_dates
from importer.mapping.spec_blocks import split_placeholder
from importer.mapping.spec_dates import DateSpec

__all__ = ["formatted_dates", "split_placeholder"]

_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
_STRICT = DateSpec(column="-", formats=["%Y-%m-%d"], excel_serial=False)


def formatted_dates(
    raw: pd.Series,
    fmt: str,
    column: str,
    date_specs: Mapping[str, DateSpec],
    sink: ErrorSink | None,
    field: str,
    placeholder: str | None = None,
) -> pd.Series:
    """Cells → dates written with `fmt` ("string" dtype, `<NA>` for empty or not a date).
    `placeholder` is the token as the template writes it (`Submitted?:%Y`), for messages."""
    spec = date_specs.get(column, _STRICT).model_copy(
        update={"timezone": "UTC", "date_only": "start_of_day", "relative_to": None, "offset": None}
    )
    local = ErrorSink()
    values = parse_dates(raw, spec, "UTC", local, field, column)
    if sink is not None:
        for row, problems in local.by_row.items():
            for problem in problems:
                shown = placeholder or f"{column}:{fmt}"
                message = f"{{{shown}}} needs a date like {date_example(spec)}"
                sink.add_row(row, message, field=field, column=column, value=problem.value)
    values = _as_written(raw, values, spec)
    text: pd.Series = values.dt.strftime(fmt).astype(STRING)
    return text


def _as_written(raw: pd.Series, values: pd.Series, spec: DateSpec) -> pd.Series:
    """Parsed values are UTC instants; a cell written with an offset (ISO `+05:00`, a `%z` format,
    an aware datetime) shows its own wall-clock time, so shift those rows back by their offset."""
    found = values.notna()
    offsets = raw[found].map(lambda cell: _safe_offset(cell, spec.formats))
    shifts = pd.to_timedelta(offsets.fillna(timedelta(0)))
    if not shifts.any():
        return values
    shifted: pd.Series = values.copy()
    shifted[found] = values[found] + shifts
    return shifted


def _safe_offset(cell: object, formats: list[str]) -> timedelta | None:
    """The cell's own offset, or None when it has none or it cannot be read (a Timestamp
    outside the standard library's range raises NotImplementedError on some methods)."""
    try:
        return _written_offset(cell, formats)
    except (ValueError, OverflowError, TypeError, NotImplementedError):
        return None


def _written_offset(cell: object, formats: list[str]) -> timedelta | None:
    if isinstance(cell, datetime):
        return cell.utcoffset()
    if not isinstance(cell, str):
        return None
    text = cell.strip()
    for fmt in formats:  # the same order parse_dates tries: the first format that reads it wins
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed.utcoffset()
    if not _OFFSET.search(text):
        return None
    try:
        return pd.Timestamp(text).utcoffset()
    except (ValueError, OverflowError, TypeError):
        return None
