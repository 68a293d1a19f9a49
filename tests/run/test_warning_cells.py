"""The source cell a warning names is what `frame.at` gives, found without `frame.at`."""

from __future__ import annotations

import numpy as np
import pandas as pd

from importer.rows import SourceRef
from importer.run.validation import _CellsOf


def test_cells_are_frame_at_values_of_the_same_type() -> None:
    frame = pd.DataFrame(
        {
            "Text": ["a", None, " b "],
            "Number": [1.5, np.nan, 3.0],
            "When": pd.to_datetime(["2020-01-01", None, "2021-02-03"]),
            "Flag": pd.array(["x", None, "y"], dtype="string"),
        },
        index=[4, 9, 12],  # row numbers with gaps: positions are not row numbers
    )
    cells = _CellsOf(frame)
    for row in frame.index:
        ref = SourceRef("log.csv", None, int(row))
        for column in frame.columns:
            expected, got = frame.at[row, column], cells(ref, column)
            assert type(got) is type(expected), (row, column)
            assert got is expected or got == expected or (pd.isna(got) and pd.isna(expected))
    assert cells(SourceRef("log.csv", None, 9), "Missing") is None
