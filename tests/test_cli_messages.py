"""Item 6 of issue 13: the messages a user meets when something is wrong, each in one line with
the documented exit code, through the real `incident-import` process."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import pytest
from e2e_helpers import SIMPLE_MAPPING, incident_row, write_sheet


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "importer", *args]
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=120)


def _lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "log.csv"], "Error: Missing option '--mapping' / '-m'."),
        (["bogus"], "Error: No such command 'bogus'."),
        (["run", "log.csv", "-m", "m.yaml", "--concurrency", "0"], "Error: Invalid value for"),
        (["run", "log.csv", "-m", "m.yaml", "--limit", "nope=1"], "Error: --limit 'nope=1'"),
    ],
    ids=["missing-option", "unknown-command", "bad-value", "bad-limit"],
)
def test_usage_errors_are_one_line_and_a_hint_with_exit_2(tmp_path, args, message):
    write_sheet(tmp_path / "log.csv", [incident_row(1)])
    (tmp_path / "m.yaml").write_text(SIMPLE_MAPPING, encoding="utf-8")
    done = _cli(*args, cwd=tmp_path)

    assert done.returncode == 2
    lines = _lines(done.stderr)
    assert len(lines) == 2 and lines[0].startswith(message) and lines[1].startswith("Hint: ")
    assert "╭" not in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize(
    ("report_dir", "message"),
    [
        ("a-file", "--report-dir 'a-file': not a folder"),
        ("a-file/reports", "--report-dir 'a-file/reports': not a folder"),
    ],
)
def test_a_report_dir_that_is_not_a_folder_is_exit_2_not_an_internal_error(
    tmp_path, report_dir, message
):
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(1)])
    (tmp_path / "m.yaml").write_text(SIMPLE_MAPPING, encoding="utf-8")
    (tmp_path / "a-file").write_text("x")
    done = _cli(
        "run", str(sheet), "-m", "m.yaml", "--sandbox", "--report-dir", report_dir, cwd=tmp_path
    )

    assert done.returncode == 2
    assert _lines(done.stderr)[0].startswith(f"Error: {message}")
    assert "internal error" not in done.stderr


@pytest.mark.parametrize(
    ("source", "message"),
    [("folder", "is a directory, not a file"), ("/dev/null", "is not a regular file")],
)
def test_a_folder_or_device_as_input_says_what_it_is(tmp_path, source, message):
    (tmp_path / "m.yaml").write_text(SIMPLE_MAPPING, encoding="utf-8")
    (tmp_path / "folder").mkdir()
    done = _cli("run", source, "-m", "m.yaml", "--dry-run", cwd=tmp_path)

    assert done.returncode == 2
    assert _lines(done.stderr)[0].startswith(f"Error: {source}: {message}")
    assert not (tmp_path / "reports").exists() or not any((tmp_path / "reports").iterdir())


def test_rows_of_only_delimiters_are_reported_as_blank_and_failed_rows_name_their_file(tmp_path):
    (tmp_path / "m.yaml").write_text(SIMPLE_MAPPING, encoding="utf-8")
    first = write_sheet(tmp_path / "first.csv", [incident_row(1, Title="")])
    second = write_sheet(tmp_path / "second.csv", [incident_row(2, Title="")])
    with first.open("a", encoding="utf-8") as fp:
        fp.write(",,,,,\n")
    lookups = tmp_path / "orgs.csv"
    lookups.write_text("name,id\n", encoding="utf-8")
    done = _cli(
        "run",
        str(first),
        str(second),
        "-m",
        "m.yaml",
        "--dry-run",
        "--report-dir",
        "reports",
        "--lookup",
        f"organizations={lookups}",
        cwd=tmp_path,
    )

    assert done.returncode == 1, done.stderr
    (folder,) = (tmp_path / "reports").iterdir()
    with (folder / "results.csv").open(encoding="utf-8") as fp:
        results = list(csv.DictReader(fp))
    blank = [r for r in results if r["file"].endswith("first.csv") and r["row"] == "3"]
    assert [(r["status"], r["message"]) for r in blank] == [("skipped", "blank row")]
    with (folder / "failed_rows.csv").open(encoding="utf-8") as fp:
        errors = [r["import_error"] for r in csv.DictReader(fp)]
    assert [e.split(":")[0] for e in errors] == ["first.csv row 2", "second.csv row 2"]
