"""`when_present`: a nested block applies only to rows whose named cell has a value."""

from __future__ import annotations

import pytest
from mapping_helpers import ALICE, outcome

from importer.errors import MappingError


def test_an_optional_us_jurisdiction_applies_only_where_the_state_is_given(run):
    fields = """
    name: Title
    jurisdictions: {country: {constant: USA}, state: State, when_present: State}
    """
    mapped = run(fields, {"Title": ["a", "b", "c"], "State": ["CA", None, "  "]})

    assert outcome(mapped, 2, "jurisdictions") == [
        {"countryCode": "USA", "stateProvinceCode": "CA"}
    ]
    assert outcome(mapped, 3, "jurisdictions") is None  # no error, no jurisdiction
    assert outcome(mapped, 4, "jurisdictions") is None


def test_without_when_present_the_same_block_refuses_rows_without_a_state(run):
    fields = """
    name: Title
    jurisdictions: {country: {constant: USA}, state: State}
    """
    mapped = run(fields, {"Title": ["a", "b"], "State": ["CA", None]})

    assert outcome(mapped, 2, "jurisdictions") == [
        {"countryCode": "USA", "stateProvinceCode": "CA"}
    ]
    assert "a state or province is required for USA" in outcome(mapped, 3, "jurisdictions")


def test_empty_country_and_state_cells_give_no_jurisdiction_and_no_error(run):
    fields = """
    name: Title
    jurisdictions:
      - {country: Country, state: State, when_present: Country}
      - {country: Second Country}
    """
    columns = {
        "Title": ["a", "b", "c"],
        "Country": ["France", None, "United States"],
        "State": [None, None, "Texas"],
        "Second Country": [None, "Germany", None],
    }
    mapped = run(fields, columns)

    assert outcome(mapped, 2, "jurisdictions") == [{"countryCode": "FRA"}]
    assert outcome(mapped, 3, "jurisdictions") == [{"countryCode": "DEU"}]
    assert outcome(mapped, 4, "jurisdictions") == [
        {"countryCode": "USA", "stateProvinceCode": "TX"}
    ]


def test_a_bad_value_on_an_applying_row_is_still_a_located_error(run):
    fields = """
    name: Title
    jurisdictions: {country: {constant: USA}, state: State, when_present: State}
    """
    mapped = run(fields, {"Title": ["a"], "State": ["Atlantis"]})

    (error,) = mapped.errors[2]
    assert error.column == "State" and error.value == "Atlantis"


def test_an_assignee_default_applies_only_where_the_condition_holds(run):
    fields = f"""
    name: Title
    incidentAssigneeRequests:
      - {{column: Owner, default: "{ALICE}", when_present: Escalated}}
    """
    mapped = run(fields, {"Title": ["a", "b"], "Owner": [None, None], "Escalated": ["yes", None]})

    assert outcome(mapped, 2, "incidentAssigneeRequests") == [{"assigneeId": ALICE, "type": "USER"}]
    assert outcome(mapped, 3, "incidentAssigneeRequests") is None


def test_attributes_and_inventories_take_when_present_too(run):
    fields = """
    name: Title
    attributeValues:
      Legacy Reference: {constant: migrated, when_present: Ref}
    linkedInventories:
      assets: {column: Asset, when_present: Asset Linked}
    """
    columns = {
        "Title": ["a", "b"],
        "Ref": ["R-1", None],
        "Asset": ["A-1", "A-2"],
        "Asset Linked": [None, "x"],
    }
    mapped = run(fields, columns)

    assert outcome(mapped, 2, "attributeValues") == {"Legacy Reference": [{"value": "migrated"}]}
    assert outcome(mapped, 3, "attributeValues") is None
    assert outcome(mapped, 2, "linkedInventories") is None
    assert outcome(mapped, 3, "linkedInventories") == {"assets": {"externalIds": ["A-2"]}}


def test_the_when_present_column_must_be_in_the_sheet(load):
    mapping = load("name: Title\njurisdictions: {country: Country, when_present: Has Country}\n")

    assert "Has Country" in mapping.columns
    with pytest.raises(MappingError, match="'Has Country' is not in the sheet"):
        mapping.resolve_columns(["Title", "Country"])
