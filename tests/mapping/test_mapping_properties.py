"""Property: for any cell values, apply_mapping returns row outcomes and never raises."""

from __future__ import annotations

import json
from datetime import UTC
from decimal import Decimal
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mapping_helpers import REPO

from importer.mapping import Lookups, apply_mapping, load_mapping
from importer.rows import SheetChunk

MAPPINGS = {
    name: load_mapping(REPO / "mappings" / f"{name}.yaml")
    for name in ("acme_legacy_export", "legacy_incidents", "incidents_two_sheets")
}

cells = st.one_of(
    st.none(),
    st.just(float("nan")),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.booleans(),
    st.datetimes(),
    st.datetimes(timezones=st.just(UTC)),
    st.dates(),
    st.times(),
    st.text(max_size=40),
    st.text(max_size=3).map(lambda s: s * 4000),  # huge strings
    st.sampled_from(
        [
            "45657.5",
            "31/12/2024 14:30",
            "USA",
            "P1",
            "PII; medical",
            "France",
            "alice.martin@example.com; x@y",
            "United States",
            "  ",
            "NaN",
            "1e400",
            "2024-02-30",
            "[DRAFT] x",
            "TEST",
            "Global/EMEA/France",
            "yes",
            "\x00",
        ]
    ),
    # pandas itself cannot test a signalling Decimal NaN for missingness; readers never make one
    st.decimals(allow_nan=False, allow_infinity=True),
    st.just(Decimal("NaN")),
    st.binary(max_size=10),
    st.sampled_from(
        [
            np.float64("nan"),
            np.int64(7),
            np.datetime64("NaT"),
            pd.NaT,
            pd.NA,
            np.datetime64("2024-01-01"),
            pd.Timestamp("2024-01-01 10:00"),
            Decimal("1E+5000"),
        ]
    ),
)


def frames(columns: list[str]) -> st.SearchStrategy[pd.DataFrame]:
    row = st.fixed_dictionaries({c: cells for c in columns})
    return st.lists(row, min_size=1, max_size=8).map(_frame(columns))


def _frame(columns: list[str]) -> Any:
    def build(rows: list[dict[str, Any]]) -> pd.DataFrame:
        frame = pd.DataFrame({c: pd.Series([r[c] for r in rows], dtype=object) for c in columns})
        frame.index = pd.RangeIndex(2, 2 + len(rows))
        return frame

    return build


@pytest.mark.parametrize("name", list(MAPPINGS))
def test_any_cells_give_row_outcomes(name: str, seed_lookups: Lookups):
    mapping = MAPPINGS[name]

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(frame=frames(mapping.columns))
    def check(frame: pd.DataFrame) -> None:
        mapped = apply_mapping(mapping, SheetChunk("any.csv", None, frame), seed_lookups)
        rows = set(frame.index)
        parts = [set(mapped.bodies), set(mapped.errors), set(mapped.skipped)]
        assert set().union(*parts) == rows
        assert sum(len(p) for p in parts) == len(rows)
        for errors in mapped.errors.values():
            assert errors
            for error in errors:
                assert "internal error" not in error.message, error.message
                assert error.field and error.message
                error.describe()
        json.dumps(mapped.bodies, allow_nan=False)  # bodies are plain JSON
        assert set(mapped.keys) <= rows

    check()
