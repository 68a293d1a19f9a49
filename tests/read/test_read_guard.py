"""Rows are checked a chunk at a time when nothing in the chunk can be refused
(`RowGuard.all_clear`); checking each row by itself is the reference it must agree with."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from importer.read.chunks import record_chunks
from importer.read.limits import DEFAULT_LIMITS, NulByte, ReadLimits, RowGuard, Suspect

SMALL = ReadLimits(max_columns=4, max_cell_chars=5)
cells = st.one_of(st.none(), st.text("ab ", max_size=7), st.integers(0, 9))
rows = st.lists(st.lists(cells, max_size=6), max_size=9)


def _chunks(header: list[Any], found: list[list[Any]], **options: Any) -> list[Any]:
    records = iter([(n, list(r)) for n, r in enumerate(found, start=2)])
    chunks = record_chunks((1, header), records, file="x", sheet=None, first_column=0, **options)
    return [
        (
            list(c.frame.columns),
            c.frame.to_numpy().tolist(),
            {n: [e.describe() for e in errors] for n, errors in c.row_errors.items()},
        )
        for c in chunks
    ]


def _checked_one_by_one(guard: RowGuard) -> RowGuard:
    """The guard with its whole-chunk answer switched off: every row checked by itself."""
    guard.all_clear = lambda rows: False  # type: ignore[method-assign]
    return guard


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    found=rows,
    width=st.integers(1, 4),  # a header past max_columns refuses the sheet
    narrow=st.booleans(),
    csv=st.booleans(),
    limits=st.sampled_from([DEFAULT_LIMITS, SMALL]),
    chunk_size=st.integers(1, 4),
)
def test_a_chunk_checked_at_once_is_the_chunk_checked_row_by_row(
    found, width, narrow, csv, limits, chunk_size
):
    header = [f"H{n}" for n in range(width)]
    options = {"chunk_size": chunk_size, "narrow": narrow}
    at_once = _chunks(header, found, guard=RowGuard(limits, name="x", csv=csv), **options)
    guard = _checked_one_by_one(RowGuard(limits, name="x", csv=csv))
    assert at_once == _chunks(header, found, guard=guard, **options)


def test_rows_a_guard_would_change_are_not_all_clear():
    guard = RowGuard(SMALL, name="x")
    assert guard.all_clear([["ab", 1], [None]])
    assert not guard.all_clear([["abcdef"]])  # a cell past max_cell_chars
    assert not guard.all_clear([[1, 2, 3, 4, 5]])  # past max_columns
    assert not guard.all_clear([[NulByte()]])
    csv_guard = RowGuard(SMALL, name="x", csv=True)
    assert csv_guard.all_clear([["abcdef"]])  # a plain CSV list cannot hold a long cell
    assert not csv_guard.all_clear([Suspect(["abcdef"])])
