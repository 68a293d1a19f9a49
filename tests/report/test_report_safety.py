"""What reports cost and promise: no cell a spreadsheet runs, owner-only files, unique folders,
and failed rows that re-import to exactly the source text."""

from __future__ import annotations

import csv
import stat
import tempfile
import threading
from pathlib import Path

import pandas as pd
import pytest
from e2e_helpers import SIMPLE_MAPPING, incident_row, run_args, write_sheet
from hypothesis import given
from hypothesis import strategies as st

from importer.errors import ConfigError
from importer.formulas import FORMULA_START, neutralise, restore, runs_as_formula
from importer.read import read_rows
from importer.report import ReportWriter, default_report_dir
from importer.rows import RowError, RowResult, RowStatus, SheetChunk

# Text a CSV cell can hold: any character but NUL (the reader refuses NUL as binary) and lone
# surrogates (not encodable as UTF-8).
CELL_TEXT = st.text(st.characters(blacklist_categories=["Cs"], blacklist_characters="\x00"))


@given(CELL_TEXT)
def test_neutralise_is_undone_exactly_and_leaves_nothing_that_runs(text):
    assert restore(neutralise(text)) == text
    assert not runs_as_formula(neutralise(text))


@given(st.lists(st.sampled_from(["'", "=", "+", "-", "@", "\t", "\r", "a", ""]) | CELL_TEXT))
def test_neutralise_quotes_exactly_what_its_rule_says(pieces):
    text = "".join(pieces)  # neutralise looks at the first character before the rule
    rule = "'" + text if text.lstrip("'").startswith(FORMULA_START) else text
    assert neutralise(text) == rule


@pytest.mark.parametrize(
    ("text", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+33 1 23", "'+33 1 23"),
        ("-5", "'-5"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("'=1+2", "''=1+2"),
        ("'plain", "'plain"),
        ("plain", "plain"),
        ("", ""),
    ],
    ids=repr,
)
def test_owasp_characters_get_one_quote(text, written):
    assert neutralise(text) == written


def _write_failed(folder: Path, cells: list[list[str]]) -> Path:
    frame = pd.DataFrame(
        [[c or None for c in row] for row in cells],
        columns=pd.Index(["Ref", "Note"], dtype=object),
        index=pd.Index(range(2, 2 + len(cells)), dtype="int64", name="row"),
        dtype=object,
    )
    chunk = SheetChunk("=evil.csv", None, frame)
    results = [
        RowResult(chunk.ref(r), RowStatus.INVALID, errors=[RowError("=bad")]) for r in frame.index
    ]
    with ReportWriter(folder) as report:
        report.write_chunk(chunk, results)
    return folder / "failed_rows.csv"


@given(st.lists(st.tuples(CELL_TEXT, CELL_TEXT), min_size=1, max_size=5))
def test_any_cell_text_survives_report_and_reimport_unchanged(rows):
    cells = [list(row) for row in rows]
    with tempfile.TemporaryDirectory() as folder:
        failed = _write_failed(Path(folder) / "report", cells)
        (chunk,) = read_rows(failed, chunk_size=100)
        read_back = chunk.frame[["Ref", "Note"]].to_numpy().tolist()
    assert read_back == [[c or None for c in row] for row in cells]


def test_every_file_a_run_writes_is_owner_only_and_holds_no_formula(tmp_path, cli, register):
    rows = [incident_row(n) for n in range(4)]
    rows[1].update(Title="", Details='=HYPERLINK("http://evil","x")', Ref="-1")
    rows[2].update(Title="", Details="@SUM(1)", Org="+44 nowhere")
    rows[3].update(Title="=1+2")  # valid: sent as the sheet shows it
    sheet = write_sheet(tmp_path / "=sheet.csv", rows)
    mapping = tmp_path / "test-log.yaml"
    mapping.write_text(SIMPLE_MAPPING, encoding="utf-8")
    ledger = tmp_path / "state" / "ledger.sqlite"
    args = run_args(sheet, mapping, tmp_path, "--ledger", str(ledger))
    result = cli(args, register)

    assert result.exit_code == 1
    (folder,) = (tmp_path / "reports").iterdir()
    written = [p for p in folder.iterdir()]
    assert {p.name for p in written} >= {"results.csv", "failed_rows.csv", "manifest.json"}
    for path in [folder, *written, ledger.parent, *ledger.parent.iterdir()]:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode == (0o700 if path.is_dir() else 0o600), f"{path}: {oct(mode)}"
    for path in written:
        if path.suffix == ".csv":
            with path.open(encoding="utf-8", newline="") as fp:
                for line in csv.reader(fp):
                    assert not [c for c in line if runs_as_formula(c) and not _number(c)], path
    created = [i for i in register.incidents() if i["name"] == "=1+2"]
    assert len(created) == 1  # the register got the value, only the report is escaped
    (chunk,) = read_rows(folder / "failed_rows.csv")
    assert chunk.frame["Details"].tolist() == [rows[1]["Details"], rows[2]["Details"]]
    assert chunk.frame["Ref"].tolist() == ["-1", "T-00002"]


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_report_folders_started_in_the_same_second_never_collide(tmp_path):
    made: list[Path] = []
    moment = pd.Timestamp("2026-11-26T04:15:00Z").to_pydatetime()

    def make() -> None:
        made.append(default_report_dir(tmp_path / "reports", "log", now=moment))

    threads = [threading.Thread(target=make) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(made)) == 8 and all(p.is_dir() for p in made)
    assert sorted(p.name for p in made)[0] == "20261126-041500-log"
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o700 for p in made)


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("a-file", "not a folder"),
        ("inside-a-file", "not a folder"),
        ("proc", "cannot create a report folder there"),  # unwritable even for root
    ],
)
def test_a_report_dir_that_cannot_hold_reports_is_a_config_error(tmp_path, where, expected):
    (tmp_path / "a-file").write_text("not a folder")
    base = {
        "a-file": tmp_path / "a-file",
        "inside-a-file": tmp_path / "a-file" / "reports",
        "proc": Path("/proc/no-such-folder/reports"),
    }[where]
    with pytest.raises(ConfigError, match=expected):
        default_report_dir(base, "log")
