"""Row filters, row keys, and the chunk contract: each row ends in exactly one outcome."""

from __future__ import annotations

from typing import Any

import pytest
from mapping_helpers import chunk, outcome

from importer.errors import MappingError
from importer.mapping import Lookups, apply_mapping

# (id, one skip_rows rule, Status cells, expected outcome per row: True = kept, or skip reason)
FILTERS: list[tuple[str, str, list[Any], list[Any]]] = [
    (
        "equals-list",
        "{column: Status, equals: [Draft, Test]}",
        ["Draft", "Open", "draft", None],
        ["skipped: skip_rows: 'Status' is 'Draft'", True, True, True],
    ),
    (
        "equals-ignore-case",
        "{column: Status, equals: draft, ignore_case: true}",
        ["DRAFT", "Open"],
        ["skipped: skip_rows: 'Status' is 'DRAFT'", True],
    ),
    (
        "equals-number-cell",
        "{column: Status, equals: 0}",
        [0.0, 1],
        ["skipped: skip_rows: 'Status' is '0'", True],
    ),
    (
        "not-equals",
        "{column: Status, not_equals: [Open, Closed]}",
        ["Open", "Gone", None],
        [
            True,
            "skipped: skip_rows: 'Status' is 'Gone', not one of Open, Closed",
            "skipped: skip_rows: 'Status' is '', not one of Open, Closed",
        ],
    ),
    (
        "matches",
        r"{column: Status, matches: '^\[DRAFT\]'}",
        ["[DRAFT] x", "x [DRAFT]"],
        ["skipped: skip_rows: 'Status' '[DRAFT] x' matches /^\\[DRAFT\\]/", True],
    ),
    (
        "empty",
        "{column: Status, empty: true}",
        [None, "  ", "x"],
        ["skipped: skip_rows: 'Status' is empty", "skipped: skip_rows: 'Status' is empty", True],
    ),
    (
        "not-empty",
        "{column: Status, empty: false}",
        [None, "x"],
        [True, "skipped: skip_rows: 'Status' is not empty"],
    ),
    (
        "own-reason",
        "{column: Status, equals: Test, reason: test data}",
        ["Test"],
        ["skipped: skip_rows: test data"],
    ),
]


@pytest.mark.parametrize(
    ("rule", "cells", "expected"), [f[1:] for f in FILTERS], ids=[f[0] for f in FILTERS]
)
def test_skip_rows(run, rule: str, cells: list[Any], expected: list[Any]):
    mapped = run(
        "name: Title",
        {"Status": cells, "Title": ["t"] * len(cells)},
        top=f"skip_rows:\n  - {rule}\n",
    )
    got = [outcome(mapped, row, "name") for row in range(2, 2 + len(cells))]
    assert got == [("t" if e is True else e) for e in expected]


def test_first_matching_filter_gives_the_reason(run):
    top = (
        "skip_rows:\n  - {column: A, equals: x, reason: first}\n"
        "  - {column: B, equals: y, reason: second}\n"
    )
    mapped = run("name: A", {"A": ["x", "z"], "B": ["y", "y"]}, top=top)
    assert mapped.skipped == {2: "skip_rows: first", 3: "skip_rows: second"}


def test_skipped_rows_are_not_mapped(run):
    mapped = run(
        "incidentTypeName: {column: T, map: {a: A}, otherwise: error}",
        {"S": ["Test"], "T": ["unknown"]},
        top="skip_rows: [{column: S, equals: Test}]\n",
    )
    assert mapped.errors == {} and 2 in mapped.skipped


def test_blank_rows_are_skipped(load):
    mapping = load("name: A")
    frame = chunk({"A": [None, "  ", "x"], "#": [None, None, "r"]})
    mapped = apply_mapping(mapping, frame, Lookups())
    assert mapped.skipped == {2: "blank row", 3: "blank row"}
    assert list(mapped.bodies) == [4]


KEYS = [
    ("single", "[Legacy ID]", {"Legacy ID": [" LEG-0042 "]}, "LEG-0042"),
    ("number-cell", "[Legacy ID]", {"Legacy ID": [17.0]}, "17"),
    ("number-text-stays-text", "[Legacy ID]", {"Legacy ID": ["17.0"]}, "17.0"),
    ("leading-zeros", "[Legacy ID]", {"Legacy ID": ["0042"]}, "0042"),
    ("beyond-2-53", "[Legacy ID]", {"Legacy ID": ["9007199254740993"]}, "9007199254740993"),
    ("composite", "[Site, Ticket]", {"Site": ["A"], "Ticket": [17]}, "A|17"),
    ("composite-part-empty", "[Site, Ticket]", {"Site": [None], "Ticket": ["17"]}, "|17"),
    ("inner-spaces", "[Legacy ID]", {"Legacy ID": ["LEG  42"]}, "LEG 42"),
]


@pytest.mark.parametrize(
    ("key", "cells", "expected"), [k[1:] for k in KEYS], ids=[k[0] for k in KEYS]
)
def test_row_keys(run, key: str, cells: dict[str, list[Any]], expected: str):
    mapped = run("name: {constant: n}", cells, top=f"key: {key}\n")
    assert mapped.keys == {2: expected}
    assert 2 in mapped.bodies


def test_empty_key_is_a_row_error(run):
    mapped = run("name: {constant: n}", {"Legacy ID": [None, "L-2"]}, top="key: Legacy ID\n")
    (error,) = mapped.errors[2]
    assert (error.field, error.column) == ("key", "Legacy ID")
    assert "row key is empty" in error.message
    assert mapped.keys == {3: "L-2"}


def test_skipped_rows_keep_their_key(run):
    mapped = run(
        "name: {constant: n}",
        {"Ref": ["R1"], "S": ["x"]},
        top="key: Ref\nskip_rows: [{column: S, equals: x}]\n",
    )
    assert mapped.keys == {2: "R1"} and 2 in mapped.skipped


def test_missing_column_is_a_mapping_error(load):
    mapping = load("name: Titel")
    with pytest.raises(MappingError, match="column 'Titel' is not in the sheet") as caught:
        apply_mapping(mapping, chunk({"Title": ["x"]}), Lookups())
    assert caught.value.hint == "did you mean 'Title'?"


def test_every_row_ends_in_exactly_one_outcome(run):
    columns = {
        "Ref": ["1", "2", None, "4", "5"],
        "Status": ["ok", "Draft", "ok", "ok", "ok"],
        "Type": ["a", "a", "a", "zzz", "a"],
    }
    mapped = run(
        "name: Ref\nincidentTypeName: {column: Type, map: {a: A}, otherwise: error}",
        columns,
        top="key: Ref\nskip_rows: [{column: Status, equals: Draft}]\n",
    )
    outcomes = [set(mapped.bodies), set(mapped.errors), set(mapped.skipped)]
    assert set().union(*outcomes) == {2, 3, 4, 5, 6}
    assert sum(len(o) for o in outcomes) == 5
    assert (set(mapped.bodies), set(mapped.errors), set(mapped.skipped)) == ({2, 6}, {4, 5}, {3})


def test_body_fields_follow_the_api_order(run):
    mapped = run(
        "description: {constant: d}\nname: {constant: n}\nincidentTypeName: {constant: t}",
        {"A": ["x"]},
    )
    assert list(mapped.bodies[2]) == ["name", "description", "incidentTypeName"]
