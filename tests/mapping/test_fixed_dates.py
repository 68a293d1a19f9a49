"""The numpy reading of full-width numeric formats agrees with `pd.to_datetime(format=...)`,
value for value, and leaves everything else to it."""

from __future__ import annotations

import itertools
import warnings
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from importer.mapping.cells import Distinct, ErrorSink
from importer.mapping.date_order import DateContext
from importer.mapping.dates import _in_first_format, _parse_cells, iso_utc
from importer.mapping.fixed_dates import _civil, days_from_civil, fixed_format, iso_text, read_fixed
from importer.mapping.spec_dates import DateSpec

_WIDTHS = {"Y": 4, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2}
_SEPARATORS = [" ", "/", "-", ".", ":", ",", "T", ""]
_EDGES = {
    "Y": st.sampled_from([0, 1, 1899, 1900, 1904, 2000, 2100, 2199, 2200, 9999]),
    "m": st.sampled_from([0, 1, 2, 9, 10, 12, 13, 20]),
    "d": st.sampled_from([0, 1, 9, 10, 28, 29, 30, 31, 32, 40]),
    "H": st.sampled_from([0, 1, 12, 23, 24, 30]),
    "M": st.sampled_from([0, 1, 59, 60, 61]),
    "S": st.sampled_from([0, 1, 59, 60, 61, 62]),
}
_NUMBERS = {
    "Y": st.integers(1890, 2210),
    "m": st.integers(1, 12),
    "d": st.integers(1, 31),
    "H": st.integers(0, 23),
    "M": st.integers(0, 59),
    "S": st.integers(0, 59),
}


@st.composite
def layouts(draw: st.DrawFn) -> list[str]:
    """Directive letters and separators in some order: ["m", "/", "d", "/", "Y", " ", "H"]."""
    letters = ["Y", "m", "d", *draw(st.sets(st.sampled_from(["H", "M", "S"])))]
    order = draw(st.permutations(letters))
    parts: list[str] = []
    for letter in order:
        if parts:
            parts.append(draw(st.sampled_from(_SEPARATORS)))
        parts.append(letter)
    return parts


def _format(parts: list[str]) -> str:
    return "".join(f"%{p}" if p in _WIDTHS else p for p in parts)


@st.composite
def cell(draw: st.DrawFn, parts: list[str]) -> str:
    """A value near the layout: padded or not, in or out of range, now and then mistyped."""
    text = ""
    for part in parts:
        if part not in _WIDTHS:
            text += draw(st.sampled_from([part] * 40 + [" ", "/", "t", "  "]))
            continue
        number = draw(st.one_of(_EDGES[part], *[_NUMBERS[part]] * 4))
        digits = str(number).zfill(_WIDTHS[part])
        text += draw(st.sampled_from([digits] * 12 + [str(number), digits.replace("0", "\u0660")]))
    return text


@st.composite
def columns(draw: st.DrawFn) -> tuple[str, list[str]]:
    parts = draw(layouts())
    extra = st.sampled_from(["now", "nan", "NaT", "", "2024-01-05", "x" * 16])
    values = draw(st.lists(st.one_of(*[cell(parts)] * 6, extra), max_size=40))
    return _format(parts), values


def _assert_read_like_pandas(fmt: str, values: list[str]) -> int:
    """How many values `read_fixed` read itself; each one as pandas reads it."""
    text = pd.Series(values, index=range(7, 7 + len(values)), dtype=str)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = pd.to_datetime(text, format=fmt, errors="coerce")
    layout = fixed_format(fmt)
    assert layout is not None
    found, rest = read_fixed(text, layout)
    assert found.index.intersection(rest.index).empty
    assert sorted([*found.index, *rest.index]) == list(text.index)
    assert found.dtype == "datetime64[us]"
    assert found.to_list() == expected[found.index].to_list()
    assert found.notna().all()
    return len(found)


@given(columns())
def test_full_width_values_read_like_pandas(column: tuple[str, list[str]]) -> None:
    _assert_read_like_pandas(*column)


@pytest.mark.parametrize("fmt", ["%m/%d/%Y %H:%M", "%Y-%m-%dT%H:%M:%S", "%d.%m.%Y", "%Y%m%d"])
def test_every_combination_of_edge_values_reads_like_pandas(fmt: str) -> None:
    """Leap years (1900, 2000, 2100), month ends, hour 24, minute 60, years 1899/2200."""
    layout = fixed_format(fmt)
    assert layout is not None
    edges = {
        "Y": [1899, 1900, 1904, 2000, 2023, 2024, 2100, 2199, 2200],
        "m": [0, 1, 2, 4, 12, 13],
        "d": [0, 1, 28, 29, 30, 31, 32],
        "H": [0, 23, 24],
        "M": [0, 59, 60],
        "S": [0, 59, 60],
    }
    letters = list(layout.starts)
    values = [
        _written(fmt, dict(zip(letters, combination, strict=True)))
        for combination in itertools.product(*(edges[letter] for letter in letters))
    ]
    assert _assert_read_like_pandas(fmt, values) > len(values) // 20


