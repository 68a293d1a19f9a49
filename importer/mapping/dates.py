"""Date-time directives: formats, ISO 8601, Excel serials, real date cells, date-only policy, zones.

Works on whole columns: each kind of cell (text, number, datetime) is parsed in one pandas call
per format. Results are naive UTC `datetime64[us]` Series (NaT = no value) until `iso_utc`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd

from importer.mapping.cells import Distinct, ErrorSink, is_blank_cell
from importer.mapping.date_cells import (
    EARLIEST,
    EPOCH_1904,
    EXCEL_EPOCH,
    LATEST,
    Parsed,
    parse_datetimes,
    parse_in_order,
    parse_lenient,
    parse_numbers,
    serial_text,
)
from importer.mapping.date_order import NUMERIC_DATE, ColumnOrder, DateContext
from importer.mapping.fixed_dates import (
    FixedFormat,
    fixed_format,
    iso_text,
    read_cells,
    read_fixed,
)
from importer.mapping.spec import DateSpec

__all__ = [
    "EARLIEST",
    "LATEST",
    "DateContext",
    "date_example",
    "iso_utc",
    "parse_dates",
    "serial_text",
]

OUT_OF_RANGE = "the year is outside 1900 to 2199, which the import refuses as a typo"
_UNIT: Literal["datetime64[us]"] = "datetime64[us]"
_NUMERIC = re.compile(r"^\d+(?:\.\d+)?$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_ISO_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
_TWO_NUMBERS = re.compile(r"\d+\D+\d+")
_EXAMPLE = datetime(2024, 12, 31, 14, 30)


def parse_dates(
    raw: pd.Series,
    spec: DateSpec,
    zone: str,
    sink: ErrorSink,
    field: str,
    column: str | None,
    context: DateContext | None = None,
) -> pd.Series:
    """Cells → naive-UTC datetimes; a non-empty cell that is not a date becomes a row error.
    `context` carries the run's decided free-form orders (updated here) and the date system."""
    whole = _in_first_format(raw, spec, zone)
    if whole is not None:
        return whole
    return _parse_cells(raw, spec, zone, sink, field, column, context)


def _parse_cells(
    raw: pd.Series,
    spec: DateSpec,
    zone: str,
    sink: ErrorSink,
    field: str,
    column: str | None,
    context: DateContext | None,
) -> pd.Series:
    distinct = Distinct(raw)  # a column of dates repeats values: parse each one once
    local = ErrorSink()
    context = context or DateContext()
    values = _parse_distinct(distinct.values, spec, zone, local, field, column, context)
    distinct.spread_errors(local, sink)
    return distinct.spread(values).astype(_UNIT)


def _in_first_format(raw: pd.Series, spec: DateSpec, zone: str) -> pd.Series | None:
    """The column when each of its cells is empty or text `fixed_dates` reads in the first
    format (one export writes one format): the first format wins, so nothing else would have
    been tried, no cell is refused and no day/month order decided. None for any other column."""
    layout = fixed_format(spec.formats[0]) if spec.formats else None
    if layout is None or raw.empty:
        return None
    cells = raw.to_numpy(dtype=object)
    stamps = _as_written(cells, layout)
    if stamps is not None:  # every cell filled and read as it is
        filled = np.ones(len(cells), dtype=bool)
    else:
        text = _stripped(cells)
        if text is None:
            return None
        lengths = np.fromiter(map(len, text), dtype=np.int64, count=len(text))
        stamps = read_cells(text, lengths, layout)
        filled = lengths > 0
        if (filled & np.isnat(stamps)).any():
            return None
    local = pd.Series(stamps, index=raw.index)
    date_only = not spec.has_time(spec.formats[0])
    if zone == "UTC" and not (date_only and spec.date_only == "end_of_day"):
        return local  # what _to_utc would return: nothing to move to the end of a day or zone
    parsed = Parsed(raw.index)  # what `put` would leave: no value out of range, whole seconds
    parsed.local = local
    parsed.date_only = pd.Series(filled & date_only, index=raw.index)
    return _to_utc(parsed, spec, zone)


