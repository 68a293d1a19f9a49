"""Date directives: formats, ISO, Excel serials, date cells, date-only policy, zones, relative."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import numpy as np
import pandas as pd
import pytest
from mapping_helpers import outcome

from importer.models import parse_api_datetime
from importer.validate import kind_of

PARIS = "{timezone: Europe/Paris}"

# (id, dateOccurred block, cell, expected ISO UTC or "error: …")
CASES: list[tuple[str, str, Any, str | None]] = [
    (
        "format-day-first",
        '{column: D, formats: ["%d/%m/%Y %H:%M"]}',
        "31/12/2024 14:30",
        "2024-12-31T14:30:00.000Z",
    ),
    (
        "second-format",
        '{column: D, formats: ["%d/%m/%Y %H:%M", "%d/%m/%Y"]}',
        "31/12/2024",
        "2024-12-31T00:00:00.000Z",
    ),
    (
        "format-with-offset",
        '{column: D, formats: ["%Y-%m-%d %H:%M %z"]}',
        "2024-06-01 10:00 +0200",
        "2024-06-01T08:00:00.000Z",
    ),
    (
        "iso-always-accepted",
        '{column: D, formats: ["%d/%m/%Y"]}',
        "2024-03-05T06:07:08",
        "2024-03-05T06:07:08.000Z",
    ),
    ("iso-with-z", "D", "2024-03-05T06:07:08.5Z", "2024-03-05T06:07:08.500Z"),
    ("iso-with-offset", "D", "2024-03-05T06:07:08+01:00", "2024-03-05T05:07:08.000Z"),
    ("iso-date-only", "D", "2024-03-05", "2024-03-05T00:00:00.000Z"),
    (
        "lenient-ambiguous-is-refused",
        "D",
        "3/4/2024 10:00",
        "error: not read: day and month could be either way round",
    ),
    (
        "lenient-month-first",
        "{column: D, dayfirst: false}",
        "3/4/2024 10:00",
        "2024-03-04T10:00:00.000Z",
    ),
    ("lenient-same-day-and-month", "D", "4/4/2024", "2024-04-04T00:00:00.000Z"),
    ("lenient-unambiguous-day-first", "D", "13.07.2024", "2024-07-13T00:00:00.000Z"),
    (
        "formats-dayfirst-never-swap",
        '{column: D, formats: ["%d/%m/%Y"], dayfirst: true}',
        "12/31/2024",
        "error: not a date when read day first",
    ),
    ("dayfirst", "{column: D, dayfirst: true}", "3/4/2024 10:00", "2024-04-03T10:00:00.000Z"),
    (
        "dayfirst-with-formats",
        '{column: D, formats: ["%Y%m%d"], dayfirst: true}',
        "3.4.2024",
        "2024-04-03T00:00:00.000Z",
    ),
    (
        "no-lenient-when-formats",
        '{column: D, formats: ["%d/%m/%Y"]}',
        "3 April 2024",
        "error: expected a date like 31/12/2024",
    ),
    (
        "impossible-date",
        '{column: D, formats: ["%d/%m/%Y"]}',
        "31/02/2024",
        "error: expected a date like 31/12/2024",
    ),
    ("words", "D", "last Tuesday", "error: expected a date like 2024-12-31 14:30"),
    # dateutil fills what a value leaves out from today: never send a day nobody wrote
    ("time-only-text", "D", "12:30", "error: not a whole date: it has no year, month or day"),
    ("year-and-month-only", "D", "2024-05", "error: not a whole date: it has no day"),
    ("month-name-no-year", "D", "May 5 14:30", "error: not a whole date: it has no year"),
    ("day-month-no-year", "{column: D, dayfirst: true}", "5.3. 14:30", "error: expected a date"),
    ("month-name-whole", "D", "Mar 5, 2024 10:00", "2024-03-05T10:00:00.000Z"),
    ("quarter", "D", "2024Q2", "error: expected a date"),
    ("month-and-year", "D", "05/2024 10:00", "error: not a whole date: it has no day"),
    ("day-month-name-whole", "D", "5 March 2024", "2024-03-05T00:00:00.000Z"),
    ("excel-serial-number", "D", 45657.6041666667, "2024-12-31T14:30:00.000Z"),
    (
        "excel-serial-int-is-date-only",
        "{column: D, date_only: end_of_day}",
        45657,
        "2024-12-31T23:59:59.999Z",
    ),
    ("excel-serial-text", "{column: D, excel_serial: true}", "45657.5", "2024-12-31T12:00:00.000Z"),
    ("serial-text-is-text", '{column: D, formats: ["%d.%m.%Y"]}', "2019", "error: expected a date"),
    ("excel-serial-off", "{column: D, excel_serial: false}", 45657, "error: a number, not a date"),
    ("excel-serial-out-of-range", "D", 9_999_999, "error: the number 1e+07 is not a plausible"),
    # Year 0 and before: pandas holds them, Python's date cannot show them (the property test)
    ("excel-serial-year-0", "D", -693594, "error: the number -693594 is not a plausible Excel"),
    ("excel-serial-a-year", "D", 2019, "error: the number 2019 is not a plausible Excel date"),
    ("excel-serial-before-year-1", "D", -693594, "error: the number -693594 is not a plausible"),
    ("excel-serial-after-9999", "D", 2958466, "error: the number 2.95847e+06 is not a plausible"),
    ("datetime-cell", "D", datetime(2024, 5, 6, 7, 8, 9), "2024-05-06T07:08:09.000Z"),
    ("timestamp-cell", "D", pd.Timestamp("2024-05-06 07:08"), "2024-05-06T07:08:00.000Z"),
    (
        "aware-datetime-cell",
        "D",
        datetime(2024, 5, 6, 7, 8, tzinfo=timezone(timedelta(hours=2))),
        "2024-05-06T05:08:00.000Z",
    ),
    (
        "date-cell",
        "{column: D, date_only: end_of_day}",
        date(2024, 5, 6),
        "2024-05-06T23:59:59.999Z",
    ),
    (
        "midnight-cell-is-date-only",
        "{column: D, date_only: end_of_day}",
        datetime(2024, 5, 6),
        "2024-05-06T23:59:59.999Z",
    ),
    (
        "start-of-day",
        "{column: D, date_only: start_of_day}",
        "2024-05-06",
        "2024-05-06T00:00:00.000Z",
    ),
    (
        "end-of-day-keeps-times",
        "{column: D, date_only: end_of_day}",
        "2024-05-06 10:00",
        "2024-05-06T10:00:00.000Z",
    ),
    ("too-old", "D", "1850-01-01", "error: the year is outside 1900 to 2199"),
    ("bool-cell", "D", True, "error: expected a date"),
    ("numpy-datetime", "D", np.datetime64("2024-05-06T07:08"), "2024-05-06T07:08:00.000Z"),
    ("empty", "D", None, None),
    (
        "template-date-and-time",
        '{template: "{D} {T}", formats: ["%d/%m/%Y %H:%M"]}',
        "01/02/2024",
        "2024-02-01T09:15:00.000Z",
    ),
]


@pytest.mark.parametrize(
    ("spec", "cell", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_date_directive(run, spec: str, cell: Any, expected: str | None):
    mapped = run(f"dateOccurred: {spec}", {"D": [cell], "T": ["09:15"]})
    got = outcome(mapped, 2, "dateOccurred")
    if expected is not None and expected.startswith("error:"):
        assert got.startswith(expected)
    else:
        assert got == expected
    if got and not got.startswith("error"):
        parse_api_datetime(got)  # the API models accept what the mapping emits


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("15/01/2024 10:00", "2024-01-15T09:00:00.000Z"),  # CET, UTC+1
        ("15/07/2024 10:00", "2024-07-15T08:00:00.000Z"),  # CEST, UTC+2
        ("31/03/2024 02:30", "2024-03-31T01:00:00.000Z"),  # does not exist: shifted forward
        ("27/10/2024 02:30", "2024-10-27T00:30:00.000Z"),  # happens twice: the first one
        ("15/07/2024", "2024-07-14T22:00:00.000Z"),  # date-only: local midnight
    ],
    ids=["winter", "summer", "spring-gap", "autumn-overlap", "date-only"],
)
def test_timezone_for_naive_values(run, cell, expected):
    mapped = run(
        'dateOccurred: {column: D, formats: ["%d/%m/%Y %H:%M", "%d/%m/%Y"]}',
        {"D": [cell]},
        top="timezone: Europe/Paris\n",
    )
    assert outcome(mapped, 2, "dateOccurred") == expected


def test_field_timezone_overrides_the_file_default(run):
    mapped = run(
        "dateOccurred: {column: D, timezone: America/New_York}",
        {"D": ["2024-01-15 10:00"]},
        top="timezone: Europe/Paris\n",
    )
    assert outcome(mapped, 2, "dateOccurred") == "2024-01-15T15:00:00.000Z"


def test_aware_values_ignore_the_timezone(run):
    mapped = run("dateOccurred: D", {"D": ["2024-01-15T10:00:00Z"]}, top="timezone: Asia/Tokyo\n")
    assert outcome(mapped, 2, "dateOccurred") == "2024-01-15T10:00:00.000Z"


RELATIVE = """
dateDiscovered: {column: Found, formats: ["%d/%m/%Y %H:%M"]}
deadline:
  {column: Due, formats: ["%d/%m/%Y"], date_only: end_of_day, relative_to: dateDiscovered,
   offset: 72h}
