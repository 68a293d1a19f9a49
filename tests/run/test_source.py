"""RunInput: every input opened once, every header checked before anything is sent, and a
progress total estimated from the bytes read."""

from __future__ import annotations

import csv
import hashlib
from pathlib import Path

import pytest
from e2e_helpers import COLUMNS, incident_row, run_args, write_sheet

from importer.errors import ConfigError
from importer.mapping import load_mapping
from importer.run.source import RunInput


def test_a_second_file_missing_a_mapped_column_stops_the_run_before_anything_is_sent(
    tmp_path, simple_mapping, cli, register
):
    good = write_sheet(tmp_path / "a.csv", [incident_row(n) for n in range(30)])
    bad = tmp_path / "b.csv"
    with bad.open("w", newline="", encoding="utf-8") as fp:
        writer = csv.writer(fp)
        writer.writerow([c for c in COLUMNS if c != "Org"])
        writer.writerow(["B-1", "t", "d", "Phishing", "2024-01-02 10:00"])
    args = run_args(good, simple_mapping, tmp_path)
    args.insert(2, str(bad))

    result = cli(args, register)

    assert result.exit_code == 2
    assert f"{bad}" in result.stderr and "Org" in result.stderr
    assert register.incidents() == []


def test_the_estimated_total_ends_at_the_row_count_and_never_below_rows_read(
    tmp_path, simple_mapping
):
    rows = 20_000  # over the reader's 1 MiB encoding sample, so the estimate moves
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(n) for n in range(rows)])
    mapping = load_mapping(simple_mapping)
    seen = 0
    with RunInput([sheet], mapping, sheets=None, chunk_size=1000) as source:
        assert source.estimated_rows() is None  # nothing yielded yet
        for chunk in source.chunks():
            seen += len(chunk.frame)
            estimate = source.estimated_rows()
            assert estimate is not None and estimate >= seen
        assert estimate == rows
        assert source.sha256s().keys() == {sheet}


def test_a_workbooks_estimate_comes_from_the_sheet_being_read(tmp_path, simple_mapping):
    # No bytes to scale by: the sheet's dimension (its last row) gives the rows still to come.
    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    first = book.active
    first.title = "2023"
    first.append(COLUMNS)
    for n in range(25):
        first.append(list(incident_row(n).values()))
    second = book.create_sheet("2024")
    second.append(COLUMNS)
    for n in range(25, 32):
        second.append(list(incident_row(n).values()))
    book.save(tmp_path / "log.xlsx")
    estimates = []
    with RunInput(
        [tmp_path / "log.xlsx"], load_mapping(simple_mapping), sheets=None, chunk_size=10
    ) as source:
        assert source.estimated_rows() is None  # nothing handed out yet
        seen = 0
        for chunk in source.chunks():
            seen += len(chunk.frame)
            estimates.append(source.estimated_rows())
            assert estimates[-1] is not None and estimates[-1] >= seen
        assert source.sha256s() == {}
    # The first sheet's 25 rows are known from its first chunk; the second's once it opens.
    assert estimates == [25, 25, 25, 32]


def test_a_missing_column_in_the_first_file_is_a_config_error_on_entering(tmp_path):
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(1)])
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "version: 1\nname: m\nfields:\n  name: Nope\n  incidentTypeName: Type\n"
        "  orgGroupId: {column: Org, lookup: organization}\n",
        encoding="utf-8",
    )
    with (
        pytest.raises(ConfigError, match="Nope"),
        RunInput([Path(sheet)], load_mapping(mapping), sheets=None, chunk_size=10),
    ):
        pass


def test_a_run_over_many_files_keeps_one_open_and_checks_every_header_first(
    tmp_path, simple_mapping, monkeypatch
):
    import pathlib

    files = [
        write_sheet(tmp_path / f"part{n}.csv", [incident_row(n * 100 + i) for i in range(25)])
        for n in range(4)
    ]
    handles: list[object] = []
    real_open = pathlib.Path.open

    def tracking_open(self, mode="r", *args, **kwargs):
        handle = real_open(self, mode, *args, **kwargs)
        if self in files:
            handles.append(handle)
        return handle

    monkeypatch.setattr(pathlib.Path, "open", tracking_open)
    open_while_reading = []
    with RunInput(files, load_mapping(simple_mapping), sheets=None, chunk_size=10) as source:
        opened_to_check = len(handles)
        rows = 0
        for chunk in source.chunks():
            rows += len(chunk.frame)
            open_while_reading.append(sum(not h.closed for h in handles))
        assert source.sha256s().keys() == set(files)

    assert opened_to_check == 4  # each file's header was read before any row was handed out
    assert rows == 100
    assert max(open_while_reading) == 1


_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
_CONSTANTS = """\
version: 1
name: constants
fields:
  name: {constant: x}
  incidentTypeName: {constant: Phishing}
  orgGroupId: {constant: d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6}
"""


@pytest.mark.parametrize(
    "name",
    [
        "utf8_bom.csv",
        "utf16_tab.txt",
        "cp1251.csv",
        "cp1252.csv",
        "latin1.csv",
        "utf8_late_invalid.csv",
        "quoted.csv",
        "semicolon.csv",
        "tab.tsv",
        "pipe.txt",
        "blank_lines.csv",
        "ragged.csv",
        "header_only.csv",
    ],
)
def test_the_run_reads_a_csv_as_the_reader_does(tmp_path, name):
    """RunInput feeds the reader a hashed, non-seekable stream: encodings, delimiters, quoted
    newlines and row numbers come out as `read_rows` gives them."""
    from importer.read import read_rows

    mapping = tmp_path / "m.yaml"
    mapping.write_text(_CONSTANTS, encoding="utf-8")
    path = _FIXTURES / name
    expected = list(read_rows(path, chunk_size=3))
    with RunInput([path], load_mapping(mapping), sheets=None, chunk_size=3) as source:
        got = list(source.chunks())
        digests = source.sha256s()

    assert [c.frame.index.tolist() for c in got] == [c.frame.index.tolist() for c in expected]
    for ours, theirs in zip(got, expected, strict=True):
        assert ours.frame.equals(theirs.frame)
    assert digests == {path: hashlib.sha256(path.read_bytes()).hexdigest()}
