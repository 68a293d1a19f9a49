"""Date-time directives: formats, ISO 8601, Excel serials, real date cells, date-only policy, zones.

Works on whole columns: each kind of cell (text, number, datetime) is parsed in one pandas call
per format. Results are naive UTC `datetime64[us]` Series (NaT = no value) until `iso_utc`.
"""

from __future__ import annotations

import re
import warnings
from datetime import date, datetime, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd

from importer.mapping.cells import Distinct, ErrorSink, is_blank_cell
from importer.mapping.spec import DateSpec

__all__ = ["EARLIEST", "LATEST", "date_example", "iso_utc", "parse_dates"]

EARLIEST = pd.Timestamp("1900-01-01")
LATEST = pd.Timestamp("2200-01-01")
_UNIT: Literal["datetime64[us]"] = "datetime64[us]"
_SERIAL_MAX = 109_574  # 2199-12-31 as an Excel serial
_EXCEL_EPOCH = "1899-12-30"
_NUMERIC = re.compile(r"^\d+(?:\.\d+)?$")
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?")
_ISO_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")
_TWO_NUMBERS = re.compile(r"\d+\D+\d+")
_TIME_OF_DAY = re.compile(r"\d:\d")
_EXAMPLE = datetime(2024, 12, 31, 14, 30)


class _Parsed:
    """Accumulates one column's parse: local naive values, UTC values, and date-only flags."""

    def __init__(self, index: pd.Index) -> None:
        self.local = pd.Series(pd.NaT, index=index, dtype=_UNIT)
        self.utc = pd.Series(pd.NaT, index=index, dtype=_UNIT)
        self.date_only = pd.Series(False, index=index)

    def put(
        self, values: pd.Series, *, aware: bool = False, date_only: bool | pd.Series = False
    ) -> None:
        values = _in_range(values)
        found = values.notna()
        if not found.any():
            return
        rows = values.index[found]
        if aware:
            self.utc.loc[rows] = values[found].dt.tz_convert("UTC").dt.tz_localize(None)
        else:
            self.local.loc[rows] = values[found].astype(_UNIT)
        flags = date_only if isinstance(date_only, bool) else date_only[found]
        self.date_only.loc[rows] = flags

    def done(self) -> pd.Series:
        return self.local.notna() | self.utc.notna()


def _in_range(values: pd.Series) -> pd.Series:
    naive = values.dt.tz_convert("UTC").dt.tz_localize(None) if values.dt.tz else values
    return values.where((naive >= EARLIEST) & (naive < LATEST))


def parse_dates(
    raw: pd.Series, spec: DateSpec, zone: str, sink: ErrorSink, field: str, column: str | None
) -> pd.Series:
    """Cells → naive-UTC datetimes; a non-empty cell that is not a date becomes a row error."""
    distinct = Distinct(raw)  # a column of dates repeats values: parse each one once
    local = ErrorSink()
    values = _parse_distinct(distinct.values, spec, zone, local, field, column)
    distinct.spread_errors(local, sink)
    return _spread(distinct, values)


def _spread(distinct: Distinct, values: pd.Series) -> pd.Series:
    """`Distinct.spread` for datetimes, kept datetime64 (no Timestamp object per row)."""
    per_value = values.astype(_UNIT).to_numpy()
    out = np.full(len(distinct.codes), np.datetime64("NaT"), dtype=per_value.dtype)
    present = distinct.codes >= 0
    out[present] = per_value[distinct.codes[present]]
    return pd.Series(out, index=distinct.index)


def _parse_distinct(
    raw: pd.Series, spec: DateSpec, zone: str, sink: ErrorSink, field: str, column: str | None
) -> pd.Series:
    parsed = _Parsed(raw.index)
    kinds = _kinds(raw)
    with warnings.catch_warnings():  # dateutil warns on odd strings; the row error says enough
        warnings.simplefilter("ignore")
        _parse_text(raw[kinds == "text"].astype(str).str.strip(), spec, parsed)
        _parse_numbers(raw[kinds == "number"].astype(float), spec, parsed)
        _parse_datetimes(raw[kinds == "datetime"], parsed)
    result = _to_utc(parsed, spec, zone)
    bad = result.isna() & (kinds != "empty")
    sink.add_where(
        bad, raw, f"expected a date like {date_example(spec)}", field=field, column=column
    )
    return result


