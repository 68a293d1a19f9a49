"""Dates inside templates: `{Submission Date:%Y-%m-%d}` shows a date cell in a chosen format.

A placeholder `{Column:FORMAT}` (or `{Column?:FORMAT}`) reads the cell as a date and writes it
with the strftime `FORMAT`. The cell is read the way the mapping reads that column for a date
field (its `formats`, `dayfirst`, serials), so `name: "{Clinic} — {Submitted:%Y-%m-%d}"` shows
the same day as `dateOccurred: {column: Submitted, formats: ["%m/%d/%Y"]}`. Without such a
field, only what cannot be misread is taken: date cells of a workbook and ISO 8601 text. The
day shown is the day written in the sheet: no time zone is applied. A cell that is not a date
is a row error, never a guess.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from importer.mapping.cells import STRING, ErrorSink
from importer.mapping.dates import date_example, parse_dates
from importer.mapping.spec_blocks import split_placeholder
from importer.mapping.spec_dates import DateSpec

__all__ = ["formatted_dates", "split_placeholder"]

_STRICT = DateSpec(column="-", formats=["%Y-%m-%d"], excel_serial=False)


def formatted_dates(
    raw: pd.Series,
    fmt: str,
    column: str,
    date_specs: Mapping[str, DateSpec],
    sink: ErrorSink | None,
    field: str,
) -> pd.Series:
    """Cells → dates written with `fmt` ("string" dtype, `<NA>` for empty or not a date)."""
    spec = date_specs.get(column, _STRICT).model_copy(
        update={"timezone": "UTC", "date_only": "start_of_day", "relative_to": None, "offset": None}
    )
    local = ErrorSink()
    values = parse_dates(raw, spec, "UTC", local, field, column)
    if sink is not None:
        for row, problems in local.by_row.items():
            for problem in problems:
                message = f"{{{column}:{fmt}}} needs a date like {date_example(spec)}"
                sink.add_row(row, message, field=field, column=column, value=problem.value)
    text: pd.Series = values.dt.strftime(fmt).astype(STRING)
    return text
