"""Helpers for the validation-report tests: run `validate` and open what it wrote."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import openpyxl

ROOT = Path(__file__).resolve().parents[1]
ORGANIZATIONS = ROOT / "mappings" / "lookups" / "organizations.csv"


def validate_args(sheet: Path, mapping: Path, workdir: Path, *extra: str) -> list[str]:
    return [
        "validate",
        str(sheet),
        "--mapping",
        str(mapping),
        "--report-dir",
        str(workdir / "reports"),
        *extra,
    ]


def report_folder(workdir: Path) -> Path:
    (folder,) = [p for p in (workdir / "reports").iterdir() if p.is_dir()]
    return folder


def problems(folder: Path) -> list[dict[str, str]]:
    with (folder / "problems.csv").open(encoding="utf-8") as fp:
        return list(csv.DictReader(fp))


def marked_cells(path: Path, sheet: str) -> dict[str, tuple[str, str]]:
    """`{"B4": ("FFF4B6B6", "error [name]: required, but empty"), ...}`: every cell that carries
    a fill or a comment on `sheet` (the header row's grey excepted)."""
    book = openpyxl.load_workbook(path)
    found: dict[str, tuple[str, str]] = {}
    for row in book[sheet].iter_rows(min_row=2):
        for cell in row:
            fill: Any = cell.fill.fgColor.rgb if cell.fill.fill_type == "solid" else None
            if fill or cell.comment:
                found[cell.coordinate] = (fill, cell.comment.text if cell.comment else "")
    return found
