"""The one-pass text helpers give what the pandas `.str` chains they replace give."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from importer.mapping.cells import (
    blank_cells,
    blank_to_na,
    cell_text,
    is_blank_cell,
    plain_text,
    to_text,
    trim_to_na,
)
from importer.mapping.rowfilters import key_text

SPACES = st.sampled_from([" ", "\t", "\n", "\u00a0", "\u3000", "\u2003", "\x1c", "\u200b", ""])
WORDS = st.text(st.characters(exclude_categories=["Cs"]), max_size=4)
TEXT = st.builds(lambda a, w, b: a + w + b, SPACES, WORDS, SPACES)
EMPTY = st.sampled_from([None, np.nan, pd.NA, pd.NaT])
CELLS = st.lists(st.one_of(TEXT, TEXT.map(np.str_), EMPTY), max_size=12)


def _series(cells: list[object], dtype: str = "object") -> pd.Series:
    return pd.Series(cells, index=range(2, 2 + len(cells)), dtype=dtype)


def _pandas_blank_to_na(text: pd.Series) -> pd.Series:
    blank = text.str.strip().eq("").fillna(False).astype(bool)
    return text.mask(blank) if blank.any() else text


@given(CELLS, st.sampled_from(["string", "str"]))
def test_blank_to_na_and_trim_to_na_agree_with_str_methods(cells: list[object], dtype: str):
    text = _series(cells).astype(dtype)
    pd.testing.assert_series_equal(blank_to_na(text), _pandas_blank_to_na(text))
    trimmed = _pandas_blank_to_na(_pandas_blank_to_na(text).str.strip())
    pd.testing.assert_series_equal(trim_to_na(text), trimmed)


@given(st.one_of(CELLS, st.lists(st.one_of(TEXT, st.integers(), st.floats()), max_size=8)))
def test_plain_text_is_to_text_then_trimmed(cells: list[object]) -> None:
    raw = _series(cells)
    text = to_text(raw, blanks=False)
    pd.testing.assert_series_equal(plain_text(raw, trim=True), trim_to_na(text))
    pd.testing.assert_series_equal(plain_text(raw, trim=False), blank_to_na(text))


TEXT_ONLY = st.lists(st.one_of(TEXT, TEXT.map(np.str_)), max_size=12)  # a column read whole


@given(st.one_of(CELLS, TEXT_ONLY))
def test_key_text_is_single_spaced_and_blank_to_na(cells: list[object]) -> None:
    raw = _series(cells)
    text = to_text(raw, blanks=False)
    joined = text.map(lambda v: " ".join(v.split()), na_action="ignore").astype("string")
    pd.testing.assert_series_equal(key_text(raw), _pandas_blank_to_na(joined))


@given(st.one_of(CELLS, TEXT_ONLY))
def test_blank_cells_are_the_cells_is_blank_cell_calls_empty(cells: list[object]) -> None:
    raw = _series(cells)
    assert blank_cells(raw).tolist() == [is_blank_cell(cell) for cell in cells]


ANY_CELL = st.one_of(TEXT, EMPTY, st.integers(), st.floats(), st.booleans(), st.datetimes())


@given(st.one_of(CELLS, st.lists(ANY_CELL, max_size=10)))
def test_to_text_is_the_cast_it_replaces(cells: list[object]) -> None:
    raw = _series(cells).rename("Column")
    if pd.api.types.infer_dtype(raw, skipna=True) in ("string", "empty"):
        expected = raw.astype("string")
    else:
        expected = raw.map(cell_text, na_action=None).astype("string")
    pd.testing.assert_series_equal(to_text(raw, blanks=False), expected)
    pd.testing.assert_series_equal(to_text(raw), _pandas_blank_to_na(expected))
