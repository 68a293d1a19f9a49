"""`duplicates.csv`: rows whose incident exists twice in the register, with both ids."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from pathlib import Path

from importer.report.files import open_private
from importer.report.results import safe_cell

__all__ = ["DUPLICATE_COLUMNS", "write_duplicates"]

DUPLICATE_COLUMNS = ["file", "sheet", "row", "key", "incident_id", "duplicate_incident_id"]


def write_duplicates(
    folder: Path, copies: Sequence[tuple[str, str | None, int, str, str, str]]
) -> Path:
    """Write one line per copy (`file, sheet, row, key, incident_id, duplicate_incident_id`)."""
    path = folder / "duplicates.csv"
    with open_private(path, newline="") as fp:  # it repeats the sheet's keys: owner-only
        writer = csv.writer(fp)
        writer.writerow(DUPLICATE_COLUMNS)
        for file, sheet, row, key, incident_id, copy_id in copies:
            writer.writerow(
                [safe_cell(file), safe_cell(sheet or ""), row, safe_cell(key), incident_id, copy_id]
            )
    return path
