"""Write the sample sheets in samples/ (deterministic: run it again and nothing changes).

    .venv/bin/python samples/make_samples.py

Names, organizations, e-mails, groups and attribute options match the sandbox's default tenant
(importer/sandbox/default_seed.yaml). Rows that are invalid on purpose are listed in
INVALID_ROWS below and in the README's mapping section; row numbers count the header as row 1.
"""

from __future__ import annotations

import csv
import random
from datetime import datetime, timedelta
from pathlib import Path

from openpyxl import Workbook

__all__ = ["INVALID_ROWS", "SKIPPED_ROWS", "main"]

HERE = Path(__file__).resolve().parent

# sample file → {spreadsheet row (or "sheet!row") → why it is refused}
INVALID_ROWS: dict[str, dict[str, str]] = {
    "legacy_incidents.csv": {
        "9": "missing name (Title empty)",
        "15": "unknown type 'Alien abduction'",
        "22": "bad date '31/02/2024' in Occurred",
        "30": "missing name (Title is only spaces)",
        "37": "unknown type 'Printer on fire'",
        "44": "bad date 'last Tuesday' in Occurred",
        "48": "unknown business unit 'Narnia'",
    },
    "incidents_two_sheets.xlsx": {
        "2023!7": "unknown region 'Atlantis'",
        "2024!12": "text that is not a date ('sometime in May') in Reported On",
    },
    "acme_legacy_export.csv": {
        "8": "unknown owning unit 'Global/EMEA/Frnace' (did you mean France)",
        "14": "unknown handler e-mail 'zoe.unknown@example.com'",
        "19": "country USA without a state",
        "27": "unknown Kind 'COFFEE-SPILL'",
        "33": "bad Excel serial / date 'not-a-date' in Opened",
    },
}
SKIPPED_ROWS: dict[str, dict[str, str]] = {
    "acme_legacy_export.csv": {
        "11": "Record Type TEST",
        "24": "Status Cancelled",
        "38": "Subject starts with [DRAFT]",
    },
}

_TITLES = [
    "Laptop left on train",
    "Phishing mail with fake invoice",
    "Payroll file sent to wrong recipient",
    "Ransomware on file server",
    "Shared drive open to everyone",
    "Supplier lost backup tape",
    "Stolen phone with mailbox access",
    "Customer list posted on forum",
    "Badge reader logs exposed",
    "HR spreadsheet e-mailed externally",
]


def _legacy_rows(rng: random.Random) -> list[list[str]]:
    categories = [
        "Lost laptop",
        "lost LAPTOP ",
        "Stolen phone",
        "Phishing email",
        "phishing",
        "Misdirected email",
        "Email to wrong recipient",
        "Malware/Ransomware",
        "Unauthorised access",
        "Data leak",
        "Supplier incident",
    ]
    units = ["France", "Germany", "UK", "US", "Canada", "APAC", "emea", " France "]
    rows = []
    for number in range(1, 51):
        occurred = datetime(2024, 1, 3, 8, 0) + timedelta(
            days=number * 5, minutes=rng.randint(0, 900)
        )
        discovered = occurred + timedelta(hours=rng.randint(1, 90))
        with_time = number % 3 != 0
        fmt = "%d/%m/%Y %H:%M" if with_time else "%d/%m/%Y"
        details = rng.choice(
            [
                f"Reported by staff; ticket {1000 + number}",
                "Details in the legacy log;\nsee attachment",
                "",
                "  Follow-up   with IT   needed ",
            ]
        )
        rows.append(
            [
                f"LEG-{number:04d}",
                f"{rng.choice(_TITLES)}  ",
                details,
                rng.choice(categories),
                rng.choice(units),
                occurred.strftime(fmt),
                discovered.strftime("%d/%m/%Y %H:%M") if number % 4 else "",
                rng.choice(["Y", "N", "y", "", "N"]),
            ]
        )
    broken = {9: (1, ""), 15: (3, "Alien abduction"), 22: (5, "31/02/2024")}
    broken |= {
        30: (1, "   "),
        37: (3, "Printer on fire"),
        44: (5, "last Tuesday"),
        48: (4, "Narnia"),
    }
    for row, (column, value) in broken.items():
        rows[row - 2][column] = value
    return rows


