"""The yardstick: the same mapping as `data.MAPPING`, written the obvious way.

`csv.DictReader`, one dict per row, one pydantic `model_validate` per row, nothing written.
Run as `python -m benchmarks.naive FILE`; prints `{"rows": N, "valid": M}` as JSON.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import sys

from benchmarks.data import CATEGORIES, DATE_FORMAT, NOTIFY, UNITS
from importer.models import IncidentCreateRequest

_CATEGORIES = {k.casefold(): v for k, v in CATEGORIES.items()}
_UNITS = {k.casefold(): v for k, v in UNITS.items()}


def _date(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    return dt.datetime.strptime(text, DATE_FORMAT).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def body(record: dict[str, str]) -> dict[str, object]:
    notify = record["Notify"].strip()
    return {
        "name": record["Title"].strip(),
        "description": record["Details"].strip(),
        "incidentTypeName": _CATEGORIES[record["Category"].strip().casefold()],
        "orgGroupId": _UNITS[record["Business Unit"].strip().casefold()],
        "dateOccurred": _date(record["Occurred"]),
        "dateDiscovered": _date(record["Discovered"]),
        "notificationNeeded": NOTIFY.get(notify.upper(), "UNKNOWN") if notify else "UNKNOWN",
        "rootCause": record["Root Cause"].strip(),
        "sourceType": "MANUAL",
    }


def main(path: str) -> None:
    rows = valid = 0
    with open(path, newline="", encoding="utf-8") as fp:
        for record in csv.DictReader(fp):
            rows += 1
            IncidentCreateRequest.model_validate(body(record))
            valid += 1
    print(json.dumps({"rows": rows, "valid": valid}))


if __name__ == "__main__":
    main(sys.argv[1])
