"""A workbook's zip entries are inflated and checked once per file, not once per open.

A run opens a workbook for its rows and again for the other sheets' headers; the second
check repeated the first (as long as calamine's parse of the sheet). A changed file, or
other limits, is checked again.
"""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

import importer.read.workbook as workbook_module
from importer.errors import ReadError
from importer.read import read_rows
from importer.read.limits import DEFAULT_LIMITS

openpyxl = pytest.importorskip("openpyxl")


def _book(path: Path, rows: int) -> Path:
    book = openpyxl.Workbook()
    book.active.append(["Title", "Notes"])
    for n in range(rows):
        book.active.append([f"incident {n}", "x" * (n % 7)])
    book.save(path)
    return path


@pytest.fixture
def checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    called: list[str] = []
    real = workbook_module.check_archive

    def counting(fp, *, name, limits):  # type: ignore[no-untyped-def]
        called.append(name)
        return real(fp, name=name, limits=limits)

    monkeypatch.setattr(workbook_module, "check_archive", counting)
    monkeypatch.setattr(workbook_module, "_CHECKED", {})
    return called


def _open(path: Path, limits=DEFAULT_LIMITS) -> None:  # type: ignore[no-untyped-def]
    with workbook_module.open_workbook(path, name=str(path), limits=limits):
        pass


def test_the_same_file_is_checked_once(tmp_path: Path, checks: list[str]) -> None:
    book = _book(tmp_path / "log.xlsx", 20)
    _open(book)
    _open(book)
    assert sum(len(chunk.frame) for chunk in read_rows(book, chunk_size=5)) == 20
    assert checks == [str(book)]


def test_a_rewritten_or_touched_file_is_checked_again(tmp_path: Path, checks: list[str]) -> None:
    book = _book(tmp_path / "log.xlsx", 20)
    _open(book)
    _book(book, 21)  # written again in place
    _open(book)
    facts = book.stat()
    os.utime(book, ns=(facts.st_atime_ns, facts.st_mtime_ns))  # times set back: ctime moves
    _open(book)
    assert checks == [str(book)] * 3


def test_other_limits_check_again_and_a_failed_check_is_not_remembered(
    tmp_path: Path, checks: list[str]
) -> None:
    book = _book(tmp_path / "log.xlsx", 200)
    tight = replace(DEFAULT_LIMITS, max_sheet_cells=10)
    for _ in range(2):
        with pytest.raises(ReadError, match="more than 10"):
            _open(book, tight)
    _open(book)
    with pytest.raises(ReadError, match="more than 10"):
        _open(book, tight)
    assert len(checks) == 4