"""


@pytest.mark.parametrize(
    ("found", "due", "expected"),
    [
        ("01/03/2024 10:00", None, "2024-03-04T10:00:00.000Z"),
        ("01/03/2024 10:00", "02/03/2024", "2024-03-02T23:59:59.999Z"),
        (None, None, None),
        ("garbage", None, "error: expected a date like 31/12/2024 14:30"),
    ],
    ids=["plus-72h", "own-column-wins", "no-base", "bad-base"],
)
def test_relative_deadline(run, found, due, expected):
    mapped = run(RELATIVE, {"Found": [found], "Due": [due]})
    got = outcome(mapped, 2, "deadline")
    assert got == expected if not (expected or "").startswith("error") else got.startswith(expected)


def test_relative_chain_in_any_order(run):
    fields = """
    deadline: {relative_to: dateDiscovered, offset: 1d12h}
    dateDiscovered: {relative_to: dateOccurred, offset: -30m}
    dateOccurred: D
    """
    mapped = run(fields, {"D": ["2024-01-01 12:00"]})
    body = mapped.bodies[2]
    assert body["dateDiscovered"] == "2024-01-01T11:30:00.000Z"
    assert body["deadline"] == "2024-01-02T23:30:00.000Z"


def test_date_error_names_column_and_value(run):
    mapped = run(
        'dateOccurred: {column: Occurred, formats: ["%d/%m/%Y %H:%M"]}',
        {"Occurred": ["31/02/2024 10:00"]},
    )
    (error,) = mapped.errors[2]
    assert (error.field, error.column, error.value) == (
        "dateOccurred",
        "Occurred",
        "31/02/2024 10:00",
    )
    assert error.message == "expected a date like 31/12/2024 14:30"


def test_mixed_cells_in_one_column(run):
    cells = ["2024-01-02", 45294.5, datetime(2024, 1, 4, 8, 0), "nope", None, date(2024, 1, 5)]
    mapped = run("dateOccurred: D", {"D": cells})
    got = [outcome(mapped, row, "dateOccurred") for row in range(2, 8)]
    assert got[:3] == [
        "2024-01-02T00:00:00.000Z",
        "2024-01-03T12:00:00.000Z",
        "2024-01-04T08:00:00.000Z",
    ]
    assert got[3].startswith("error: expected a date")
    assert got[4:] == [None, "2024-01-05T00:00:00.000Z"]


def test_a_nanosecond_value_with_an_offset_spoils_no_other_row(run):
    """One cell with nine fractional digits and a `Z` used to turn every row of the chunk into
    "internal error while mapping dates"; it is read like its naive twin (milliseconds kept)."""
    cells = [
        "2024-01-01T10:00:00Z",
        "2024-01-01T10:00:00.123456789Z",
        "2024-01-01T12:00:00.5+02:00",
    ]
    mapped = run("dateOccurred: D", {"D": cells})
    got = [outcome(mapped, row, "dateOccurred") for row in range(2, 5)]
    assert got == [
        "2024-01-01T10:00:00.000Z",
        "2024-01-01T10:00:00.123Z",
        "2024-01-01T10:00:00.500Z",
    ]


def test_a_well_formed_date_out_of_range_says_so_not_expected_a_date_like(run):
    # "31/12/9999 23:59" is written exactly in the mapping's format: "expected a date like
    # 31/12/2024 14:30" sent the person fixing the sheet looking for a typo in the format.
    cells = ["31/12/9999 23:59", "01/01/1899 00:00", datetime(1850, 1, 1), "01/01/2024 10:00", "x"]
    mapped = run('dateOccurred: {column: D, formats: ["%d/%m/%Y %H:%M"]}', {"D": cells})
    got = [outcome(mapped, row, "dateOccurred") for row in range(2, 7)]
    assert got == [
        "error: the year is outside 1900 to 2199, which the import refuses as a typo",
        "error: the year is outside 1900 to 2199, which the import refuses as a typo",
        "error: the year is outside 1900 to 2199, which the import refuses as a typo",
        "2024-01-01T10:00:00.000Z",
        "error: expected a date like 31/12/2024 14:30",
    ]
    assert kind_of(mapped.errors[2][0].message) == "date out of range"
