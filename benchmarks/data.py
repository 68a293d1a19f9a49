"""The benchmark's own input: a synthetic 10-column legacy incident log and its mapping.

Ids, titles, categories through a value map, business units to org ids, two `%m/%d/%Y %H:%M`
dates, a notify flag, free text, a root cause and one column the mapping ignores. Every row
is valid and unique, so every row becomes a body (the worst case for the writers), and every
date is in the past (a legacy log: a million rows span 2015 to 2022), so no row carries a
warning. (Until 2026-12 rows were 37 minutes apart: 83 % of a million fell in the future and
the 1M benchmark measured 1.66 million "date in the future" warnings, not the clean path.)
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

COLUMNS = [
    "Legacy ID",
    "Title",
    "Details",
    "Category",
    "Business Unit",
    "Occurred",
    "Discovered",
    "Notify",
    "Root Cause",
    "Reporter",
]
CATEGORIES = {
    "Lost laptop": "Lost or Stolen Device",
    "Stolen phone": "Lost or Stolen Device",
    "Phishing email": "Phishing",
    "Misdirected email": "Misdirected Email",
    "Malware": "Ransomware",
    "Unauthorised access": "Unauthorized Access",
    "Data leak": "Data Breach",
}
UNITS = {
    "France": "d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6",
    "Germany": "ad4ebe4b-6404-47de-9c13-58f0041f7f4d",
    "UK": "b4628c3c-219a-456f-aa37-7431a4d36968",
    "US": "23ffe06a-b432-4355-a566-7817cd271583",
    "Canada": "b8211d94-d79d-4f59-921f-7dc8b06eb6bd",
}
NOTIFY = {"Y": "YES", "N": "NO"}
DATE_FORMAT = "%m/%d/%Y %H:%M"

_CATEGORY_NAMES = list(CATEGORIES)
_UNIT_NAMES = list(UNITS)
_START = dt.datetime(2015, 1, 1)


def _yaml_map(table: dict[str, str]) -> str:
    return "\n".join(f"      {k}: {v}" for k, v in table.items())


MAPPING = f"""\
version: 1
name: bench-legacy
key: [Legacy ID]
timezone: UTC
fields:
  name: {{column: Title}}
  description: {{column: Details}}
  incidentTypeName:
    column: Category
    ignore_case: true
    otherwise: error
    map:
{_yaml_map(CATEGORIES)}
  orgGroupId:
    column: Business Unit
    ignore_case: true
    otherwise: error
    map:
{_yaml_map(UNITS)}
  dateOccurred: {{column: Occurred, formats: ["{DATE_FORMAT}"]}}
  dateDiscovered: {{column: Discovered, formats: ["{DATE_FORMAT}"]}}
  notificationNeeded:
    {{column: Notify, map: {{Y: "YES", N: "NO"}}, ignore_case: true, default: UNKNOWN}}
  rootCause: {{column: Root Cause}}
  sourceType: {{constant: MANUAL}}
"""


def row(n: int) -> list[str]:
    """Row `n` of the log: unique id, title, text and timestamps; categories and units repeat.
    Rows are 4 minutes apart: row 999,999 occurred in 2022."""
    occurred = _START + dt.timedelta(minutes=4 * n)
    discovered = occurred + dt.timedelta(hours=5 + n % 50)
    return [
        f"LEG-{n:07d}",
        f"Incident {n} at branch {n % 211}",
        f"Reported by branch {n % 97}: what happened, who noticed it and when. Ticket #{n}",
        _CATEGORY_NAMES[n % len(_CATEGORY_NAMES)],
        _UNIT_NAMES[n % len(_UNIT_NAMES)],
        occurred.strftime(DATE_FORMAT),
        discovered.strftime(DATE_FORMAT),
        "Y" if n % 3 == 0 else "N",
        f"Cause {n % 17}",
        f"user{n % 400}@example.com",
    ]


def write_csv(path: Path, rows: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fp:
        writer = csv.writer(fp)
        writer.writerow(COLUMNS)
        writer.writerows(row(n) for n in range(rows))
    return path


def write_xlsx(path: Path, rows: int) -> Path:
    """The same log as a workbook, written in constant memory (openpyxl's write-only mode)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Incidents")
    sheet.append(COLUMNS)
    for n in range(rows):
        sheet.append(row(n))
    workbook.save(path)
    return path


def write_mapping(path: Path) -> Path:
    path.write_text(MAPPING, encoding="utf-8")
    return path
