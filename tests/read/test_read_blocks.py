"""The CSV reader parses a block of lines at a time (`importer.read.blocks`); the line-by-line
reader (`csv_records`) is the reference it must agree with, record for record and chunk for
chunk, whatever the text: quotes, blank lines, ragged rows, limits, encodings."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from importer.errors import ReadError
from importer.read import blocks
from importer.read.blocks import csv_blocks
from importer.read.chunks import csv_chunks, first_filled, record_chunks
from importer.read.delimited import csv_records
from importer.read.limits import DEFAULT_LIMITS, ReadLimits, RowGuard
from importer.read.plain import QUOTED, Lines, line_table, quoted_lines

SMALL = ReadLimits(max_columns=8, max_cell_chars=16, max_row_chars=64)
MID = ReadLimits(max_columns=30, max_cell_chars=300, max_row_chars=2_000)
PIECES = ["a", "é", " ", ",", ";", '"', '""', "\n", "\r", "\r\n", "\n\n", ",,", "\t", "\x00"]
PIECES += ["\x0b", "\u2028", "x" * 20]  # line breaks for str.splitlines, not for csv


def _record_view(cells: list[Any]) -> tuple[str, list[Any]]:
    return type(cells).__name__, [_cell_view(cell) for cell in cells]


def _cell_view(cell: Any) -> Any:
    """A cell, or what stands for one (`RowTooLong(chars)`...) by its type and fields."""
    if cell is None or type(cell) is str:
        return cell
    return (type(cell).__name__, *(getattr(cell, name) for name in type(cell).__slots__))


def by_blocks(data: bytes, **options: Any) -> list[Any]:
    found: list[Any] = []
    try:
        for block in csv_blocks(io.BytesIO(data), name="x", **options):
            found.extend((n, _record_view(cells)) for n, cells in block.each())
    except ReadError as exc:
        found.append(exc.message)
    return found


def by_lines(data: bytes, **options: Any) -> list[Any]:
    found: list[Any] = []
    try:
        for number, cells in csv_records(io.BytesIO(data), name="x", **options):
            found.append((number, _record_view(cells)))
    except ReadError as exc:
        found.append(exc.message)
    return found


def _chunk_view(chunks: Any) -> list[Any]:
    found: list[Any] = []
    try:
        for chunk in chunks:
            frame = chunk.frame
            found.append(
                (
                    list(frame.columns),
                    list(frame.index),
                    [[_cell_view(v) for v in row] for row in frame.to_numpy().tolist()],
                    {n: [e.describe() for e in errors] for n, errors in chunk.row_errors.items()},
                )
            )
    except ReadError as exc:
        found.append(exc.message)
    return found


def chunks_by_lines(data: bytes, *, chunk_size: int, limits: ReadLimits = DEFAULT_LIMITS) -> Any:
    """What the reader did before blocks: every record through the row checks one by one."""
    records = csv_records(io.BytesIO(data), name="x", limits=limits)
    header = first_filled(records)
    if header is None:
        raise ReadError("empty file: no header row", path="x")
    yield from record_chunks(
        header,
        records,
        file="x",
        sheet=None,
        first_column=0,
        chunk_size=chunk_size,
        guard=RowGuard(limits, name="x", csv=True),
        narrow=True,
    )


def assert_same_chunks(data: bytes, chunk_size: int, limits: ReadLimits = DEFAULT_LIMITS) -> None:
    fast = _chunk_view(csv_chunks(io.BytesIO(data), "x", chunk_size, limits))
    slow = _chunk_view(chunks_by_lines(data, chunk_size=chunk_size, limits=limits))
    assert fast == slow


# --- property: any text, any limits ---------------------------------------------------------

text_pieces = st.lists(st.sampled_from(PIECES), max_size=120).map("".join)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=text_pieces,
    head=st.sampled_from(["H1,H2\n", "H1;H2;H3\r\n", "", " \nH1,H2\n", "sep=|\nA|B\n"]),
    limits=st.sampled_from([DEFAULT_LIMITS, SMALL, MID]),
    encoding=st.sampled_from(["utf-8", "utf-16", "cp1252"]),
)
def test_blocks_give_the_records_of_the_line_reader(text, head, limits, encoding):
    data = (head + text).encode(encoding, errors="replace")
    assert by_blocks(data, limits=limits) == by_lines(data, limits=limits)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    text=text_pieces,
    chunk_size=st.integers(1, 6),
    limits=st.sampled_from([DEFAULT_LIMITS, SMALL, MID]),
)
def test_chunks_from_blocks_are_the_chunks_row_by_row(text, chunk_size, limits):
    assert_same_chunks(("H1,H2,H3\n" + text).encode(), chunk_size, limits)


cells = st.one_of(
    st.just(""),
    st.text(st.sampled_from(list('ab ,"\n\ré')), max_size=5),
    st.text(st.sampled_from(list("xyz")), min_size=1, max_size=3),
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(st.lists(cells, max_size=5), min_size=1, max_size=12),
    ending=st.sampled_from(["\n", "\r\n", "\r"]),
    chunk_size=st.sampled_from([700, 5000]),
)
def test_files_of_many_reads_agree_across_every_read_boundary(rows, ending, chunk_size):
    # Repeated past a few reads, every kind of record ends up cut by one.
    body = io.StringIO(newline="")
    csv.writer(body, lineterminator=ending).writerows(rows)
    text = body.getvalue() or ending
    data = ("A,B,C" + ending + text * (2 * blocks._READ // len(text) + 1)).encode()
    assert_same_chunks(data, chunk_size)


quoting = st.lists(
    st.sampled_from(["a", "é", " ", ",", ";", '"', '""', "\n", "\r", "\r\n", "\u2028"]),
    max_size=60,
).map("".join)


def _resolved(parsed: Any, delimiter: str) -> Any:
    """Parsed records as rows of cells, each stand-in for a quoted cell replaced by that cell."""
    if parsed is None:
        return None
    records, rest = parsed
    if not isinstance(records, Lines):
        return records, rest
    quoted = iter(records.quoted)
    rows = [
        [next(quoted) if cell == QUOTED else cell for cell in line.split(delimiter)] if line else []
        for line in records.lines
    ]
    assert next(quoted, None) is None
    return rows, rest


@settings(max_examples=500, deadline=None)
@given(text=quoting, delimiter=st.sampled_from([",", ";"]))
def test_quoted_cells_cut_out_whole_parse_as_the_csv_module_does(text, delimiter):
    fast = _resolved(blocks._parse(text, delimiter), delimiter)
    assert fast == _resolved(blocks._csv_parse(text, delimiter), delimiter)


@settings(max_examples=500, deadline=None)
@given(text=quoting, width=st.integers(1, 4))
def test_a_table_of_lines_is_the_table_of_their_rows(text, width):
    parsed = blocks._parse(text, ",")
    if parsed is None or not isinstance(parsed[0], Lines):
        return
    rows, _ = _resolved(parsed, ",")
    fast = line_table(parsed[0], ",", 7, width)
    slow = blocks._table(rows, 7, width)
    assert (fast and (fast[0].tolist(), fast[1].tolist())) == (
        slow and (slow[0].tolist(), slow[1].tolist())
    )


@pytest.mark.parametrize(
    "text",
    [
        'a,"b, c"\n"d\r\ne",f\n',
        '"",x\r"y"\n',
        '"a";b\n',
        'a,"b",c\n"d",e,f\nx,y,"z"\n',
    ],
    ids=["comma-and-newline", "empty-and-cr", "semicolon", "other-columns-quoted"],
)
def test_cells_quoted_whole_take_the_fast_way(text):
    delimiter = ";" if ";" in text else ","
    fast = quoted_lines(text, delimiter)
    assert fast is not None and fast.quoted
    parsed = (fast, "")
    assert _resolved(parsed, delimiter) == _resolved(blocks._csv_parse(text, delimiter), delimiter)
    rows, _ = _resolved(parsed, delimiter)
    width = len(rows[0])
    if all(len(row) == width for row in rows):
        table = line_table(fast, delimiter, 1, width)
        assert table is not None
        assert table[1].tolist() == [[cell or None for cell in row] for row in rows]


# --- the seams, one by one ------------------------------------------------------------------


def _repeated(line: str, at_least: int = 3 * blocks._READ) -> str:
    return line * (at_least // len(line) + 1)


@pytest.mark.parametrize(
    "tail",
    [
        'T-1,"a quoted cell\nover two lines",x\n',  # a record cut by a read, carried over
        "T-1,b,c\r\n",  # "\r\n" cut by a read: one line break, not an empty line
        "T-1,b,c\r",  # old Mac line breaks
        "T-1,,\n\nT-2,b,\n",  # empty cells and empty lines in table blocks
        "T-1,b,c,,,\n",  # empty cells past the header: dropped
        "T-1,b\n",  # a narrow row in every block
        "T-1,b,c,d\n",  # a wide row in every block
        'T-1,"x""y",z\n',  # an escaped quote
        "T-1 b c\n",  # one cell: the line reader's way for every block
    ],
    ids=[
        "quoted-newline",
        "crlf",
        "cr",
        "blank",
        "trailing-empty",
        "narrow",
        "wide",
        "escaped-quote",
        "one-cell",
    ],
)
def test_rows_repeated_over_many_reads_read_as_line_by_line(tail):
    data = ("Ref,Title,Note\n" + _repeated(tail)).encode()
    assert_same_chunks(data, chunk_size=1000)
    assert by_blocks(data) == by_lines(data)


@pytest.mark.parametrize(
    ("late", "expected", "after"),
    [
        # Past the encoding sample: a NUL in it refuses the whole file.
        ("X-1,has a \x00 NUL,n\n", "the line holds a NUL byte", 1 << 20),
        ('X-1,"never closed,n\nX-2,b,c\n', "a quote opened in this row is never closed", 1 << 17),
        ("X-1,b," + "y" * 500 + "\n", "--limit max_row_chars", 1 << 17),
    ],
    ids=["nul", "unclosed-quote", "long-line"],
)
def test_the_line_reader_takes_over_where_a_block_needs_it(late, expected, after):
    limits = ReadLimits(max_row_chars=400, max_cell_chars=200)
    head = "Ref,Title,Note\n" + _repeated("T-1,b,c\n", after)
    data = (head + late + "T-9,b,c\n").encode()
    assert_same_chunks(data, chunk_size=5_000, limits=limits)
    chunks = list(csv_chunks(io.BytesIO(data), "x", 5_000, limits))
    errors = [e.message for c in chunks for errs in c.row_errors.values() for e in errs]
    assert len(errors) == 1 and expected in errors[0]


def test_a_record_running_on_past_the_limit_stops_after_the_rows_before_it():
    limits = ReadLimits(max_row_chars=3_000)
    data = ("Ref,Title\n" + _repeated("T-1,b\n", 5_000) + 'T-2,"' + "z\n" * 4_000).encode()
    fast = _chunk_view(csv_chunks(io.BytesIO(data), "x", 100, limits))
    assert fast == _chunk_view(chunks_by_lines(data, chunk_size=100, limits=limits))
    assert "a record runs on past 3,000 characters" in fast[-1]


def test_table_rows_are_one_array_with_the_header_width():
    data = ("Ref,Title,Note\n" + _repeated("T-1,,c\n")).encode()
    found = list(csv_blocks(io.BytesIO(data), name="x"))
    tables = [block for block in found if block.cells is not None]
    assert tables and all(block.cells.shape[1] == 3 for block in tables)
    assert tables[0].cells[0].tolist() == ["T-1", None, "c"]
