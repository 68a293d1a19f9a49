"""The report writer's shortcuts write what the plain way writes: csv.writer's lines, the cells
`.loc` reads, one `datetime` a stamp, `orjson` text written as text, every message scrubbed."""

from __future__ import annotations

import csv
import io
import math
from datetime import UTC, date, datetime
from typing import Any

import numpy as np
import openpyxl
import orjson
import pandas as pd
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from importer.formulas import neutralise
from importer.redact import scrub_text
from importer.report import ReportWriter
from importer.report.csv_lines import CsvLines
from importer.report.failed_rows import RowCells
from importer.report.results import RESULT_COLUMNS
from importer.rows import RowError, RowResult, RowStatus, SheetChunk, SourceRef

# Text with every character csv.writer treats specially, and more.
TRICKY = st.lists(
    st.sampled_from(list(",\"'\r\n \t=+-@\x00aé€😀")) | st.text(max_size=3), max_size=4
).map("".join)
CELL = TRICKY | st.integers() | st.floats() | st.none()


def _csv_writer_text(rows: list[list[Any]]) -> str:
    fp = io.StringIO(newline="")
    writer = csv.writer(fp)
    for row in rows:
        writer.writerow(row)
    return fp.getvalue()


# Short cells over the characters csv.writer treats specially, so that a line holds one alone.
SHORT = st.text(st.sampled_from(list(",\"'\r\n \x00a€")), max_size=3)


@given(st.lists(st.lists(SHORT | CELL, max_size=4), max_size=4))
@example([['"'], ["a,b", "c"], ["\r"], ["\n"], [""], [], ["", ""], [1, None, 2.5, True]])
def test_csv_lines_writes_what_csv_writer_writes(rows):
    fp = io.StringIO(newline="")
    lines = CsvLines(fp)
    for row in rows:
        lines.writerow(row)
    assert fp.getvalue() == _csv_writer_text(rows)


# Cells as the readers make them: text, None, and from workbooks numbers, booleans, dates.
READ_CELL = st.one_of(
    st.none(),
    st.text(max_size=5),
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.booleans(),
    st.datetimes(),
    st.dates(),
)


@given(st.lists(st.lists(READ_CELL, min_size=3, max_size=3), min_size=1, max_size=6))
def test_row_cells_are_the_cells_loc_reads(rows):
    frame = pd.DataFrame(rows, columns=["a", "b", "a"], dtype=object)
    frame.index = pd.RangeIndex(2, 2 + len(rows))
    cells = RowCells(frame)
    for row in frame.index:
        stored = cells.stored(row)
        by_loc = frame.loc[row].to_list()
        assert stored is not None and len(stored) == len(by_loc)
        for mine, theirs in zip(stored, by_loc, strict=True):
            assert mine is theirs or (_is_nan(mine) and _is_nan(theirs))


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and math.isnan(value)


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"n": [1, 2], "t": ["x", "y"]}, index=[2, 3]),  # an int column
        pd.DataFrame({"t": ["x", "y"]}, index=[2, 2], dtype=object),  # a row twice
        pd.DataFrame({"t": pd.array(["x", "y"], dtype="string")}, index=[2, 3]),
        pd.DataFrame({"d": [datetime(2024, 1, 1), datetime(2024, 1, 2)]}, index=[2, 3]),
    ],
    ids=["numbers", "repeated-row", "string-dtype", "datetime64"],
)
def test_row_cells_leave_other_frames_to_loc(frame):
    assert RowCells(frame).stored(2) is None


def test_a_row_the_frame_lacks_is_left_to_loc_and_its_key_error():
    cells = RowCells(pd.DataFrame({"t": ["x"]}, index=[2], dtype=object))
    assert cells.stored(9) is None
    with pytest.raises(KeyError):
        cells.loc(9)


def _rfc3339(moment: float) -> str:
    second, milli = divmod(int(moment * 1000), 1000)
    return datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S") + f".{milli:03d}Z"


