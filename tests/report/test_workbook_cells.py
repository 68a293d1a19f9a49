"""validation.xlsx shows each source cell as the sheet had it: text as text, numbers, dates."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

import openpyxl
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from importer.report.results import safe_cell
from importer.report.workbook import ValidationWorkbook
from importer.rows import RowResult, RowStatus, SheetChunk
from importer.validate import Problem, Severity

TEXT = st.text(
    st.characters(blacklist_categories=("Cc", "Cs"), blacklist_characters="\u2028\u2029"),
    max_size=40,
)


@settings(max_examples=40)
@given(cells=st.lists(st.tuples(TEXT, TEXT), min_size=1, max_size=5))
def test_text_cells_read_back_exactly_as_text(tmp_path_factory, cells):
    folder = tmp_path_factory.mktemp("book")
    frame = pd.DataFrame(cells, columns=["A", "B"], dtype=object)
    frame.index = range(2, 2 + len(cells))
    chunk = SheetChunk("log.csv", None, frame)
    book = ValidationWorkbook(folder / "v.xlsx")
    results = [RowResult(chunk.ref(r), RowStatus.WOULD_CREATE) for r in frame.index]
    book.write_chunk(chunk, results, [], {})
    book.close({"would create": len(cells)}, Counter())

    ws = openpyxl.load_workbook(folder / "v.xlsx")["log"]
    for n, (a, b) in enumerate(cells, start=2):
        for cell, text in ((ws.cell(n, 1), a), (ws.cell(n, 2), b)):
            assert cell.data_type == "s" and cell.value == safe_cell(text)


def test_numbers_booleans_and_dates_keep_their_types(tmp_path):
    frame = pd.DataFrame(
        [[42.5, True, datetime(2024, 3, 1, 14, 30), "007", None]],
        columns=["n", "b", "d", "t", "empty"],
        dtype=object,
    )
    frame.index = [2]
    chunk = SheetChunk("log.xlsx", "2024", frame)
    book = ValidationWorkbook(tmp_path / "v.xlsx")
    book.write_chunk(chunk, [RowResult(chunk.ref(2), RowStatus.WOULD_CREATE)], [], {})
    book.close({}, Counter())

    row = [c.value for c in openpyxl.load_workbook(tmp_path / "v.xlsx")["2024"][2]]
    assert row[:5] == [42.5, True, datetime(2024, 3, 1, 14, 30), "007", None]


def test_a_problem_on_a_column_whose_name_holds_a_comma_sits_on_that_cell(tmp_path):
    frame = pd.DataFrame([["x", "CA"]], columns=["Ref", "Region, State"], dtype=object)
    frame.index = [2]
    chunk = SheetChunk("log.csv", None, frame)
    problem = Problem(chunk.ref(2), Severity.ERROR, "not a country", "bad", column="Region, State")
    book = ValidationWorkbook(tmp_path / "v.xlsx")
    book.write_chunk(chunk, [RowResult(chunk.ref(2), RowStatus.INVALID)], [problem], {})
    book.close({}, Counter())

    ws = openpyxl.load_workbook(tmp_path / "v.xlsx")["log"]
    assert ws["B2"].comment is not None and ws["C2"].comment is None