def _kinds(raw: pd.Series) -> pd.Series:
    """`_kind` of every value; text columns (CSV, most sheets) without a call per value."""
    if pd.api.types.infer_dtype(raw, skipna=True) != "string":
        return raw.map(_kind)
    empty = raw.isna().to_numpy() | raw.str.strip().eq("").fillna(True).to_numpy(dtype=bool)
    return pd.Series(np.where(empty, "empty", "text"), index=raw.index, dtype=object)


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


def _parse_text(text: pd.Series, spec: DateSpec, parsed: _Parsed) -> None:
    for fmt in spec.formats:
        if text.empty:
            return
        aware = "%z" in fmt or "%Z" in fmt
        values = pd.to_datetime(text, format=fmt, errors="coerce", utc=aware)
        parsed.put(values, aware=aware, date_only=not spec.has_time(fmt))
        text = text[~parsed.done()[text.index]]
    iso = text.str.match(_ISO)
    if iso.any():
        _parse_iso(text[iso], parsed)
        text = text[~parsed.done()[text.index]]
    if spec.excel_serial:
        numeric = text.str.fullmatch(_NUMERIC)
        _parse_numbers(text[numeric].astype(float), spec, parsed)
        text = text[~parsed.done()[text.index]]
    if spec.dayfirst is not None or not spec.formats:
        _parse_lenient(text[text.str.contains(_TWO_NUMBERS)], bool(spec.dayfirst), parsed)


def _parse_iso(text: pd.Series, parsed: _Parsed) -> None:
    offset = text.str.contains(_ISO_OFFSET)
    with_offset = pd.to_datetime(text[offset], format="ISO8601", errors="coerce", utc=True)
    parsed.put(with_offset, aware=True)
    naive = text[~offset]
    values = pd.to_datetime(naive, format="ISO8601", errors="coerce")
    parsed.put(values, date_only=naive.str.len() == len("2024-12-31"))


def _parse_lenient(text: pd.Series, dayfirst: bool, parsed: _Parsed) -> None:
    """Anything dateutil understands, one distinct value at a time (only leftovers get here)."""
    local: dict[str, pd.Timestamp] = {}
    utc: dict[str, pd.Timestamp] = {}
    for value in text.unique():
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


def _lenient_one(value: str, dayfirst: bool) -> pd.Timestamp | None:
    try:
        stamp = pd.to_datetime(value, dayfirst=dayfirst)
    except (ValueError, OverflowError, TypeError):
        return None
    return None if pd.isna(stamp) else pd.Timestamp(stamp)


def _parse_numbers(numbers: pd.Series, spec: DateSpec, parsed: _Parsed) -> None:
    if numbers.empty or not spec.excel_serial:
        return
    usable = numbers[(numbers >= 1) & (numbers <= _SERIAL_MAX)]
    values = pd.to_datetime(usable, unit="D", origin=_EXCEL_EPOCH, errors="coerce").dt.round("s")
    parsed.put(values, date_only=usable == usable.round())


def _parse_datetimes(cells: pd.Series, parsed: _Parsed) -> None:
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


def _to_utc(parsed: _Parsed, spec: DateSpec, zone: str) -> pd.Series:
    local = parsed.local
    if spec.date_only == "end_of_day":
        local = local.mask(parsed.date_only, local + pd.Timedelta(days=1) - pd.Timedelta(1, "ms"))
    if local.notna().any():
        stamps = pd.DatetimeIndex(local).tz_localize(
            zone, ambiguous=np.ones(len(local), dtype=bool), nonexistent="shift_forward"
        )
        local = pd.Series(stamps.tz_convert("UTC").tz_localize(None), index=local.index)
    return parsed.utc.fillna(local).astype(_UNIT)


def iso_utc(values: pd.Series) -> pd.Series:
    """Naive UTC datetimes → `2024-12-31T13:30:00.000Z` ("string" dtype, `<NA>` for NaT)."""
    text = np.datetime_as_string(values.to_numpy().astype("datetime64[ms]"), unit="ms")
    result = pd.Series(text, index=values.index, dtype="string") + "Z"
    return result.mask(values.isna())


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
