"""Rows written as columns (`SameOutcome`, `write_would_send_rows`) give the very files that
writing one `RowResult` a row gives: results.csv, would_send.jsonl, failed rows, counts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from importer.report import ReportWriter
from importer.rows import RowError, RowResult, RowStatus, SameOutcome, SheetChunk, SourceRef

# Text with every character csv.writer or a spreadsheet treats specially, and more.
TRICKY = st.lists(
    st.sampled_from(list(",\"'\r\n \t=+-@\x00aé€😀")) | st.text(max_size=3), max_size=4
).map("".join)
MOMENT = st.floats(1.7e9, 1.8e9)
BODY = st.dictionaries(
    st.text(max_size=3),
    st.text(max_size=3)
    | st.integers(-(2**65), 2**65)
    | st.none()
    | st.booleans()
    | st.floats(allow_nan=False),
    max_size=3,
)


@st.composite
def _chunks(draw: st.DrawFn) -> tuple[SheetChunk, list[RowResult], SameOutcome, list[dict]]:
    file = draw(st.sampled_from(["log.csv", "=x.xlsx", "a,b.csv"]))
    sheet = draw(st.none() | st.sampled_from(["2024", "-s", 'a"b']))
    rows = draw(st.lists(st.integers(2, 60), min_size=1, max_size=12, unique=True))
    alike_count = draw(st.integers(0, len(rows)))
    alike_rows = draw(st.permutations(rows))[:alike_count]
    if draw(st.booleans()):
        alike_rows.sort()
    other_rows = [r for r in rows if r not in alike_rows]
    keys = draw(
        st.lists(TRICKY.map(lambda k: f"log:{k}"), min_size=alike_count, max_size=alike_count)
    )
    note = draw(st.sampled_from(["", "a real run searches first", 'a, "b"', "=1+2"]))
    alike = SameOutcome(file, sheet, alike_rows, keys, RowStatus.WOULD_CREATE, note, draw(MOMENT))
    others = [
        RowResult(
            SourceRef(file, sheet, row),
            draw(st.sampled_from([RowStatus.SKIPPED, RowStatus.INVALID])),
            note=draw(TRICKY),
            errors=[RowError(m) for m in draw(st.lists(TRICKY, max_size=2))],
            key=draw(st.none() | TRICKY),
            decided_at=draw(MOMENT),
        )
        for row in other_rows
    ]
    frame = pd.DataFrame({"ID": [f"x{r}" for r in rows]}, index=rows, dtype=object)
    bodies = draw(st.lists(BODY, min_size=alike_count, max_size=alike_count))
    return SheetChunk(file, sheet, frame), others, alike, bodies


def _failure(write: Callable[..., None], *args: Any) -> type[BaseException] | None:
    try:
        write(*args)
    except Exception as exc:
        return type(exc)
    return None


def _one_by_one(report: ReportWriter, alike: SameOutcome, bodies: list[dict[str, Any]]) -> None:
    for result, body in zip(alike.results(), bodies, strict=True):
        report.write_would_send(result.source, result.key or "", body)


def _files(folder: Path) -> dict[str, object]:
    """Each file's bytes; a workbook's cell values (its zip holds the second it was written)."""
    return {
        p.name: _cells(p) if p.suffix == ".xlsx" else p.read_bytes()
        for p in sorted(folder.iterdir())
    }


def _cells(path: Path) -> list[list[list[object]]]:
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    try:
        return [[list(row) for row in sheet.iter_rows(values_only=True)] for sheet in book]
    finally:
        book.close()


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=150)
@given(case=_chunks())
@example(
    case=(
        SheetChunk("log.csv", None, pd.DataFrame({"ID": ["a"]}, index=[2], dtype=object)),
        [],
        SameOutcome("log.csv", None, [2], ["log:-1"], RowStatus.WOULD_CREATE, "n", 1.8e9),
        [{"name": "x"}],
    )
).via("a key that would run as a formula")
@example(
    case=(
        SheetChunk("log.csv", None, pd.DataFrame({"ID": ["a", "b"]}, index=[2, 3], dtype=object)),
        [],
        SameOutcome("log.csv", None, [2, 3], ["k:1", "k:2"], RowStatus.WOULD_CREATE, "", 1.8e9),
        [{"n": 1}, {"n": 2**64}],
    )
).via("a body orjson refuses")
@example(
    case=(
        SheetChunk("log.csv", None, pd.DataFrame({"ID": ["a"]}, index=[2], dtype=object)),
        [],
        SameOutcome("log.csv", None, [2], ["k:1"], RowStatus.WOULD_CREATE, "", 1.7e9),
        [{"": -(2**63) - 1}],
    )
).via("the first body refused: no would_send.jsonl made, as row by row")
def test_rows_written_as_columns_give_the_same_files(tmp_path_factory, case):
    chunk, others, alike, bodies = case
    columns = ReportWriter(tmp_path_factory.mktemp("columns"), secrets=["€😀"])
    one_by_one = ReportWriter(tmp_path_factory.mktemp("rows"), secrets=["€😀"])
    with columns, one_by_one:
        # A body orjson refuses (a huge integer) fails both ways, the rows before it written.
        assert _failure(
            columns.write_would_send_rows, alike.file, alike.sheet, alike.rows, alike.keys, bodies
        ) == _failure(_one_by_one, one_by_one, alike, bodies)
        columns.write_chunk(chunk, list(others), alike)
        one_by_one.write_chunk(chunk, [*others, *alike.results()])
    assert columns.counts == one_by_one.counts
    assert _files(columns.folder) == _files(one_by_one.folder)


def test_alike_results_are_what_each_row_would_hold():
    alike = SameOutcome("a.csv", "S", [3, 2], ["k:1", "k:2"], RowStatus.WOULD_CREATE, "n", 5.0)
    assert [(r.source, r.status, r.key, r.note, r.decided_at) for r in alike.results()] == [
        (SourceRef("a.csv", "S", 3), RowStatus.WOULD_CREATE, "k:1", "n", 5.0),
        (SourceRef("a.csv", "S", 2), RowStatus.WOULD_CREATE, "k:2", "n", 5.0),
    ]
    assert [r.status for r in alike.counted()] == [RowStatus.WOULD_CREATE] * 2