def write_legacy_csv(path: Path) -> None:
    rng = random.Random(3)
    header = [
        "Legacy ID",
        "Title",
        "Details",
        "Category",
        "Business Unit",
        "Occurred",
        "Discovered",
        "Notify?",
        "Status",
    ]
    rows = [[*row, _legacy_status(n)] for n, row in enumerate(_legacy_rows(rng), start=1)]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
        writer.writerow(header)
        writer.writerows(rows)


def _legacy_status(number: int) -> str:
    """Mostly history: closed long ago; a few still open or under investigation."""
    if number % 12 == 0:
        return "Open"
    if number % 5 == 0:
        return "In progress"
    return "closed" if number % 9 == 0 else "Closed"


def write_two_sheets(path: Path) -> None:
    rng = random.Random(7)
    book = Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    types = ["Data Breach", "phishing", "Lost or Stolen Device", "Misdirected Email", "Ransomware"]
    regions = ["France", "Germany", "United Kingdom", "United States", "Canada", "APAC"]
    header = [
        "Ref",
        "Incident",
        "Type",
        "Region",
        "Reported On",
        "Detected On",
        "Severity",
        "Regulator notified",
        "Stage",
    ]
    for year, count in ((2023, 20), (2024, 25)):
        sheet = book.create_sheet(str(year))
        sheet.append(header)
        for number in range(1, count + 1):
            reported = datetime(year, 1, 2, 9, 0) + timedelta(
                days=number * 11, hours=rng.randint(0, 8)
            )
            detected = (reported - timedelta(days=rng.randint(0, 3))).date()
            sheet.append(
                [
                    f"INC-{year}-{number:03d}",
                    rng.choice(_TITLES),
                    rng.choice(types),
                    rng.choice(regions),
                    reported,
                    detected if number % 5 else None,
                    rng.choice(["Low", "Medium", "High", "Critical", "high"]),
                    rng.choice([True, False, None]),
                    "Investigating" if year == 2024 and number % 4 == 0 else "Closed",
                ]
            )
        for column in ("E", "F"):
            for cell in sheet[column][1:]:
                cell.number_format = "dd/mm/yyyy hh:mm" if column == "E" else "dd/mm/yyyy"
    book["2023"]["D7"] = "Atlantis"
    book["2024"]["E12"] = "sometime in May"
    book.save(path)
    _fix_zip_times(path)


def _fix_zip_times(path: Path) -> None:
    """openpyxl stamps the zip entries and docProps with now; pin them so reruns are identical."""
    import zipfile

    fixed = datetime(2024, 1, 1).strftime("%Y-%m-%dT%H:%M:%SZ")
    entries = []
    with zipfile.ZipFile(path) as source:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                text = data.decode()
                for tag in ("dcterms:created", "dcterms:modified"):
                    start = text.find(f"<{tag}")
                    end = text.find(f"</{tag}>")
                    if start >= 0 and end >= 0:
                        open_end = text.find(">", start) + 1
                        text = text[:open_end] + fixed + text[end:]
                data = text.encode()
            entries.append((info.filename, data))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            target.writestr(zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0)), data)


