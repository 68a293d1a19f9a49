"""Every kind of cell that used to reach the register as a wrong value (docs/cells.md), end to
end: the fixture file → `run --dry-run` and a real run against the sandbox over loopback.

Each case says, per source row, the exact body sent (orgGroupId aside: it is the sandbox's id
for France) or the status and the words of its refusal. Both modes must agree.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from e2e_helpers import run_args

CELLS = Path(__file__).resolve().parents[1] / "fixtures" / "cells"
BASE = """\
version: 1
name: cells
key: [Ref]
{top}
fields:
  name: {{column: Title}}
  incidentTypeName: {{constant: Phishing}}
  orgGroupId: {{constant: France, lookup: organization}}
{fields}
"""

Where = tuple[str, str, int]  # file name, sheet ("" for CSV), row


@dataclass
class Case:
    id: str
    files: list[str]
    fields: str = ""
    top: str = ""
    args: list[str] = field(default_factory=list)
    bodies: dict[Where, dict[str, object]] = field(default_factory=dict)
    refused: dict[Where, tuple[str, str]] = field(default_factory=dict)  # status, message


def _at(file: str, row: int, sheet: str = "") -> Where:
    return (file, sheet, row)


def _body(name: str, **fields: object) -> dict[str, object]:
    return {"name": name, "incidentTypeName": "Phishing", **fields}


def _utc(text: str) -> str:
    return text + ".000Z"


CASES = [
    Case(
        "identifiers-stay-text",
        ["ids.csv"],
        fields="  description: {column: Ref}",
        bodies={
            _at("ids.csv", 2): _body("Big one", description="9007199254740992"),
            _at("ids.csv", 3): _body("Big two", description="9007199254740993"),
            _at("ids.csv", 4): _body("Zero two", description="0042"),
            _at("ids.csv", 5): _body("Zero one", description="042"),
            _at("ids.csv", 6): _body("Nineteen digits", description="1234567890123456789"),
        },
    ),
    Case(
        "workbook-number-ids-exact-or-refused",
        ["ids.xlsx"],
        fields="  description: {column: Ref}",
        bodies={
            _at("ids.xlsx", 2, "Ids"): _body("Seventeen", description="17"),
            _at("ids.xlsx", 4, "Ids"): _body("Decimal", description="12.5"),
        },
        refused={
            _at("ids.xlsx", 3, "Ids"): (
                "invalid",
                "column 'Ref' (key) value '1.23456789012346e+18': a number this large is not "
                "stored exactly in a workbook (Excel keeps 15 digits); format the column as "
                "Text in Excel and type the value again",
            )
        },
    ),
    Case(
        "rows-wider-than-the-header",
        ["wide.csv"],
        fields="  description: {column: Records}\n  dateOccurred: {column: Occurred}",
        bodies={
            _at("wide.csv", 3): _body(
                "Phone", description="1,200", dateOccurred=_utc("2024-01-03T00:00:00")
            ),
            _at("wide.csv", 4): _body(
                "Tablet", description="7", dateOccurred=_utc("2024-01-04T00:00:00")
            ),
        },
        refused={
            _at("wide.csv", 2): (
                "invalid",
                "1 cell(s) right of the header's last column: E '2024-01-02'; cells may have "
                "shifted (an unquoted separator, like 1,200 in a comma CSV?)",
            )
        },
    ),
    Case(
        "a-repeated-header-named-by-its-copy",
        ["repeated.csv"],
        fields="  description: {column: Country (2)}",
        bodies={_at("repeated.csv", 2): _body("Leak", description="Germany")},
    ),
    Case(
        "free-form-dates-one-order-per-column",
        ["dates.csv"],
        fields="  dateOccurred: {column: Occurred}",
        bodies={
            _at("dates.csv", 2): _body("First", dateOccurred=_utc("2024-07-12T00:00:00")),
            _at("dates.csv", 3): _body("Second", dateOccurred=_utc("2024-07-13T00:00:00")),
            _at("dates.csv", 4): _body("Third", dateOccurred=_utc("2024-12-25T00:00:00")),
            _at("dates.csv", 6): _body("Fifth", dateOccurred=_utc("2024-05-05T00:00:00")),
        },
        refused={
            _at("dates.csv", 5): (
                "invalid",
                "column 'Occurred' (dateOccurred) value '07/13/2024': not a date when read day "
                "first, the order of this column (decided by '13.07.2024' in this column)",
            )
        },
    ),
    Case(
        "text-is-never-a-serial",
        ["serials.csv"],
        fields='  dateOccurred: {column: Occurred, formats: ["%d.%m.%Y"]}',
        bodies={
            _at("serials.csv", 4): _body("Real date", dateOccurred=_utc("2024-12-31T00:00:00"))
        },
        refused={
            _at("serials.csv", 2): (
                "invalid",
                "column 'Occurred' (dateOccurred) value '2019': expected a date like 31.12.2024",
            ),
            _at("serials.csv", 3): (
                "invalid",
                "column 'Occurred' (dateOccurred) value '45657': expected a date like 31.12.2024",
            ),
        },
    ),
    Case(
        "serials-of-a-1904-workbook",
        ["serials_1904.xlsx"],
        fields="  dateOccurred: {column: Occurred}",
        bodies={
            _at("serials_1904.xlsx", 2, "Log"): _body(
                "Serial",
                dateOccurred=(datetime(1904, 1, 1) + timedelta(days=44195)).strftime(
                    "%Y-%m-%dT%H:%M:%S.000Z"
                ),
            ),
            _at("serials_1904.xlsx", 3, "Log"): _body(
                "Date cell", dateOccurred=_utc("2024-12-31T14:30:00")
            ),
        },
        refused={
            _at("serials_1904.xlsx", 4, "Log"): (
                "invalid",
                "column 'Occurred' (dateOccurred) value '2019': the number 2019 is not a "
                "plausible Excel date serial (as an Excel serial it would be 1909-07-12): "
                "serials are read only for 1970-2099; write the date",
            )
        },
    ),
    Case(
        "merged-cells-formulas-hidden-sheets",
        ["workbook_cells.xlsx"],
        fields="  dateOccurred: {column: Occurred}",
        bodies={
            _at("workbook_cells.xlsx", 2, "Log"): _body(
                "Merged date, first row", dateOccurred=_utc("2024-05-06T00:00:00")
            ),
            _at("workbook_cells.xlsx", 3, "Log"): _body(
                "Merged date, second row", dateOccurred=_utc("2024-05-06T00:00:00")
            ),
            _at("workbook_cells.xlsx", 6, "Log"): _body(
                "Plain", dateOccurred=_utc("2024-05-09T00:00:00")
            ),
        },
        refused={
            _at("workbook_cells.xlsx", 4, "Log"): (
                "invalid",
                "merged cells A4:B4 span several columns, so which column the value belongs to "
                "is a guess; unmerge them in Excel",
            ),
            _at("workbook_cells.xlsx", 5, "Log"): (
                "invalid",
                "column 'Title': cell B5 is a formula saved without its value (a file written "
                "by a script); open and save it in Excel, or paste the values",
            ),
            _at("workbook_cells.xlsx", 2, "Old"): (
                "skipped",
                "sheet 'Old' is hidden in the workbook; name it in the mapping's `sheets` (or "
                "--sheet) to import its rows",
            ),
        },
    ),
    Case(
        "central-european-csv",
        ["cp1250.csv"],
        fields="  name: {column: Název}\n  description: {column: Popis}",
        bodies={
            _at("cp1250.csv", 2): _body(
                "Ztráta notebooku", description="Přístup k údajům zaměstnanců"
            ),
            _at("cp1250.csv", 3): _body("Žádost o výmaz", description="Łódź, řádek č. 5"),
        },
    ),
    Case(
        "encoding-option-settles-a-tie",
        ["hungarian.csv"],
        fields="  name: {column: Név}\n  description: {column: Leírás}",
        args=["--encoding", "cp1250"],
        bodies={_at("hungarian.csv", 2): _body("Őrző", description="űrlap")},
    ),
    Case(
        "encoding-in-the-mapping",
        ["hungarian.csv"],
        top="encoding: cp1250",
        fields="  name: {column: Név}\n  description: {column: Leírás}",
        bodies={_at("hungarian.csv", 2): _body("Őrző", description="űrlap")},
    ),
    Case(
        "excel-sep-line",
        ["sep_line.csv"],
        fields="  description: {column: Records}",
        bodies={_at("sep_line.csv", 2): _body("Comma, kept", description="1,5")},
    ),
    Case(
        "no-value-tokens",
        ["no_value.csv"],
        top="no_value: ['\\N', 'NULL', 'N/A', '-']",
        fields="  description: {column: Details}\n  dateOccurred: {column: Occurred}",
        bodies={
            _at("no_value.csv", 2): _body("Slash N"),
            _at("no_value.csv", 3): _body("Null"),
            _at("no_value.csv", 4): _body("Dash", dateOccurred=_utc("2024-02-03T00:00:00")),
            _at("no_value.csv", 5): _body(
                "Real", description="Real details", dateOccurred=_utc("2024-02-04T00:00:00")
            ),
        },
    ),
    Case(
        "incident-types-checked-before-sending",
        ["types.csv"],
        top="incident_types: [Phishing, Data Breach]",
        fields="  incidentTypeName: {column: Type}",
        bodies={_at("types.csv", 2): _body("Known")},
        refused={
            _at("types.csv", 3): (
                "invalid",
                "column 'Type' (incidentTypeName) value 'Loss, Theft': not an incident type of "
                "the tenant (`incident_types` in the mapping); expected one of: Phishing, "
                "Data Breach",
            )
        },
    ),
    Case(
        "same-row-in-two-files",
        ["part1.csv", "part2.csv"],
        bodies={
            _at("part1.csv", 2): _body("Same row"),
            _at("part1.csv", 3): _body("Changed row"),
        },
        refused={
            _at("part2.csv", 2): (
                "skipped",
                f"duplicate of {CELLS / 'part1.csv'} row 2 (same row key and values): "
                "not sent again",
            ),
            _at("part2.csv", 3): (
                "invalid",
                f"same row key as {CELLS / 'part1.csv'} row 3 in this run, with different "
                "values: cells:X-2",
            ),
        },
    ),
]


def _mapping(tmp_path: Path, case: Case) -> Path:
    text = BASE.format(top=case.top, fields=case.fields)
    if "  name:" in case.fields:  # the case names its own title column
        text = text.replace("  name: {column: Title}\n", "", 1)
    if "incidentTypeName:" in case.fields:
        text = text.replace("  incidentTypeName: {constant: Phishing}\n", "", 1)
    path = tmp_path / "cells.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _results(reports: Path) -> tuple[Path, dict[Where, dict[str, str]]]:
    (folder,) = [p for p in reports.iterdir() if p.is_dir()]
    with (folder / "results.csv").open(encoding="utf-8") as fp:
        rows = list(csv.DictReader(fp))
    return folder, {(Path(r["file"]).name, r["sheet"], int(r["row"])): r for r in rows}


def _sent_bodies(mode: str, folder: Path, results, register) -> dict[Where, dict[str, object]]:
    if mode == "dry-run":
        lines = (folder / "would_send.jsonl").read_text(encoding="utf-8").splitlines()
        found = [json.loads(line) for line in lines]
        return {(Path(f["file"]).name, f["sheet"] or "", f["row"]): f["body"] for f in found}
    stored = {i["incidentId"]: i for i in register.incidents()}
    return {
        where: stored[r["incident_id"]] for where, r in results.items() if r["status"] == "created"
    }


@pytest.mark.parametrize("mode", ["dry-run", "sandbox"])
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_the_body_is_what_the_sheet_shows_or_the_row_is_refused(
    tmp_path, register, cli, case, mode
):
    mapping = _mapping(tmp_path, case)
    files = [CELLS / name for name in case.files]
    extra = [*case.args, *(["--dry-run"] if mode == "dry-run" else [])]
    args = run_args(files[0], mapping, tmp_path, *extra)
    args[2:2] = [str(f) for f in files[1:]]

    result = cli(args, register=register)

    assert result.exit_code in (0, 1), result.stderr
    folder, results = _results(tmp_path / "reports")
    assert set(results) == set(case.bodies) | set(case.refused)  # nothing lost, nothing extra
    sent = _sent_bodies(mode, folder, results, register)
    assert set(sent) == set(case.bodies)
    for where, expected in case.bodies.items():
        assert results[where]["status"] == ("would create" if mode == "dry-run" else "created")
        body = sent[where]
        assert body.get("orgGroupId")
        shown = {
            k: v for k, v in body.items() if k in _SENT_FIELDS - {"orgGroupId"} and v is not None
        }
        assert shown == expected, where
    for where, (status, words) in case.refused.items():
        assert results[where]["status"] == status, results[where]
        assert results[where]["message"] == words, results[where]
    assert result.exit_code == (1 if any(s == "invalid" for s, _ in case.refused.values()) else 0)


_SENT_FIELDS = {"name", "description", "incidentTypeName", "orgGroupId", "dateOccurred"}