@pytest.mark.parametrize("fmt", ["%m/%d/%Y %H:%M", "%Y-%m-%dT%H:%M:%S"])
def test_any_one_character_changed_reads_like_pandas(fmt: str) -> None:
    """Each position of a valid value replaced by every printable ASCII character and a few
    Unicode digits and spaces."""
    valid = _written(fmt, {"Y": 2024, "m": 2, "d": 29, "H": 23, "M": 59, "S": 59})
    characters = [chr(c) for c in range(32, 127)] + ["\u0660", "\u0669", "\u00a0", "\u2003"]
    values = [valid[:i] + c + valid[i + 1 :] for i in range(len(valid)) for c in characters]
    assert _assert_read_like_pandas(fmt, values) > len(valid)


def _written(fmt: str, parts: dict[str, int]) -> str:
    for letter, number in parts.items():
        fmt = fmt.replace(f"%{letter}", str(number).zfill(_WIDTHS[letter]))
    return fmt


def test_a_benchmark_like_column_is_read_here_whole() -> None:
    text = pd.Series(["01/21/2016 10:00", "12/31/2199 23:59", "02/29/2024 00:00"], dtype=str)
    layout = fixed_format("%m/%d/%Y %H:%M")
    assert layout is not None
    found, rest = read_fixed(text, layout)
    assert rest.empty
    assert found.dt.strftime("%Y-%m-%d %H:%M").to_list() == [
        "2016-01-21 10:00",
        "2199-12-31 23:59",
        "2024-02-29 00:00",
    ]


@pytest.mark.parametrize(
    "value",
    ["1/21/2016 10:00", "02/30/2024 10:00", "01/21/1899 10:00", "01/21/2200 10:00", "now"],
    ids=["not padded", "no such day", "before 1900", "from 2200", "a word"],
)
def test_values_this_reading_cannot_vouch_for_go_to_pandas(value: str) -> None:
    layout = fixed_format("%m/%d/%Y %H:%M")
    assert layout is not None
    found, rest = read_fixed(pd.Series([value], dtype=str), layout)
    assert found.empty
    assert rest.to_list() == [value]


