"""Helpers for the end-to-end tests: a small valid incident log and its mapping."""

from __future__ import annotations

import csv
from pathlib import Path

SIMPLE_MAPPING = """\
version: 1
name: test-log
key: [Ref]
fields:
  name: Title
  description: Details
  incidentTypeName: Type
  orgGroupId: {column: Org, lookup: organization}
  dateOccurred: {column: Occurred, formats: ["%Y-%m-%d %H:%M"]}
"""
COLUMNS = ["Ref", "Title", "Details", "Type", "Org", "Occurred"]
TYPES = ["Phishing", "Data Breach", "Lost or Stolen Device", "Misdirected Email"]
ORGS = ["France", "Germany", "ORG-US", "Global/EMEA/United Kingdom"]


def incident_row(n: int, **overrides: str) -> dict[str, str]:
    """A valid row of the simple test log; `n` makes it unique."""
    row = {
        "Ref": f"T-{n:05d}",
        "Title": f"Test incident {n}",
        "Details": f"Details of incident {n}",
        "Type": TYPES[n % len(TYPES)],
        "Org": ORGS[n % len(ORGS)],
        "Occurred": f"2024-{1 + n % 12:02d}-{1 + n % 28:02d} {n % 24:02d}:{n % 60:02d}",
    }
    row.update(overrides)
    return row


def write_sheet(path: Path, rows: list[dict[str, str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fp:
        writer = csv.DictWriter(fp, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    return path


def read_results(report_dir: Path) -> list[dict[str, str]]:
    """The rows of the single run folder's results.csv under report_dir."""
    (run_folder,) = [p for p in report_dir.iterdir() if p.is_dir()]
    with (run_folder / "results.csv").open(encoding="utf-8") as fp:
        return list(csv.DictReader(fp))


def run_args(sheet: Path, mapping: Path, workdir: Path, *extra: str) -> list[str]:
    """`run` arguments that keep the report and ledger under `workdir` and never wait to search."""
    return [
        "run",
        str(sheet),
        "--mapping",
        str(mapping),
        "--report-dir",
        str(workdir / "reports"),
        "--ledger",
        str(workdir / "ledger.sqlite"),
        "--reconcile-delay",
        "0",
        "--search-lag",
        "0",
        "--timeout",
        "3",
        *extra,
    ]
