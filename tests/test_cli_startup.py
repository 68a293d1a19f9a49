"""Start-up: what `--help` and a dry run import, and the collector frozen after the imports.

Counted, not timed: `python -X importtime` lists every module a process imports, so a heavy
import moved back to module level shows here whatever the machine's load.
"""

from __future__ import annotations

import csv
import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest

from importer import cli as cli_module

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "samples" / "legacy_incidents.csv"
SAMPLE_MAPPING = ROOT / "mappings" / "legacy_incidents.yaml"

# Only what runs the stages needs these: never the help or a command's own help. (pydantic is
# not among them: typer itself builds pydantic adapters for a command's options, even for -h.)
STAGE_LIBRARIES = {"pandas", "numpy", "yaml", "httpx", "rich", "asyncio", "sqlite3", "openpyxl"}
# What a clean CSV dry run without a register never uses (sending, workbooks, optional helpers).
NOT_IN_A_CSV_DRY_RUN = {
    "httpx",
    "tenacity",
    "importer.send",
    "xlsxwriter",
    "defusedxml",
    "importer.read.xlsx_parts",
    "importer.report.html",
    "importer.report.workbook",
    "pycountry",
    "re2",
    "charset_normalizer",
    "platformdirs",
    "rich.progress",
}


def _imported(*args: str, cwd: Path = ROOT) -> tuple[set[str], subprocess.CompletedProcess[str]]:
    """The modules `python -m importer ARGS` imports (from -X importtime), and the process."""
    command = [sys.executable, "-X", "importtime", "-m", "importer", *args]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONETRUST_")}  # no register
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=cwd, env=env)
    names = {
        line.rpartition("|")[2].strip()
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    return names, done


@pytest.mark.parametrize(
    "args",
    [["--help"], ["run", "-h"], ["validate", "--help"], ["init-mapping", "-h"]],
    ids=" ".join,
)
def test_help_imports_no_stage(args):
    names, done = _imported(*args)

    assert done.returncode == 0, done.stderr
    assert "importer.cli" in names  # the listing works
    assert not {name.split(".")[0] for name in names} & STAGE_LIBRARIES
    assert not {n for n in names if n.startswith(("importer.run", "importer.mapping"))}


def test_a_csv_dry_run_imports_nothing_it_does_not_use(tmp_path):
    args = ["run", str(SAMPLE), "-m", str(SAMPLE_MAPPING), "--dry-run", "--log-format", "json"]
    names, done = _imported(*args, "--report-dir", str(tmp_path))

    assert done.returncode == 1, done.stderr  # the sample has invalid rows
    assert "importer.run" in names and "pandas" in names  # the listing works
    assert not names & NOT_IN_A_CSV_DRY_RUN


def _outputs(report_dir: Path) -> dict[str, list[list[str]] | str]:
    """The run's row-level files, without results.csv's decision times."""
    (folder,) = [p for p in report_dir.iterdir() if p.is_dir()]
    with (folder / "results.csv").open(encoding="utf-8", newline="") as fp:
        results = [row[:-1] for row in csv.reader(fp)]  # decided_at is last
    assert results[0][-1] == "stage"
    return {
        "results.csv": results,
        "would_send.jsonl": (folder / "would_send.jsonl").read_text(encoding="utf-8"),
        "failed_rows.csv": (folder / "failed_rows.csv").read_text(encoding="utf-8"),
    }


def test_a_dry_run_in_a_process_of_its_own_writes_what_an_in_process_run_writes(tmp_path, cli):
    """`main()` freezes the start-up's objects; `app` called by a test does not: same files."""
    args = ["run", "samples/legacy_incidents.csv", "-m", "mappings/legacy_incidents.yaml"]
    args += ["--dry-run", "--log-format", "json"]
    own = tmp_path / "own"
    _, done = _imported(*args, "--report-dir", str(own))
    inside = tmp_path / "inside"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ROOT)
        result = cli([*args, "--report-dir", str(inside)])

    assert done.returncode == result.exit_code == 1, done.stderr
    assert _outputs(own) == _outputs(inside)


def test_startup_freezes_what_the_imports_loaded_only_in_a_process_of_its_own(monkeypatch):
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    with cli_module._startup():
        assert gc.isenabled()  # a test's process: left alone
    assert gc.get_freeze_count() == frozen

    monkeypatch.setattr(cli_module, "_OWN_PROCESS", True)
    try:
        with cli_module._startup():
            assert not gc.isenabled()  # no collection walks what the imports are building
        assert gc.isenabled()
        assert gc.get_freeze_count() > frozen
    finally:
        gc.unfreeze()
        gc.enable()