def _as_written(cells: np.ndarray, layout: FixedFormat) -> np.ndarray | None:
    """`read_cells` of the cells as they are when the format begins and ends with a digit and
    every cell is text of its full width that it reads: `_stripped` would change none of them
    (a cell read has a digit at each end), so it is not called. None for any other column."""
    if layout.expected[0] >= 0 or layout.expected[-1] >= 0:
        return None
    try:  # a missing cell (NaN, None) or one that is no text has no length
        lengths = np.fromiter(map(len, cells), dtype=np.int64, count=len(cells))
    except TypeError:
        return None
    if not (lengths == layout.width).all():
        return None
    stamps = read_cells(cells, lengths, layout)
    return None if np.isnat(stamps).any() else stamps


def _stripped(cells: np.ndarray) -> np.ndarray | None:
    """Each text cell stripped, "" for a missing one; None unless every cell is text or missing
    and one is text."""
    try:  # text in every cell: one C call per cell, nothing to look at first
        return np.array(list(map(str.strip, cells)), dtype=object)
    except TypeError:  # a gap, or a cell that is no text
        pass
    if pd.api.types.infer_dtype(cells, skipna=True) != "string":
        return None
    try:
        return np.array(list(map(str.strip, np.where(pd.isna(cells), "", cells))), dtype=object)
    except TypeError:  # a cell that is neither text nor missing: say so one at a time
        return np.array([v.strip() if isinstance(v, str) else "" for v in cells], dtype=object)


def _parse_distinct(
    raw: pd.Series,
    spec: DateSpec,
    zone: str,
    sink: ErrorSink,
    field: str,
    column: str | None,
    context: DateContext,
) -> pd.Series:
    parsed = Parsed(raw.index)
    kinds, text = _kinds(raw)
    why: dict[int, str] = {}  # position -> a more precise reason than "expected a date"
    epoch = EPOCH_1904 if context.date1904 else EXCEL_EPOCH
    with warnings.catch_warnings():  # dateutil warns on odd strings; the row error says enough
        warnings.simplefilter("ignore")
        _parse_text(text, spec, parsed, ColumnOrder(spec, field, context, why), epoch)
        serial_cells = spec.excel_serial is not False
        parse_numbers(raw[kinds == "number"].astype(float), serial_cells, parsed, epoch, why)
        parse_datetimes(raw[kinds == "datetime"], parsed)
    result = _to_utc(parsed, spec, zone)
    bad = (result.isna() & (kinds != "empty")).to_numpy()
    expected = f"expected a date like {date_example(spec)}"
    for position in np.flatnonzero(bad).tolist():
        if raw.index[position] in parsed.out_of_range:  # well formed: a format hint misleads
            why.setdefault(position, OUT_OF_RANGE)
        message = why.get(position, expected)
        sink.add_row(position, message, field=field, column=column, value=raw.iloc[position])
    return result


def _kinds(raw: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """`_kind` of every value, and the text cells stripped (dtype str); text columns (CSV, most
    sheets) without a call to `_kind` per value."""
    cells = raw.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(raw, skipna=True) == "string":
        stripped = [value.strip() if isinstance(value, str) else "" for value in cells]
        text = np.array(stripped, dtype=object)
        is_text = text.astype(bool)
        kinds = np.where(is_text, "text", "empty")
        text = text[is_text]
    else:
        kinds = np.array([_kind(value) for value in cells], dtype="U8")
        is_text = kinds == "text"
        text = np.array([value.strip() for value in cells[is_text]], dtype=object)
    return kinds, pd.Series(text, index=raw.index[is_text], dtype=str)


def _kind(value: Any) -> str:
    if is_blank_cell(value):
        return "empty"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool | np.bool_):
        return "other"
    if isinstance(value, int | float | np.integer | np.floating):
        return "number"
    if isinstance(value, datetime | date | np.datetime64):
        return "datetime"
    return "other"


