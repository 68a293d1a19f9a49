"""Dates in templates: `{Column:%Y-%m-%d}` writes a date cell in a chosen format, or refuses."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mapping_helpers import chunk, mapping_text, outcome

from importer.errors import MappingError
from importer.mapping import Lookups, apply_mapping, mapping_from_text

NAME = 'name: {template: "%s"}\n'
SUBMITTED_MDY = 'dateOccurred: {column: Submitted, formats: ["%m/%d/%Y"]}\n'
SUBMITTED_DMY = 'dateOccurred: {column: Submitted, formats: ["%d/%m/%Y"]}\n'

# (id, template, extra field lines, cells of Submitted, expected name per row)
CASES: list[tuple[str, str, str, list[Any], list[Any]]] = [
    (
        "text-read-as-the-date-field-reads-it",
        "{Clinic} — {Submitted:%Y-%m-%d}",
        SUBMITTED_MDY,
        ["02/19/2021"],
        ["Acme Clinic — 2021-02-19"],
    ),
    (
        "day-first-field-reads-day-first",
        "{Clinic} — {Submitted:%Y-%m-%d}",
        SUBMITTED_DMY,
        ["03/04/2021"],
        ["Acme Clinic — 2021-04-03"],
    ),
    (
        "workbook-date-cells-need-no-field",
        "{Clinic} ({Submitted:%d %b %Y})",
        "",
        [datetime(2021, 2, 19, 0, 0), date(2020, 12, 1)],
        ["Acme Clinic (19 Feb 2021)", "Acme Clinic (01 Dec 2020)"],
    ),
    (
        "iso-text-needs-no-field",
        "{Clinic} {Submitted:%Y}",
        "",
        ["2021-02-19"],
        ["Acme Clinic 2021"],
    ),
    (
        "the-day-written-not-shifted-by-a-zone",
        "{Submitted:%Y-%m-%d}",
        'dateOccurred: {column: Submitted, formats: ["%m/%d/%Y"], timezone: Pacific/Auckland}\n',
        ["02/19/2021"],
        ["2021-02-19"],
    ),
    (
        "the-time-written-with-an-offset-is-the-time-shown",
        "{Submitted:%Y-%m-%d %H:%M}",
        "",
        ["2021-02-19T23:30:00+05:00", "2021-02-19T02:00:00+05:00", "2021-02-19T23:30:00-08:00"],
        ["2021-02-19 23:30", "2021-02-19 02:00", "2021-02-19 23:30"],
    ),
    (
        "an-offset-read-by-a-fields-format-is-kept-too",
        "{Submitted:%d.%m.%Y %H:%M}",
        'dateOccurred: {column: Submitted, formats: ["%d/%m/%Y %H:%M %z"]}\n',
        ["19/02/2021 01:15 +0300"],
        ["19.02.2021 01:15"],
    ),
    (
        "optional-date-may-be-empty",
        "{Clinic} {Submitted?:%Y-%m-%d}",
        SUBMITTED_MDY,
        [None],
        ["Acme Clinic"],
    ),
    (
        "required-date-empty-empties-the-value",
        "{Clinic} {Submitted:%Y-%m-%d}",
        SUBMITTED_MDY + "description: Clinic\n",
        [None],
        [None],  # the required-field check then refuses the row
    ),
    (
        "literal-braces-and-plain-placeholders-stay",
        "{{{Clinic}}} {Submitted:%Y}",
        SUBMITTED_MDY,
        ["02/19/2021"],
        ["{Acme Clinic} 2021"],
    ),
]


@pytest.mark.parametrize(
    ("template", "extra", "cells", "expected"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_template_dates(run, template, extra, cells, expected):
    fields = NAME % template + extra
    mapped = run(fields, {"Clinic": ["Acme Clinic"] * len(cells), "Submitted": cells})

    got = [outcome(mapped, row, "name") for row in range(2, 2 + len(cells))]

    assert got == expected


@pytest.mark.parametrize(
    ("cell", "extra"),
    [("not a date", SUBMITTED_MDY), ("02/19/2021", ""), ("45000", "")],
    ids=["not-a-date", "ambiguous-text-without-a-date-field", "number-is-not-guessed"],
)
def test_a_cell_that_is_not_a_date_is_a_located_row_error(run, cell, extra):
    mapped = run(
        NAME % "{Clinic} — {Submitted:%Y-%m-%d}" + extra, {"Clinic": ["A"], "Submitted": [cell]}
    )

    errors = [e for e in mapped.errors[2] if e.field == "name"]
    assert errors, mapped.errors
    assert errors[0].column == "Submitted" and errors[0].value == cell
    assert "{Submitted:%Y-%m-%d} needs a date like" in errors[0].message


def test_the_error_quotes_the_placeholder_as_written(run):
    mapped = run(NAME % "{Clinic} {Submitted?:%Y}", {"Clinic": ["A"], "Submitted": ["soon"]})

    (error,) = [e for e in mapped.errors[2] if e.field == "name"]
    assert "{Submitted?:%Y} needs a date like" in error.message


def test_a_template_date_format_strftime_cannot_use_is_a_load_error(load):
    with pytest.raises(MappingError, match="not a date format"):
        load(NAME % "{Submitted:%Y-%Q}")


def test_the_column_of_a_formatted_placeholder_is_a_mapping_column(load):
    mapping = load(NAME % "{Clinic} {Submitted?:%Y-%m-%d}")

    assert mapping.columns == ["Clinic", "Submitted"]


@settings(max_examples=60, deadline=None)
@given(
    days=st.lists(st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31)), max_size=8),
    day_first=st.booleans(),
)
def test_any_date_written_in_the_fields_format_comes_back_as_that_day(days, day_first):
    """Round trip: a day written as the date field reads it shows as that same day."""
    written = "%d/%m/%Y" if day_first else "%m/%d/%Y"
    fields = NAME % "{Submitted:%Y-%m-%d}" + (
        f'dateOccurred: {{column: Submitted, formats: ["{written}"]}}\n'
    )
    mapping = mapping_from_text(mapping_text(fields), Path("prop.yaml"))
    mapped = apply_mapping(
        mapping, chunk({"Submitted": [d.strftime(written) for d in days]}), Lookups()
    )

    got = [outcome(mapped, row, "name") for row in range(2, 2 + len(days))]
    assert got == [d.isoformat() for d in days]
