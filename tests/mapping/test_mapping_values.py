"""Value directives, one table row per behaviour: source, text transforms, maps, default."""

from __future__ import annotations

import math
from typing import Any

import pytest
from mapping_helpers import outcome

NA = None

# (id, description's directive block, columns, expected `description` per row)
CASES: list[tuple[str, str, dict[str, list[Any]], list[Any]]] = [
    ("column", "A", {"A": ["x", None]}, ["x", NA]),
    ("column-block", "{column: A}", {"A": ["  padded  "]}, ["padded"]),
    ("trim-off", "{column: A, trim: false}", {"A": ["  padded "]}, ["  padded "]),
    ("whitespace-only-is-empty", "{column: A, default: d}", {"A": ["   ", "\t"]}, ["d", "d"]),
    ("constant", "{constant: fixed}", {"A": ["x", None]}, ["fixed", "fixed"]),
    ("constant-number-is-text", "{constant: 42}", {"A": ["x"]}, ["42"]),
    (
        "default-on-empty",
        "{column: A, default: none given}",
        {"A": [None, "", "v"]},
        ["none given", "none given", "v"],
    ),
    (
        "coalesce-first-non-empty",
        "{coalesce: [A, B, C]}",
        {"A": [None, " ", "a"], "B": ["b", None, "b"], "C": ["c", "c", "c"]},
        ["b", "c", "a"],
    ),
    ("coalesce-all-empty", "{coalesce: [A, B]}", {"A": [None], "B": [math.nan]}, [NA]),
    ("template", '{template: "{A} ({B})"}', {"A": ["Title"], "B": ["LEG-1"]}, ["Title (LEG-1)"]),
    (
        "template-required-part-empty",
        '{template: "{A} ({B})"}',
        {"A": [None], "B": ["LEG-1"]},
        [NA],
    ),
    (
        "template-optional-part",
        '{template: "{A} {B?}", collapse_whitespace: true}',
        {"A": ["Title"], "B": [None]},
        ["Title"],
    ),
    ("template-literal-braces", '{template: "{{x}} {A}"}', {"A": ["v"]}, ["{x} v"]),
    ("template-number-cell", '{template: "#{A}"}', {"A": [17.0]}, ["#17"]),
    (
        "collapse-whitespace",
        "{column: A, collapse_whitespace: true}",
        {"A": ["a  b\n\tc  "]},
        ["a b c"],
    ),
    ("case-lower", "{column: A, case: lower}", {"A": ["MiXeD"]}, ["mixed"]),
    ("case-upper", "{column: A, case: upper}", {"A": ["MiXeD"]}, ["MIXED"]),
    ("case-title", "{column: A, case: title}", {"A": ["jane DOE"]}, ["Jane Doe"]),
    ("case-capitalize", "{column: A, case: capitalize}", {"A": ["hUMAN error"]}, ["Human error"]),
    ("number-cell-no-dot-zero", "A", {"A": [1200.0, 3, 0.5]}, ["1200", "3", "0.5"]),
    (
        "number-to-string-text",
        "{column: A, number_to_string: true}",
        {"A": ["1200.0", "3.4E+03", "17", "0.25", "12abc"]},
        ["1200", "3400", "17", "0.25", "12abc"],
    ),
    (
        "number-to-string-exact-and-keeps-leading-zeros",
        "{column: A, number_to_string: true}",
        {"A": ["9007199254740993.0", "0042", "1e+28", "1e999999"]},
        ["9007199254740993", "0042", "10000000000000000000000000000", "1e999999"],
    ),
    ("number-cell-as-excel-shows-it", "A", {"A": [0.1 + 0.2, 1999.99]}, ["0.3", "1999.99"]),
    ("number-text-kept-without-directive", "A", {"A": ["1200.0"]}, ["1200.0"]),
    ("bool-cell", "A", {"A": [True, False]}, ["true", "false"]),
    ("extract-group", r"{column: A, extract: 'INC-(\d+)'}", {"A": ["see INC-42 now"]}, ["42"]),
    (
        "extract-whole-match",
        r"{column: A, extract: 'CRM-\d+'}",
        {"A": ["case #CRM-7 (x)"]},
        ["CRM-7"],
    ),
    (
        "extract-no-match-empty",
        r"{column: A, extract: 'CRM-\d+', default: none}",
        {"A": ["zzz"]},
        ["none"],
    ),
    (
        "extract-inline-flags",
        r"{column: A, extract: '(?i)cause:\s*(.+)'}",
        {"A": ["CAUSE: weak password"]},
        ["weak password"],
    ),
    (
        "extract-otherwise-keep",
        r"{column: A, extract: {pattern: 'x(\d)', otherwise: keep}}",
        {"A": ["x1", "plain"]},
        ["1", "plain"],
    ),
    (
        "extract-otherwise-error",
        r"{column: A, extract: {pattern: 'x(\d)', otherwise: error}}",
        {"A": ["x1", "plain"]},
        ["1", "error: expected text matching /x(\\d)/"],
    ),
    ("map-exact", "{column: A, map: {a: Alpha}}", {"A": ["a", "A", "b"]}, ["Alpha", "A", "b"]),
    ("map-ignore-case", "{column: A, map: {a: Alpha}, ignore_case: true}", {"A": ["A"]}, ["Alpha"]),
    ("map-otherwise-empty", "{column: A, map: {a: Alpha}, otherwise: empty}", {"A": ["b"]}, [NA]),
    (
        "map-otherwise-value",
        "{column: A, map: {a: Alpha}, otherwise: {value: Other}}",
        {"A": ["b", None]},
        ["Other", NA],
    ),
    (
        "map-otherwise-error",
        "{column: A, map: {Lost laptop: Lost or Stolen Device}, otherwise: error}",
        {"A": ["Lost laptp"]},
        [
            "error: expected one of: Lost laptop, Lost or Stolen Device "
            "(did you mean 'Lost laptop'?)"
        ],
    ),
    (
        "map-target-accepted",
        "{column: A, map: {phish: Phishing}, otherwise: error, ignore_case: true}",
        {"A": ["PHISHING"]},
        ["Phishing"],
    ),
    (
        "map-to-null-is-empty",
        "{column: A, map: {'N/A': null}, default: none}",
        {"A": ["N/A"]},
        ["none"],
    ),
    (
        "map-yaml-1.2-keys",
        "{column: A, map: {Y: YES, N: NO, on: ON}}",
        {"A": ["Y", "N", "on"]},
        ["YES", "NO", "ON"],
    ),
    ("map-number-key", "{column: A, map: {1: one}}", {"A": [1.0, "1"]}, ["one", "one"]),
    ("map-bool-key", "{column: A, map: {true: yes-it-is}}", {"A": [True]}, ["yes-it-is"]),
    (
        "map-after-case",
        "{column: A, case: upper, map: {P1: Critical}}",
        {"A": ["p1"]},
        ["Critical"],
    ),
]