def _parse_text(
    text: pd.Series, spec: DateSpec, parsed: Parsed, order: ColumnOrder, epoch: str
) -> None:
    for fmt in spec.formats:
        if text.empty:
            return
        aware = "%z" in fmt or "%Z" in fmt
        for values in _by_format(text, fmt, aware):
            parsed.put(values, aware=aware, date_only=not spec.has_time(fmt))
        text = text[~parsed.done()[text.index]]
    iso = text.str.match(_ISO)
    if iso.any():
        _parse_iso(text[iso], parsed)
        text = text[~parsed.done()[text.index]]
    if spec.excel_serial:  # text is a serial only when the mapping says so
        numeric = text.str.fullmatch(_NUMERIC)
        parse_numbers(text[numeric].astype(float), True, parsed, epoch, order.why)
        text = text[~parsed.done()[text.index]]
    if spec.dayfirst is not None or not spec.formats:
        numeric_dates = text.str.match(NUMERIC_DATE)
        parse_in_order(text[numeric_dates], order, parsed)
        rest = text[~numeric_dates]
        parse_lenient(rest[rest.str.contains(_TWO_NUMBERS)], bool(spec.dayfirst), parsed, order.why)


def _by_format(text: pd.Series, fmt: str, aware: bool) -> Iterator[pd.Series]:
    """`pd.to_datetime(text, format=fmt)`, the values written at the format's full width read
    column-wise first (`fixed_dates`); the rows of the parts never overlap."""
    layout = None if aware else fixed_format(fmt)
    if layout is not None:
        found, text = read_fixed(text, layout)
        yield found
    if not text.empty:
        yield pd.to_datetime(text, format=fmt, errors="coerce", utc=aware)


def _parse_iso(text: pd.Series, parsed: Parsed) -> None:
    offset = text.str.contains(_ISO_OFFSET)
    with_offset = pd.to_datetime(text[offset], format="ISO8601", errors="coerce", utc=True)
    parsed.put(with_offset, aware=True)
    naive = text[~offset]
    values = pd.to_datetime(naive, format="ISO8601", errors="coerce")
    parsed.put(values, date_only=naive.str.len() == len("2024-12-31"))


def _to_utc(parsed: Parsed, spec: DateSpec, zone: str) -> pd.Series:
    local = parsed.local
    if spec.date_only == "end_of_day":
        local = local.mask(parsed.date_only, local + pd.Timedelta(days=1) - pd.Timedelta(1, "ms"))
    if zone != "UTC" and local.notna().any():  # naive UTC is UTC already
        stamps = pd.DatetimeIndex(local).tz_localize(
            zone, ambiguous=np.ones(len(local), dtype=bool), nonexistent="shift_forward"
        )
        local = pd.Series(stamps.tz_convert("UTC").tz_localize(None), index=local.index)
    return parsed.utc.fillna(local).astype(_UNIT)


def iso_utc(values: pd.Series) -> list[str | None]:
    """Naive UTC datetimes → `2024-12-31T13:30:00.000Z` per value, None for NaT: what a
    body holds, without a text Series in between."""
    text: list[str | None] = iso_text(values.to_numpy().astype("datetime64[ms]")).tolist()
    for position in np.flatnonzero(values.isna().to_numpy()).tolist():
        text[position] = None
    return text


def shifted(values: pd.Series, offset: timedelta) -> pd.Series:
    """`relative_to` + `offset`: deadline = dateDiscovered + 72h."""
    return values + pd.Timedelta(offset)


def date_example(spec: DateSpec) -> str:
    """`31/12/2024 14:30` from the first formats, for error messages."""
    if spec.formats:
        examples = []
        for fmt in spec.formats[:2]:
            try:
                examples.append(_EXAMPLE.strftime(fmt))
            except ValueError:
                examples.append(fmt)
        return " or ".join(examples)
    example = "2024-12-31 14:30 or " + ("31/12/2024" if spec.dayfirst else "12/31/2024")
    return example + (" (or an Excel serial number like 45657.6)" if spec.excel_serial else "")
