"""The input is read once per run: no header pre-read, no row count (issue 11's regression).

Counted, not timed: every open of the input file and every byte read from it; for workbooks,
every sheet python-calamine parses.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import pathlib
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from e2e_helpers import incident_row, read_results, run_args, write_sheet

from importer.console import LogProgress
from importer.run.pipeline import RunOptions, run_import


class _CountingFile(io.FileIO):
    bytes_read = 0

    def readinto(self, buffer: Any) -> int | None:
        size = super().readinto(buffer)
        _CountingFile.bytes_read += size or 0
        return size


@pytest.fixture
def input_reads(monkeypatch: pytest.MonkeyPatch):
    """Watch one input file: `watch(path)` → a Counter of opens; bytes in `_CountingFile`."""
    opens: Counter[str] = Counter()
    watched: set[Path] = set()
    real_open = pathlib.Path.open

    def counting_open(self: Path, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        if self.resolve() in watched:
            opens[mode] += 1
            if mode == "rb":
                return io.BufferedReader(_CountingFile(self, "rb"))
        return real_open(self, mode, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "open", counting_open)
    _CountingFile.bytes_read = 0

    def watch(path: Path) -> Counter[str]:
        watched.add(path.resolve())
        return opens

    return watch


def test_a_dry_run_opens_the_csv_once_and_reads_each_byte_once(
    tmp_path, simple_mapping, input_reads
):
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(n) for n in range(50)])
    opens = input_reads(sheet)
    options = RunOptions(
        files=[sheet],
        mapping_path=simple_mapping,
        report_dir=tmp_path / "report",
        dry_run=True,
        chunk_size=7,  # several chunks, so a per-chunk re-read would show
        lookup_files={"organizations": _organizations()},
    )

    outcome = asyncio.run(run_import(options, LogProgress()))

    assert outcome.counts["would create"] == 50
    assert opens == {"rb": 1}
    assert _CountingFile.bytes_read == sheet.stat().st_size
    manifest = json.loads((tmp_path / "report" / "manifest.json").read_text(encoding="utf-8"))
    # The checksum is taken from the bytes the run read, and is the file's.
    assert manifest["inputs"][0]["sha256"] == hashlib.sha256(sheet.read_bytes()).hexdigest()


def test_a_real_run_opens_the_csv_once_and_reads_each_byte_once(
    tmp_path, simple_mapping, cli, register, input_reads
):
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(n) for n in range(12)])
    opens = input_reads(sheet)

    result = cli(run_args(sheet, simple_mapping, tmp_path), register)

    assert result.exit_code == 0, result.stderr
    assert [r["status"] for r in read_results(tmp_path / "reports")] == ["created"] * 12
    assert opens == {"rb": 1}
    assert _CountingFile.bytes_read == sheet.stat().st_size


def test_a_one_sheet_workbook_is_parsed_once(tmp_path, simple_mapping, monkeypatch):
    from python_calamine import CalamineWorkbook

    import importer.read.workbook as workbook_module

    openpyxl = pytest.importorskip("openpyxl")
    book = openpyxl.Workbook()
    book.active.title = "Log"
    rows = [incident_row(n) for n in range(30)]
    book.active.append(list(rows[0]))
    for row in rows:
        book.active.append(list(row.values()))
    book.save(tmp_path / "log.xlsx")
    parsed: Counter[str] = Counter()

    class CountingWorkbook:
        def __init__(self, inner: CalamineWorkbook) -> None:
            self._inner = inner

        def get_sheet_by_name(self, name: str) -> Any:
            parsed[name] += 1
            return self._inner.get_sheet_by_name(name)

        def __getattr__(self, attribute: str) -> Any:
            return getattr(self._inner, attribute)

        def __enter__(self) -> CountingWorkbook:
            return self

        def __exit__(self, *exc: object) -> None:
            self._inner.close()

    real = workbook_module.open_workbook
    checked: list[str] = []  # zip entries inflated and checked: once, though opened twice
    real_check = workbook_module.check_archive
    monkeypatch.setattr(workbook_module, "_CHECKED", {})
    monkeypatch.setattr(
        workbook_module,
        "check_archive",
        lambda fp, *, name, limits: (
            checked.append(name) or real_check(fp, name=name, limits=limits)
        ),
    )
    monkeypatch.setattr(
        "importer.read.sheets.open_workbook",
        lambda source, **options: CountingWorkbook(real(source, **options)),
    )
    options = RunOptions(
        files=[tmp_path / "log.xlsx"],
        mapping_path=simple_mapping,
        report_dir=tmp_path / "report",
        dry_run=True,
        chunk_size=4,
        lookup_files={"organizations": _organizations()},
    )

    outcome = asyncio.run(run_import(options, LogProgress()))

    assert outcome.counts["would create"] == 30
    assert parsed == {"Log": 1}
    assert checked == [str(tmp_path / "log.xlsx")]


def _organizations() -> Path:
    return Path(__file__).resolve().parents[2] / "mappings" / "lookups" / "organizations.csv"
