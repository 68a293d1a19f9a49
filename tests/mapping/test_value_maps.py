"""The two ways of applying a value map (pandas column operations, a dict lookup per value)
give the same values and the same row errors."""

from __future__ import annotations

from typing import Any

import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from importer.mapping.cells import ErrorSink
from importer.mapping.spec_values import ValueSpec
from importer.mapping.value_maps import _map_column, _map_values, _same

WORDS = ["Lost laptop", "LOST LAPTOP", "lost laptop", "Phishing", "phishing", "ß", "SS", "Ǆ", "x"]
TARGETS = ["Lost or Stolen Device", "Phishing", "PHISHING", "", None, "ss"]


@st.composite
def maps(draw: st.DrawFn) -> ValueSpec:
    table = draw(st.dictionaries(st.sampled_from(WORDS), st.sampled_from(TARGETS), min_size=1))
    otherwise: Any = draw(st.sampled_from(["keep", "error", "empty", {"value": "Other"}]))
    return ValueSpec(column="C", map=table, ignore_case=draw(st.booleans()), otherwise=otherwise)


@given(maps(), st.lists(st.one_of(st.sampled_from(WORDS + TARGETS[:3]), st.none()), max_size=12))
def test_per_value_map_agrees_with_column_map(spec: ValueSpec, cells: list[str | None]) -> None:
    text = pd.Series(cells, index=range(3, 3 + len(cells)), dtype="string")
    fold = str.casefold if spec.ignore_case else _same
    table = {fold(k): v for k, v in (spec.map or {}).items()}
    by_value, by_column = ErrorSink(), ErrorSink()
    got = _map_values(text, spec, table, fold, by_value, "incidentTypeName", "C")
    expected = _map_column(text, spec, table, fold, by_column, "incidentTypeName", "C")
    pd.testing.assert_series_equal(got, expected)
    assert by_value.by_row == by_column.by_row