@pytest.mark.parametrize(
    "fmt",
    [
        *["%d/%m/%y", "%m/%d/%Y %I:%M %p", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%d %H:%M:%S.%f"],
        *["%d %b %Y", "%Y/%m", "%Y-%m-%d %H:%M %H", "%Y%%%m%d", "%Y-%m-%dx"],
    ],
)
def test_other_formats_are_left_to_pandas(fmt: str) -> None:
    assert fixed_format(fmt) is None


@pytest.mark.parametrize(
    "values",
    [
        pd.Series(["b", None, "a", "b", pd.NA], dtype="string"),
        pd.Series(["b", None, "a", "b"], dtype=str),
        pd.Series([True, None, False, True], dtype="boolean"),
        pd.Series(pd.to_datetime(["2024-01-01", None, "2024-01-02"]), dtype="datetime64[us]"),
        pd.Series(["x", None, 1, "x"], dtype=object),
        pd.Series([1.5, np.nan, 2.5, 1.5]),
    ],
    ids=["string", "str", "boolean", "datetime", "object", "float"],
)
def test_spreading_per_distinct_value_keeps_dtype_and_gaps(values: pd.Series) -> None:
    """The dtypes spread without Python objects give what the object round trip gives."""
    values.index = pd.RangeIndex(2, 2 + len(values))
    distinct = Distinct(values)
    result = distinct.values.astype(values.dtype)  # what a directive computed per value
    spread = distinct.spread(result)
    per_value = result.astype(object).to_numpy()
    rows = [None if code < 0 else per_value[code] for code in distinct.codes]
    expected = pd.Series(np.array(rows, dtype=object), index=values.index, dtype=values.dtype)
    pd.testing.assert_series_equal(spread, expected)


_MS_2200 = 7_258_118_400_000  # 2200-01-01 in ms since 1970
_MS_RANGE = 253_402_300_800_000  # 10000-01-01


@given(
    st.lists(
        st.one_of(
            st.integers(-_MS_2200, _MS_2200),
            st.integers(-_MS_RANGE - 10**12, _MS_RANGE + 10**12),
            st.sampled_from([0, -1, 1, -62_135_596_800_001, _MS_RANGE - 1, _MS_RANGE]),
            st.none(),
        ),
        max_size=40,
    )
)
def test_iso_text_writes_what_numpy_writes(milliseconds: list[int | None]) -> None:
    stamps = np.array(
        [np.datetime64("NaT") if ms is None else np.datetime64(ms, "ms") for ms in milliseconds],
        dtype="datetime64[ms]",
    )
    expected = np.char.add(np.datetime_as_string(stamps, unit="ms"), "Z")
    assert iso_text(stamps).tolist() == expected.tolist()


def test_iso_utc_writes_milliseconds_and_leaves_gaps() -> None:
    values = pd.Series(
        pd.to_datetime(["2024-12-31 13:30:00.1239", None, "1969-12-31 23:59:59.9999"]),
        index=[4, 5, 6],
    ).astype("datetime64[us]")
    assert iso_utc(values) == ["2024-12-31T13:30:00.123Z", None, "1969-12-31T23:59:59.999Z"]


_FIRST_FORMATS = ["%m/%d/%Y %H:%M", "%d.%m.%Y", "%Y-%m-%dT%H:%M:%S"]


@st.composite
def date_columns(draw: st.DrawFn) -> tuple[DateSpec, list[object]]:
    """A date block and a column mostly written in its first format (DST edges included)."""
    first = draw(st.sampled_from(_FIRST_FORMATS))
    spec = DateSpec(
        column="D",
        formats=[first, *draw(st.lists(st.sampled_from(["%Y-%m-%d", "%d/%m/%Y"]), max_size=1))],
        dayfirst=draw(st.sampled_from([None, True])),
        date_only=draw(st.sampled_from(["start_of_day", "end_of_day"])),
    )
    moments = st.datetimes(datetime(1899, 12, 25), datetime(2200, 1, 5)).map(
        lambda moment: moment.strftime(first)
    )
    dst = st.sampled_from(
        ["03/31/2024 02:30", "10/27/2024 02:30", "31.03.2024", "2024-10-27T02:30:00"]
    )
    other = st.sampled_from(["", "   ", None, "2024-01-05", "1/5/2024 10:00", "31/12/2024", "x"])
    cell = st.one_of(moments, moments, moments.map(lambda text: f" {text}\t"), dst, other)
    return spec, draw(st.lists(cell, min_size=1, max_size=25))


def _both_ways(
    cells: list[Any], spec: DateSpec, zone: str
) -> tuple[pd.Series | None, pd.Series, ErrorSink]:
    """The column read whole (None if that path declines it) and cell by cell, with the
    cell-by-cell path's errors."""
    raw = pd.Series(cells, index=range(2, 2 + len(cells)), dtype=object)
    whole = _in_first_format(raw, spec, zone)
    sink = ErrorSink()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = _parse_cells(raw, spec, zone, sink, "dateOccurred", "D", DateContext())
    return whole, expected, sink


@given(date_columns(), st.sampled_from(["UTC", "Europe/Paris", "America/New_York"]))
def test_a_column_read_whole_reads_as_cell_by_cell(
    column: tuple[DateSpec, list[object]], zone: str
) -> None:
    spec, cells = column
    whole, expected, sink = _both_ways(cells, spec, zone)
    if whole is None:
        return
    assert not sink.by_row
    pd.testing.assert_series_equal(whole, expected)


def test_calendar_arithmetic_agrees_with_numpy_day_by_day() -> None:
    days = np.arange(-3_000_000, 3_000_000)  # about 6244 BC to AD 10183, every day
    year, month, day = _civil(days)
    stamps = days.astype("datetime64[D]")
    years = stamps.astype("datetime64[Y]")
    months = stamps.astype("datetime64[M]")
    assert (year == years.astype(np.int64) + 1970).all()
    assert (month == (months - years.astype("datetime64[M]")).astype(np.int64) + 1).all()
    assert (day == (stamps - months.astype("datetime64[D]")).astype(np.int64) + 1).all()


def test_days_from_the_calendar_agree_with_numpy_day_by_day() -> None:
    days = np.arange(-30_000, 120_000)  # about 1887 to 2298, every day
    year, month, day = _civil(days)
    assert (days_from_civil(year, month, day) == days).all()
    months = (year - 1970).astype("datetime64[Y]").astype("datetime64[M]") + (month - 1)
    assert (months.astype("datetime64[D]") + (day - 1) == days.astype("datetime64[D]")).all()


@given(
    st.sampled_from(_FIRST_FORMATS),
    st.lists(st.datetimes(datetime(1899, 12, 25), datetime(2200, 1, 5)), min_size=1),
    st.sampled_from([None, " ", "\t", "\u3000", np.str_]),
    st.sampled_from(["UTC", "Europe/Paris"]),
)
def test_a_column_all_at_full_width_reads_as_cell_by_cell(
    first: str, moments: list[datetime], odd: Any, zone: str
) -> None:
    """Cells read as they are (`_as_written`: no blanks round any) or stripped first read as
    the general path reads them."""
    cells: list[Any] = [moment.strftime(first) for moment in moments]
    if odd is np.str_:
        cells[0] = np.str_(cells[0])
    elif odd is not None:
        cells[-1] = odd + cells[-1]
    spec = DateSpec(column="D", formats=[first])
    whole, expected, sink = _both_ways(cells, spec, zone)
    if whole is None:
        assert sink.by_row  # only a year out of range is refused here
        return
    assert not sink.by_row
    pd.testing.assert_series_equal(whole, expected)
