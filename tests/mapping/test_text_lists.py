"""The list fast paths of the mapping agree with the Series paths they stand in for: text
fields (`text_list` / `text_value`), trimmed text columns, distinct text, first-format date
cells and the assembly of bodies from columns — on any cells a reader can hand over."""

from __future__ import annotations

import math
import operator
from datetime import datetime
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from importer.mapping.apply import _API_ORDER, _assemble, _plain_list
from importer.mapping.cells import Distinct, ErrorSink, plain_text, to_text, trimmed_texts
from importer.mapping.dates import _stripped
from importer.mapping.spec_values import ValueSpec
from importer.mapping.values import ChunkColumns, text_list, text_value
from importer.rows import MappedChunk, RowError

TEXT = st.text(st.sampled_from(["a", "B", "é", " ", "\t", "\u3000", "\x1f", "Y", "n", "\ud800"]))
ODD = st.sampled_from(
    [None, math.nan, pd.NA, pd.NaT, 0, 17, 1.5, True, 2**70, Decimal("1.10"), datetime(2024, 1, 2)]
)
MAPPED = st.sampled_from(["Y", " y ", "N", "maybe", ""])
CELLS = st.lists(st.one_of(TEXT, TEXT.map(np.str_), MAPPED, ODD))
TEXT_CELLS = st.lists(st.one_of(TEXT, st.sampled_from([None, math.nan, pd.NA])), max_size=30)
MAPS = st.fixed_dictionaries(
    {
        "map": st.just({"Y": "YES", "N": "NO", "maybe": None}),
        "ignore_case": st.booleans(),
        "otherwise": st.sampled_from(["keep", "error", "empty", {"value": "OTHER"}]),
    }
)
SPECS = st.builds(
    lambda mapped, **options: ValueSpec(column="C", **mapped, **options),
    st.one_of(st.just({}), MAPS),
    trim=st.booleans(),
    default=st.sampled_from([None, "UNKNOWN", ""]),
    case=st.sampled_from([None, "upper"]),
)


def _column(cells: list[Any]) -> pd.Series:
    return pd.Series(cells, index=range(2, 2 + len(cells)), dtype=object)


def _errors(sink: ErrorSink) -> dict[int, list[RowError]]:
    return {row: list(found) for row, found in sink.by_row.items()}


@given(st.one_of(CELLS, TEXT_CELLS, st.lists(TEXT)), SPECS)
def test_text_list_holds_what_text_value_holds(cells: list[Any], spec: ValueSpec) -> None:
    cols = ChunkColumns(pd.DataFrame({"C": _column(cells)}), {"C": "C"})
    expected_sink, sink = ErrorSink(), ErrorSink()
    expected = _plain_list(text_value(spec, cols, expected_sink, "f"))
    assert text_list(spec, cols, sink, "f") == expected
    assert _errors(sink) == _errors(expected_sink)


@given(CELLS)
def test_trimmed_texts_are_the_plain_text_of_a_text_column(cells: list[Any]) -> None:
    raw = _column(cells)
    found = trimmed_texts(raw)
    kind = pd.api.types.infer_dtype(raw, skipna=True)
    if kind in ("string", "empty"):
        assert found == _plain_list(plain_text(raw, trim=True))
    else:
        assert found is None


@given(st.one_of(CELLS, TEXT_CELLS))
def test_distinct_text_is_the_distinct_values_of_the_text(cells: list[Any]) -> None:
    raw = _column(cells)
    fast, slow = Distinct.of_text(raw), Distinct(to_text(raw, blanks=False))
    assert fast.codes.tolist() == slow.codes.tolist()
    pd.testing.assert_series_equal(fast.values, slow.values)


@given(st.one_of(CELLS, TEXT_CELLS, st.lists(TEXT)))
def test_stripped_date_cells_are_each_text_cell_stripped(cells: list[Any]) -> None:
    array = np.array([*cells, None], dtype=object)[:-1]  # a 1-d array of the cells as they are
    found = _stripped(array)
    if cells and pd.api.types.infer_dtype(array, skipna=True) != "string":
        assert found is None  # only a column of text and gaps is read whole
        return
    assert found is not None
    assert found.tolist() == [v.strip() if isinstance(v, str) else "" for v in cells]


VALUES = st.one_of(st.none(), st.just([]), st.just({}), st.text(max_size=3), st.booleans())


@given(
    st.integers(0, 12).flatmap(
        lambda rows: st.tuples(
            st.just(rows),
            st.lists(st.lists(VALUES, min_size=rows, max_size=rows), max_size=4),
            st.sets(st.integers(0, max(rows - 1, 0)), max_size=3),
        )
    )
)
def test_bodies_are_the_rows_without_errors_less_their_empty_values(
    case: tuple[int, list[list[Any]], set[int]],
) -> None:
    rows, columns, bad = case
    index = pd.Index(range(5, 5 + rows))
    names = sorted(_API_ORDER, key=_API_ORDER.__getitem__)[: len(columns)]
    scalars: dict[str, Any] = {
        n: [_kept(v) for v in c] for n, c in zip(names[::2], columns[::2], strict=True)
    }
    nested = {
        n: dict(zip(index, c, strict=True)) for n, c in zip(names[1::2], columns[1::2], strict=True)
    }
    sink = ErrorSink()
    for position in sorted(bad & set(range(rows))):
        sink.add_row(index[position], "bad", field="name", column=None)
    result = MappedChunk()
    _assemble(index, scalars, nested, sink, result)
    expected: dict[int, dict[str, Any]] = {}
    for position, row in enumerate(index.tolist()):
        if row in sink.by_row:
            continue
        values = {n: scalars[n][position] for n in scalars}
        values |= {n: nested[n][row] for n in nested}
        body = {n: values[n] for n in names if _kept(values[n]) is not None}
        expected[row] = {n: _kept(v) for n, v in body.items()}
    assert list(result.bodies.items()) == list(expected.items())
    assert [list(body) for body in result.bodies.values()] == [list(b) for b in expected.values()]
    assert result.errors == {row: found for row, found in sink.by_row.items()}
    whole = len(expected) == rows and all(len(b) == len(columns) for b in expected.values())
    if not whole or not columns:
        assert result.columns is None
        return
    assert result.columns is not None  # every row a body with every field: read column-wise
    for position, body in enumerate(result.bodies.values()):
        assert list(body) == list(result.columns)
        found = [column[position] for column in result.columns.values()]
        assert all(map(operator.is_, found, body.values()))


def _kept(value: Any) -> Any:
    return value if value is not None and value != [] and value != {} else None
