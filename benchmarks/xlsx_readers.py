"""Why the XLSX reader holds a sheet: python-calamine parses a whole sheet at once (no streaming
API); openpyxl's read-only mode streams but is an order of magnitude slower. Each reader walks
every row of the workbook in a fresh process; `python -m benchmarks.xlsx_readers FILE READER`
prints `{"rows": N}`.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import measure, python


@dataclass
class ReaderCost:
    reader: str
    rows: int
    seconds: float
    peak_mb: float


def cost(path: Path, reader: str, rows: int) -> ReaderCost:
    measured = measure(python("-m", "benchmarks.xlsx_readers", str(path), reader))
    if measured.returncode != 0 or json.loads(measured.stdout)["rows"] != rows + 1:
        raise RuntimeError(f"{reader} did not read {rows} rows of {path}: {measured.stdout!r}")
    return ReaderCost(reader, rows, measured.seconds, measured.peak_mb)


def _walk(path: str, reader: str) -> int:
    if reader == "calamine":
        from python_calamine import CalamineWorkbook

        with CalamineWorkbook.from_path(path) as workbook:
            sheet = workbook.get_sheet_by_name(workbook.sheet_names[0])
            return sum(1 for _ in sheet.iter_rows())
    from openpyxl import load_workbook

    workbook = load_workbook(path, read_only=True)
    try:
        return sum(1 for _ in workbook.worksheets[0].iter_rows(values_only=True))
    finally:
        workbook.close()


if __name__ == "__main__":
    print(json.dumps({"rows": _walk(sys.argv[1], sys.argv[2])}))