def _acme_rows(rng: random.Random) -> list[dict[str, str]]:
    kinds = ["PHISH-EMAIL", "device-loss", "MISDIRECT", "RANSOM", "VENDOR", "UNAUTH", "BREACH"]
    units = [
        "Global/EMEA/France",
        "ORG-DE",
        "United Kingdom",
        "Americas / Canada",
        "APAC",
        "org-us",
        "EMEA",
    ]
    handlers = [
        "Alice Martin <alice.martin@example.com>",
        "bob.schneider@example.com; carla.diaz@example.com",
        "DAN.OKAFOR@EXAMPLE.COM",
        "",
    ]
    places = [
        ("United States", "California"),
        ("US", "NY"),
        ("USA", "tx"),
        ("Canada", "Ontario"),
        ("France", ""),
        ("DE", ""),
        ("United Kingdom", ""),
    ]
    categories = ["PII", "PII; credit card", "medical", "passport, PII", "minors", ""]
    rows = []
    for number in range(1, 41):
        opened = datetime(2024, 2, 1, 8, 0) + timedelta(
            days=number * 3, minutes=rng.randint(0, 600)
        )
        serial = (opened - datetime(1899, 12, 30)).total_seconds() / 86400
        detected = opened + timedelta(hours=rng.randint(1, 48))
        country, state = rng.choice(places)
        row = {
            "Site Code": rng.choice(["PAR", "NYC", "BER"]),
            "Ticket": f"SD-{10000 + number}",
            "Record Type": "INCIDENT",
            "Status": rng.choice(["Open", "Closed", "open"]),
            "Subject": rng.choice(_TITLES) + rng.choice(["", "  ", " (urgent)"]),
            "Narrative": rng.choice(["", "Long narrative from the SecureDesk export."]),
            "Short Desc": rng.choice(["Short description.", "See narrative"]),
            "Kind": rng.choice(kinds),
            "Owning Unit": rng.choice(units),
            "Opened": f"{serial:.5f}" if number % 4 else opened.strftime("%Y-%m-%dT%H:%M:%S"),
            "Detected": detected.strftime("%d.%m.%Y %H:%M")
            if number % 5
            else detected.strftime("%d.%m.%Y"),
            "Due": _day_first(detected + timedelta(days=5)) if number % 6 == 0 else "",
            "Flag Regulator": rng.choice(["yes", "No", "tbd", "", "n/a"]),
            "Root Cause Notes": rng.choice(["cause: human error", "Cause: weak password", ""]),
            "Handlers": rng.choice(handlers),
            "Queue": rng.choice(["privacy office", "SecOps", ""]),
            "Country": country,
            "Region/State": state,
            "Other Countries": rng.choice(["", "FR, DE", "GBR"]),
            "Prio": rng.choice(["P1", "P2", "P3", "P4", "p2"]),
            "Data Types": rng.choice(categories),
            "Affected Count": rng.choice(["1200.0", "3.4E+03", "17", ""]),
            "Reported By": rng.choice(["jane   DOE", "  max mustermann", "", "LI wei"]),
            "Ext Ref": rng.choice(["migrated from CRM case #CRM-2231", "CRM-77", "none"]),
            "CMDB CIs": rng.choice(["", "LAPTOP-0042", "SRV-FS01; SRV-FS02", "SRV-FS01;SRV-FS01"]),
            "Vendor Refs": rng.choice(["", "VEND-ACME-CLOUD"]),
            "Auto-Assess": rng.choice(["yes", "no", ""]),
        }
        rows.append(row)
    edits = {
        8: {"Owning Unit": "Global/EMEA/Frnace"},
        11: {"Record Type": "TEST"},
        14: {"Handlers": "zoe.unknown@example.com"},
        19: {"Country": "United States", "Region/State": ""},
        24: {"Status": "Cancelled"},
        27: {"Kind": "COFFEE-SPILL"},
        33: {"Opened": "not-a-date"},
        38: {"Subject": "[DRAFT] do not import"},
    }
    for number, values in edits.items():
        rows[number - 2].update(values)
    return rows


def _day_first(moment: datetime) -> str:
    return f"{moment.day}/{moment.month}/{moment.year}"  # no zero padding, as ACME writes it


def write_acme_csv(path: Path) -> None:
    rows = _acme_rows(random.Random(11))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def main() -> None:
    write_legacy_csv(HERE / "legacy_incidents.csv")
    write_two_sheets(HERE / "incidents_two_sheets.xlsx")
    write_acme_csv(HERE / "acme_legacy_export.csv")


if __name__ == "__main__":
    main()