def _plain_line(r: RowResult, secrets: list[str]) -> list[Any]:
    """A result line as the writer made it before its shortcuts."""
    message = neutralise(scrub_text(r.message, secrets)) if r.errors or r.note else ""
    return [
        neutralise(r.source.file),
        neutralise(r.source.sheet or ""),
        r.source.row,
        neutralise(r.key or ""),
        r.status.value,
        neutralise(r.incident_id or ""),
        r.http_status or "",
        r.attempts,
        message,
        neutralise(r.stage or ""),
        _rfc3339(r.decided_at),
    ]


NOTES = ["", "a real run searches the register first, adopts it", 'say "s3cr3t"', "Bearer x.y"]
RESULT = st.builds(
    RowResult,
    source=st.builds(
        SourceRef, st.sampled_from(["=a.csv", "b.csv"]), st.none() | TRICKY, st.just(0)
    ),
    status=st.sampled_from(list(RowStatus)),
    incident_id=st.none() | TRICKY,
    http_status=st.none() | st.sampled_from([0, 201, 500]),
    attempts=st.integers(0, 9),
    errors=st.lists(
        st.builds(RowError, TRICKY, st.none() | TRICKY, st.none() | TRICKY, READ_CELL), max_size=2
    ),
    note=st.sampled_from(NOTES) | TRICKY,
    key=st.none() | TRICKY,
    stage=st.none() | TRICKY,
    decided_at=st.sampled_from([1764462821.5974, 1764462821.5979, 1764462822.0, 0.0001]),
)


@given(st.lists(RESULT, min_size=1, max_size=8))
def test_results_csv_holds_the_lines_the_plain_writer_wrote(tmp_path_factory, results):
    for n, result in enumerate(results):
        source = result.source
        result.source = SourceRef(source.file, source.sheet, n + 2)
    frame = pd.DataFrame(
        {"x": ["v"] * len(results)}, index=range(2, 2 + len(results)), dtype=object
    )
    chunk = SheetChunk("=a.csv", None, frame)
    folder = tmp_path_factory.mktemp("report")
    with ReportWriter(folder, secrets=["s3cr3t"]) as report:
        report.write_chunk(chunk, list(reversed(results)))
        report.write_chunk(chunk, results[:3])  # seen again: remembered messages and stamps

    expected = [RESULT_COLUMNS, *(_plain_line(r, ["s3cr3t"]) for r in [*results, *results[:3]])]
    with (folder / "results.csv").open(encoding="utf-8", newline="") as fp:
        assert fp.read() == _csv_writer_text(expected)


# Text that csv.writer writes as is: a chunk of it is written as one joined text.
PLAIN = st.lists(st.sampled_from(list("'\t=+-@ \x00aé€😀")) | st.just("x"), max_size=4).map("".join)


@given(
    st.lists(RESULT, min_size=1, max_size=8),
    st.lists(PLAIN, min_size=5, max_size=5),
    st.sampled_from(list(RowStatus)),
    st.sampled_from(["", "b.csv"]),
)
def test_a_chunk_of_plain_cells_is_written_as_the_plain_writer_wrote(
    tmp_path_factory, results, cells, status, sheet
):
    key, incident, note, stage, error = cells
    plain = [
        RowResult(
            SourceRef("=a.csv", sheet or None, n + 2),
            status,
            incident_id=incident or None,
            http_status=[None, 201, 0][n % 3],
            attempts=n,
            errors=[RowError(error)] if n % 2 else [],
            note=note,
            key=key or None,
            stage=stage or None,
            decided_at=1764462821.5974 + n / 3,
        )
        for n in range(len(results))
    ]
    test_results_csv_holds_the_lines_the_plain_writer_wrote.hypothesis.inner_test(
        tmp_path_factory, plain
    )
    test_results_csv_holds_the_lines_the_plain_writer_wrote.hypothesis.inner_test(
        tmp_path_factory, [*plain, *results]
    )


