"""Problems: kinds, warnings of valid rows, header drift, thresholds, acknowledged keys."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from importer.errors import ConfigError
from importer.rows import RowError, RowResult, RowStatus, SourceRef
from importer.run import Acknowledged, InvalidLimit, read_acknowledged
from importer.validate import (
    NOT_CHECKED_ID,
    ProblemTally,
    RowChecks,
    Severity,
    changed_fields,
    header_drift,
    kind_of,
    problems_of_result,
    problems_of_results,
)

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
REF = SourceRef("log.csv", None, 7)
COLUMNS = {
    "dateOccurred": ["Occurred"],
    "dateDiscovered": ["Found"],
    "deadline": ["Due"],
    "orgGroupId": ["Org"],
    "incidentAssigneeRequests": ["Handler"],
}


def _checks() -> RowChecks:
    return RowChecks(lambda field: COLUMNS.get(field, []), now=NOW)


def _body(**fields: object) -> dict[str, object]:
    return {"name": "x", "incidentTypeName": "Phishing", "orgGroupId": "a", **fields}


@pytest.mark.parametrize(
    ("message", "kind"),
    [
        ("required, but empty", "required"),
        ("expected a date like 31/12/2024 14:30", "not a date"),
        ("expected one of: Phishing, Data Breach (did you mean 'Phishing'?)", "not in the list"),
        ("expected a known organization name, externalId or path", "unknown organization"),
        ("same row key as log.csv row 2 in this run: k", "duplicate key"),
        ("something nobody planned for", "invalid value"),
    ],
    ids=["required", "date", "list", "organization", "duplicate", "fallback"],
)
def test_kind_of_names_what_is_wrong(message, kind):
    assert kind_of(message) == kind


def test_an_invalid_row_gives_one_error_per_cell_with_the_suggestion():
    result = RowResult(
        REF,
        RowStatus.INVALID,
        errors=[
            RowError("expected one of: A, B (did you mean 'A'?)", "incidentTypeName", "Type", "a!"),
            RowError("required, but empty", "name", "Title", ""),
        ],
        key="k",
    )
    first, second = problems_of_result(result)
    assert (first.severity, first.kind, first.column, first.value) == (
        Severity.ERROR,
        "not in the list",
        "Type",
        "a!",
    )
    assert first.suggestion == "use 'A'"
    assert (second.kind, second.field, second.key) == ("required", "name", "k")
    assert second.suggestion == "fill in the cell"  # no "did you mean": the kind's fix
    assert problems_of_result(RowResult(REF, RowStatus.WOULD_CREATE)) == []


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"dateOccurred": "2027-01-01T00:00:00.000Z"}, {("date in the future", "dateOccurred")}),
        (
            {"dateOccurred": "2024-05-02T00:00:00.000Z", "deadline": "2024-05-01T00:00:00.000Z"},
            {("deadline before occurrence", "deadline")},
        ),
        (
            {"dateOccurred": "2024-05-02T00:00:00Z", "dateDiscovered": "2024-02-05T00:00:00Z"},
            {("discovery before occurrence", "dateDiscovered")},
        ),
        (
            {
                "dateOccurred": "2024-05-02T00:00:00Z",
                "dateDiscovered": "2024-05-03T00:00:00Z",
                "deadline": "2027-05-03T00:00:00Z",
            },
            set(),
        ),
        ({"orgGroupId": NOT_CHECKED_ID}, {("lookup not checked", "orgGroupId")}),
    ],
    ids=["future", "deadline-before", "discovery-before", "all-fine", "not-checked"],
)
def test_warnings_of_a_valid_row(fields, expected):
    found = _checks().warnings(REF, "k", _body(**fields), lambda column: f"cell {column}")
    assert {(p.kind, p.field) for p in found} == expected
    assert all(p.severity is Severity.WARNING for p in found)
    for problem in found:
        assert problem.value == f"cell {COLUMNS[problem.field or ''][0]}"


def test_an_unchecked_assignee_is_located_on_its_column():
    body = _body(incidentAssigneeRequests=[{"assigneeId": NOT_CHECKED_ID, "type": "USER"}])
    (problem,) = _checks().warnings(REF, "k", body, lambda column: "bob@example.com")
    assert (problem.field, problem.column) == ("incidentAssigneeRequests.0.assigneeId", "Handler")


def test_two_rows_that_look_alike_under_different_keys_warn_on_the_second():
    checks = _checks()
    assert checks.warnings(REF, "k1", _body(), lambda c: None) == []
    (problem,) = checks.warnings(SourceRef("log.csv", None, 9), "k2", _body(), lambda c: None)
    assert problem.kind == "looks like another row"
    assert "log.csv row 7" in problem.message
    assert (
        checks.warnings(SourceRef("log.csv", None, 10), "k3", _body(name="y"), lambda c: None) == []
    )


def test_tally_groups_list_positions_and_orders_errors_first():
    tally = ProblemTally()
    checks = _checks()
    body = _body(
        incidentAssigneeRequests=[{"assigneeId": NOT_CHECKED_ID}, {"assigneeId": NOT_CHECKED_ID}]
    )
    tally.add(checks.warnings(REF, "k", body, lambda c: None))
    tally.add(
        problems_of_result(
            RowResult(REF, RowStatus.INVALID, errors=[RowError("required, but empty", "name")])
        )
    )
    common = tally.most_common()
    assert [(c["severity"], c["kind"], c["field"], c["count"]) for c in common] == [
        ("error", "required", "name", 1),
        ("warning", "lookup not checked", "incidentAssigneeRequests.assigneeId", 2),
    ]
    assert common[0]["example"] == "log.csv row 7: required, but empty"


def test_header_drift_lists_missing_and_unexpected_columns_with_closest_matches():
    text = header_drift(["Ref", "Title", "Occurred"], ["Ref", "Titel", "Occured", "Notes"])
    assert text == (
        "missing columns 'Title' (closest: 'Titel'), 'Occurred' (closest: 'Occured'); "
        "unexpected columns: 'Titel', 'Occured', 'Notes'"
    )
    assert header_drift(["Ref", "Title"], ["ref", " Title ", "Notes"]) is None


@pytest.mark.parametrize(
    ("text", "invalid", "total", "exceeded"),
    [
        ("5", 5, 100, False),
        ("5", 6, 100, True),
        ("2%", 2, 100, False),
        ("2%", 3, 100, True),
        ("0", 1, 1, True),
        ("0%", 0, 0, False),
        ("2.5%", 3, 100, True),
    ],
)
def test_invalid_limit(text, invalid, total, exceeded):
    assert InvalidLimit.parse(text).exceeded(invalid, total) is exceeded


@pytest.mark.parametrize(
    "text", ["many", "-1", "150%", "2.5", "nan%", "NaN%", "1_000", "\u0663", "1e1%"]
)
def test_invalid_limit_refuses_what_is_not_a_count(text):
    with pytest.raises(ConfigError, match="--max-invalid"):
        InvalidLimit.parse(text)


def test_acknowledged_keys_from_a_plain_list_or_a_key_column(tmp_path):
    plain = tmp_path / "known.txt"
    plain.write_text("# known bad\nlog:A-1\n\n  log:A-2  # since March\n", encoding="utf-8")
    assert read_acknowledged(plain).rows == {"log:A-1", "log:A-2"}
    hashed = tmp_path / "hashed.txt"  # a '#' inside a key is the key's, not a comment
    hashed.write_text("log:INC#1\nlog:#2 # note\n#log:C-3\n\tlog:D#4\t#x\n", encoding="utf-8")
    assert read_acknowledged(hashed).rows == {"log:INC#1", "log:#2", "log:D#4"}
    table = tmp_path / "results.csv"
    table.write_text("file,row,key,message\nx.csv,2,log:B-1,bad\nx.csv,3,,bad\n", encoding="utf-8")
    assert read_acknowledged(table).rows == {"log:B-1"}
    assert read_acknowledged(None) == Acknowledged()
    with pytest.raises(ConfigError, match="cannot read"):
        read_acknowledged(tmp_path / "absent.txt")


def test_acknowledged_problems_from_a_problems_csv_cover_only_those_problems(tmp_path):
    table = tmp_path / "problems.csv"
    table.write_text(
        "file,sheet,row,key,column,field,severity,kind,value,message,suggestion\n"
        'x.csv,,2,log:B-1,Title,name,error,required,,"required, but empty",\n',
        encoding="utf-8",
    )
    known = read_acknowledged(table)
    title = RowError("required, but empty", "name", "Title")
    date = RowError("expected a date like 2024-12-31", "dateOccurred", "Occurred", "x")
    assert known.covers(RowResult(REF, RowStatus.INVALID, errors=[title], key="log:B-1"))
    assert not known.covers(RowResult(REF, RowStatus.INVALID, errors=[title, date], key="log:B-1"))
    assert not known.covers(RowResult(REF, RowStatus.INVALID, errors=[title], key="log:B-2"))


def test_changed_fields_says_old_and_new_per_field():
    old = {"name": "A", "deadline": None, "jurisdictions": [{"countryCode": "FR"}]}
    new = {
        "name": "B",
        "deadline": "2024-01-02T00:00:00Z",
        "jurisdictions": [{"countryCode": "FR"}],
    }
    assert changed_fields(old, new) == [
        "deadline: (empty) → '2024-01-02T00:00:00Z'",
        "name: 'A' → 'B'",
    ]


@given(
    st.lists(
        st.builds(
            RowResult,
            st.just(REF),
            st.sampled_from(list(RowStatus)),
            errors=st.lists(st.builds(RowError, st.sampled_from(["x", "required, but empty"]))),
            note=st.sampled_from(["", "a note"]),
            key=st.sampled_from([None, "k"]),
        ),
        max_size=6,
    )
)
def test_the_problems_of_many_results_are_each_ones_in_turn(results):
    assert problems_of_results(results) == [p for r in results for p in problems_of_result(r)]