@pytest.mark.parametrize(
    ("spec", "columns", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_value_directive(run, spec: str, columns: dict[str, list[Any]], expected: list[Any]):
    mapped = run(f"description: {spec}", columns)
    got = [outcome(mapped, row, "description") for row in range(2, 2 + len(expected))]
    assert got == expected


def test_errors_name_field_column_and_value(run):
    mapped = run(
        "incidentTypeName: {column: Category, map: {Phish: Phishing}, otherwise: error}",
        {"Category": ["Alien"]},
    )
    (error,) = mapped.errors[2]
    assert (error.field, error.column, error.value) == ("incidentTypeName", "Category", "Alien")
    assert error.describe().startswith("column 'Category' (incidentTypeName) value 'Alien'")


def test_coalesce_error_names_all_columns(run):
    mapped = run(
        "incidentTypeName: {coalesce: [A, B], map: {x: X}, otherwise: error}",
        {"A": [None], "B": ["y"]},
    )
    assert mapped.errors[2][0].column == "A / B"


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("yes", True),
        ("No", False),
        ("1", True),
        ("0", False),
        (True, True),
        (False, False),
        ("maybe", "error: expected true or false (yes/no)"),
        (None, None),
    ],
    ids=["yes", "No", "1", "0", "bool-true", "bool-false", "maybe", "empty"],
)
def test_auto_assess_is_a_boolean(run, cell, expected):
    mapped = run("autoAssessJurisdictions: A", {"A": [cell]})
    assert outcome(mapped, 2, "autoAssessJurisdictions") == expected


def test_columns_match_headers_loosely(run):
    mapped = run("description: Legacy  ID", {" legacy id ": ["L-1"]})
    assert mapped.bodies[2]["description"] == "L-1"
