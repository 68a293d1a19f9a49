"""A cell the reader refuses on its own (a number format, an error cell, a formula without
value) refuses its row only when the mapping reads its column: a VLOOKUP helper column showing
#N/A that the mapping never sends does not stop the row (docs/cells.md)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import openpyxl

MAPPING = """\
version: 1
name: unread
key: [Ref]
fields:
  name: {column: Title}
  description: {column: Amount}
  incidentTypeName: {constant: Phishing}
  orgGroupId: {constant: d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6}
"""


def _book(path: Path) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["Ref", "Title", "Amount", "Lookup", "Share"])
    ws.append(["R-2", "fine", 12, "#N/A", 0.25])  # unread columns only: created
    ws.append(["R-3", "read", 0.25, "x", 1])  # the mapping reads Amount: refused
    ws.append(["R-4", "error", "#N/A", None, None])  # an error in a read column: refused
    for row in (2, 3, 4):
        ws.cell(row, 5).number_format = "0%"
    ws.cell(3, 3).number_format = "0%"
    wb.save(path)
    return path


def test_a_refused_cell_in_a_column_the_mapping_never_reads_does_not_refuse_the_row(tmp_path, cli):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(MAPPING, encoding="utf-8")
    book = _book(tmp_path / "b.xlsx")
    reports = tmp_path / "reports"
    args = ["run", str(book), "-m", str(mapping), "--dry-run", "--report-dir", str(reports)]
    result = cli(args)
    assert result.exit_code == 1, result.stdout  # invalid rows
    (folder,) = [p for p in reports.iterdir() if p.is_dir()]
    with (folder / "results.csv").open(encoding="utf-8", newline="") as fp:
        rows = {r["row"]: r for r in csv.DictReader(fp)}
    assert {row: r["status"] for row, r in rows.items()} == {
        "2": "would create",
        "3": "invalid",
        "4": "invalid",
    }
    assert "cell C3 shows 25%" in rows["3"]["message"]
    assert "cell E3" not in rows["3"]["message"]  # the unread column's cell is not named
    assert "cell C4 shows the error #N/A" in rows["4"]["message"]
    (line,) = (folder / "would_send.jsonl").read_text(encoding="utf-8").splitlines()
    assert json.loads(line)["body"]["description"] == "12"
