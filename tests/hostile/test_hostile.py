"""Every hostile file of `make_hostile.py`: a one-line error or per-row errors, the documented
exit code, never a traceback, every readable row in the report, and peak memory under a bound.

Peak memory is measured on a real `incident-import` process: a small wrapper runs it and reports
`resource.getrusage(RUSAGE_CHILDREN).ru_maxrss`, the largest resident set its child reached.
"""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from make_hostile import MAPPING, make

# The importer with pandas and calamine loaded is ~110 MiB; before the limits, the zip bomb
# took 2.7 GB and the 17-million-cell line 1.6 GB.
PEAK_MIB = 300
_MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
sys.stdout.write(f"{done.returncode}\\n{peak}\\n" + done.stdout + "\\0" + done.stderr)
"""


def _run(args: list[str]) -> tuple[int, int, str, str]:
    """(exit code, peak RSS in KiB, stdout, stderr) of `incident-import ARGS`."""
    command = [sys.executable, "-c", _MEASURE, sys.executable, "-m", "importer", *args]
    done = subprocess.run(command, capture_output=True, text=True, check=True, timeout=240)
    code, peak, rest = done.stdout.split("\n", 2)
    stdout, stderr = rest.split("\0", 1)
    return int(code), int(peak), stdout, stderr


def _dry_run(tmp_path: Path, sheet: Path, mapping: Path | None = None) -> tuple[int, int, str]:
    if mapping is None:
        mapping = tmp_path / "hostile.yaml"
        mapping.write_text(MAPPING, encoding="utf-8")
    args = ["run", str(sheet), "-m", str(mapping), "--dry-run"]
    code, peak, _, stderr = _run([*args, "--report-dir", str(tmp_path / "reports")])
    assert "Traceback" not in stderr and "Exception ignored" not in stderr
    return code, peak, stderr


def _one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) in (1, 2) and lines[0].startswith("Error: "), stderr
    assert len(lines) == 1 or lines[1].startswith("Hint: "), stderr
    return lines[0]


REFUSED = [
    ("zip_bomb.xlsx", "expands 257 times (260,064 → 66,969,979 bytes), more than 100"),
    ("lying_zip_bomb.xlsx", "inflates past its declared 4,096 bytes"),
    ("xml_bomb_sheet.xlsx", "unrecognized entity"),
    ("xml_bomb_shared_strings.xlsx", "unrecognized entity"),
    ("sparse_sheet.xlsx", "spans 1,048,576 rows x 16,384 columns (17,179,869,184 cells)"),
    ("sparse_corner.xlsx", "spans 1,000,000 rows x 50 columns (50,000,000 cells) but holds 9"),
    ("sparse_sheet_without_references.xlsx", "spans 1,048,576 rows x 16,004 columns"),
    ("macro.xlsx", "is a macro-enabled workbook"),
    ("encrypted.xlsx", "password-protected (encrypted)"),
    ("legacy.xlsx", "is an Excel 97-2003 (.xls) file"),
    ("picture.xlsx", "is not an xlsx workbook (not a zip archive)"),
    ("not_a_workbook.xlsx", "cannot read the workbook"),
    ("wide_header.csv", "the header has 200,000 columns, more than 16,384"),
    ("single_line.csv", "the header line has 51,000,000 characters, more than 4,194,304"),
    ("unclosed_quote.csv", "a record runs on past 4,194,304 characters (an unclosed quote?)"),
]


@pytest.mark.parametrize(("name", "message"), REFUSED, ids=[n for n, _ in REFUSED])
def test_a_hostile_file_is_refused_in_one_line_with_exit_2(tmp_path, name, message):
    sheet = make(tmp_path / "in", name)
    code, peak, stderr = _dry_run(tmp_path, sheet)

    assert code == 2
    line = _one_line(stderr)
    assert line.startswith(f"Error: {sheet}: ") and message in line
    assert peak < PEAK_MIB * 1024, f"peak {peak // 1024} MiB"
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())


ROW_ERRORS = [
    ("long_line.csv", 3, "the line has 51,000,005 characters, more than 4,194,304"),
    ("huge_cell.csv", 3, "column 'Details': the cell has 200,000 characters, more than 131,072"),
    ("huge_cell.xlsx", 3, "column 'Title': the cell has 200,000 characters, more than 131,072"),
]


@pytest.mark.parametrize(("name", "row", "message"), ROW_ERRORS, ids=[n for n, *_ in ROW_ERRORS])
def test_a_hostile_row_is_that_rows_error_and_the_rest_is_reported(tmp_path, name, row, message):
    sheet = make(tmp_path / "in", name)
    code, peak, _ = _dry_run(tmp_path, sheet)

    assert code == 1  # rows failed (every row here lacks orgGroupId too)
    (folder,) = (tmp_path / "reports").iterdir()
    with (folder / "results.csv").open(encoding="utf-8") as fp:
        results = {int(r["row"]): r for r in csv.DictReader(fp)}
    assert sorted(results) == [2, 3, 4]  # every row of the file, the hostile one included
    assert results[row]["status"] == "invalid" and message in results[row]["message"]
    assert all("orgGroupId" in results[r]["message"] for r in (2, 4))  # read and mapped
    assert peak < PEAK_MIB * 1024, f"peak {peak // 1024} MiB"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("nested_aliases.yaml", "more than 200,000 values once aliases are expanded"),
        ("huge_mapping.yaml", "the mapping file has 5,242,989 bytes, more than 4,194,304"),
    ],
    ids=["nested-aliases", "huge-mapping"],
)
def test_a_hostile_mapping_is_refused_in_one_line(tmp_path, name, message):
    mapping = make(tmp_path / "in", name)
    sheet = make(tmp_path / "in", "huge_cell.csv")
    code, peak, stderr = _dry_run(tmp_path, sheet, mapping)

    assert code == 2
    assert message in _one_line(stderr)
    assert peak < PEAK_MIB * 1024, f"peak {peak // 1024} MiB"


def test_a_catastrophic_user_regex_runs_in_linear_time(tmp_path):
    # `(a+)+$` on 50 a's and a `!` never returns under Python's re; RE2 answers at once.
    mapping = make(tmp_path / "in", "catastrophic_regex.yaml")
    sheet = make(tmp_path / "in", "catastrophic_regex.csv")
    code, _, _ = _dry_run(tmp_path, sheet, mapping)

    assert code == 1
    (folder,) = (tmp_path / "reports").iterdir()
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["rows"] == 3


def test_a_pattern_re2_cannot_run_is_refused_when_the_mapping_loads(tmp_path):
    mapping = tmp_path / "backref.yaml"
    mapping.write_text(
        MAPPING.replace("  name: Title\n", "  name: {column: Title, extract: '(a)\\1'}\n"),
        encoding="utf-8",
    )
    sheet = make(tmp_path / "in", "huge_cell.csv")
    code, _, stderr = _dry_run(tmp_path, sheet, mapping)

    assert code == 2
    line = _one_line(stderr)
    assert "not a valid regular expression" in line and "RE2" in line