def test_would_send_holds_the_text_orjson_gave_and_is_on_disk_once_its_chunk_is(tmp_path):
    bodies = [
        {"name": "Lost laptop", "n": 1, "ok": True, "none": None, "é": "€ 😀 \n \u2028"},
        {"nested": {"list": [1.5, -0.0, 10**18]}, "date": "2024-01-01"},
    ]
    frame = pd.DataFrame({"x": ["a", "b"]}, index=[2, 3], dtype=object)
    chunk = SheetChunk("a.xlsx", "Sheet 1", frame)
    report = ReportWriter(tmp_path / "r")
    results = []
    for row, body in zip(frame.index, bodies, strict=True):
        ref = chunk.ref(row)
        report.write_would_send(ref, f"log:{row}", body)
        results.append(RowResult(ref, RowStatus.WOULD_CREATE, key=f"log:{row}"))
    report.write_chunk(chunk, results)

    on_disk = (tmp_path / "r" / "would_send.jsonl").read_bytes()  # before close
    report.close()
    expected = "".join(
        orjson.dumps(
            {"file": "a.xlsx", "sheet": "Sheet 1", "row": row, "key": f"log:{row}", "body": body},
            option=orjson.OPT_APPEND_NEWLINE,
        ).decode()
        for row, body in zip(frame.index, bodies, strict=True)
    )
    assert on_disk == expected.encode("utf-8")
    assert (tmp_path / "r" / "would_send.jsonl").read_bytes() == on_disk


def test_failed_rows_of_a_workbook_keep_their_cells_through_both_paths(tmp_path):
    """An object frame's cells come from its array, any other frame's from `.loc`."""
    cells = {"Ref": ["=A", "B"], "When": [datetime(2024, 3, 2, 9, 15), date(2024, 3, 3)]}
    cells["Count"] = [7.5, np.nan]
    written, sheets = [], []
    for dtype in (object, None):
        frame = pd.DataFrame(cells, index=[2, 3], dtype=dtype)
        assert (RowCells(frame).stored(2) is None) == (dtype is None)  # both paths taken
        chunk = SheetChunk("book.xlsx", "S", frame)
        results = [
            RowResult(chunk.ref(r), RowStatus.INVALID, errors=[RowError("bad")]) for r in (2, 3)
        ]
        folder = tmp_path / str(dtype)
        with ReportWriter(folder) as report:
            report.write_chunk(chunk, results)
        written.append((folder / "failed_rows.csv").read_bytes())
        book = openpyxl.load_workbook(folder / "failed_rows.xlsx", read_only=True)
        sheets.append([list(row) for row in book["S"].iter_rows(values_only=True)])
        book.close()
    assert written[0] == written[1]
    assert sheets[0] == sheets[1]
    assert sheets[0][1] == [
        "=A",
        datetime(2024, 3, 2, 9, 15),
        7.5,
        2,
        "book.xlsx [sheet S] row 2: invalid: bad",
    ]
    assert written[0].decode().splitlines()[1:] == [
        "'=A,2024-03-02T09:15:00,7.5,S,2,book.xlsx [sheet S] row 2: invalid: bad",
        "B,2024-03-03,,S,3,book.xlsx [sheet S] row 3: invalid: bad",
    ]


def test_a_stamp_is_formatted_as_datetime_formats_it_whatever_came_before(tmp_path):
    moments = [1764462821.5974, 1764462821.5974, 1764462821.5979, 1764462821.9999, 1764462822.0]
    moments += [1764462821.5974, 0.0, 1.0e9 + 0.0005]
    frame = pd.DataFrame({"x": ["v"] * len(moments)}, index=range(2, 2 + len(moments)))
    chunk = SheetChunk("a.csv", None, frame)
    results = []
    for n, moment in enumerate(moments):
        results.append(RowResult(chunk.ref(n + 2), RowStatus.SKIPPED, decided_at=moment))
    with ReportWriter(tmp_path / "r") as report:
        report.write_chunk(chunk, results)
    with (tmp_path / "r" / "results.csv").open(encoding="utf-8", newline="") as fp:
        stamps = [line["decided_at"] for line in csv.DictReader(fp)]
    assert stamps == [_rfc3339(m) for m in moments]
    assert stamps[0] == "2025-11-30T00:33:41.597Z"
