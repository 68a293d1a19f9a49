"""Nested fields and lookups: organizations, assignees, jurisdictions, attributes, inventories."""

from __future__ import annotations

from typing import Any

import pytest
from mapping_helpers import ALICE, FRANCE, GERMANY, HIGH, PRIVACY_OFFICE, outcome

from importer.mapping import Lookups, OrgRecord
from importer.mapping.lookups import OrgIndex

UNITED_KINGDOM = "b4628c3c-219a-456f-aa37-7431a4d36968"
BOB = "1ef7e00d-982a-4107-9e10-592a99ef9679"

ORG_CASES = [
    ("name", "France", FRANCE),
    ("name-any-case", "  germany ", GERMANY),
    ("external-id", "org-uk", UNITED_KINGDOM),
    ("full-path", "Global/EMEA/France", FRANCE),
    ("path-with-spaces", "Global / EMEA / United Kingdom", UNITED_KINGDOM),
    ("path-suffix", "EMEA/France", FRANCE),
    ("id", FRANCE.upper(), FRANCE),
    (
        "typo",
        "Global/EMEA/Frnace",
        "error: expected a known organization name, externalId or path; did you mean "
        "'Global/EMEA/France'",
    ),
    ("unknown", "Narnia", "error: expected a known organization name, externalId or path"),
]


@pytest.mark.parametrize(
    ("cell", "expected"), [c[1:] for c in ORG_CASES], ids=[c[0] for c in ORG_CASES]
)
def test_organization_lookup(run, cell: str, expected: str):
    mapped = run("orgGroupId: {column: Unit, lookup: organization}", {"Unit": [cell]})
    assert str(outcome(mapped, 2, "orgGroupId")).startswith(expected)


def test_organization_default_is_looked_up_too(run):
    mapped = run(
        "orgGroupId: {column: Unit, lookup: organization, default: France}", {"Unit": [None]}
    )
    assert mapped.bodies[2]["orgGroupId"] == FRANCE


def test_ambiguous_organization_name_asks_for_the_path():
    index = OrgIndex(
        [
            OrgRecord("11111111-1111-1111-1111-111111111111", None, "Sales", "Global/EMEA/Sales"),
            OrgRecord("22222222-2222-2222-2222-222222222222", None, "Sales", "Global/APAC/Sales"),
        ]
    )
    ident, problem = index.resolve("sales")
    assert ident is None
    assert problem == (
        "organization name 'sales' is ambiguous; write its path: "
        "Global/APAC/Sales, Global/EMEA/Sales"
    )
    assert index.resolve("APAC/Sales") == ("22222222-2222-2222-2222-222222222222", None)


ASSIGNEES = """
incidentAssigneeRequests:
  - {column: Owner, split: [";", ","], lookup: user}
  - {column: Team, type: GROUP, lookup: group, map: {secops: Security Operations},
     ignore_case: true}
  - {column: Ids, split: ";"}
"""
USER_A = {"assigneeId": ALICE, "type": "USER", "assigneeEmail": "alice.martin@example.com"}
USER_B = {"assigneeId": BOB, "type": "USER", "assigneeEmail": "bob.schneider@example.com"}
GROUP_P = {"assigneeId": PRIVACY_OFFICE, "type": "GROUP"}
GROUP_S = {"assigneeId": "77e275a0-d937-47fe-a7ad-e1fff75a8735", "type": "GROUP"}

ASSIGNEE_CASES: list[tuple[str, dict[str, Any], Any]] = [
    ("one-user", {"Owner": "alice.martin@example.com"}, [USER_A]),
    (
        "split-and-case",
        {"Owner": "Alice.Martin@Example.com; bob.schneider@example.com"},
        [USER_A, USER_B],
    ),
    ("name-and-address", {"Owner": "Alice Martin <alice.martin@example.com>"}, [USER_A]),
    (
        "duplicates-dropped",
        {"Owner": "alice.martin@example.com,alice.martin@example.com"},
        [USER_A],
    ),
    ("group-by-name", {"Team": "privacy office"}, [GROUP_P]),
    ("group-via-map", {"Team": "SecOps"}, [GROUP_S]),
    (
        "user-and-group",
        {"Owner": "alice.martin@example.com", "Team": "Privacy Office"},
        [USER_A, GROUP_P],
    ),
    ("id-column", {"Ids": ALICE}, [{"assigneeId": ALICE, "type": "USER"}]),
    ("unknown-user", {"Owner": "zoe@example.com"}, "error: expected a known user e-mail"),
    ("not-an-email", {"Owner": "Alice"}, "error: expected an e-mail address"),
    ("unknown-group", {"Team": "Legal"}, "error: expected a known group name"),
    ("bad-id", {"Ids": "12345"}, "error: expected an assignee id (a UUID)"),
    ("nothing", {}, None),
]


@pytest.mark.parametrize(
    ("cells", "expected"), [c[1:] for c in ASSIGNEE_CASES], ids=[c[0] for c in ASSIGNEE_CASES]
)
def test_assignees(run, cells: dict[str, Any], expected: Any):
    columns = {name: [cells.get(name)] for name in ("Owner", "Team", "Ids")}
    got = outcome(run(ASSIGNEES, columns), 2, "incidentAssigneeRequests")
    if isinstance(expected, str):
        assert got.startswith(expected)
    else:
        assert got == expected


PLACES = """
jurisdictions:
  - {country: Country, state: State}
  - country: {column: More, split: ","}
"""
PLACE_CASES: list[tuple[str, dict[str, Any], Any]] = [
    ("name", {"Country": "France"}, [{"countryCode": "FRA"}]),
    ("alpha-2", {"Country": "de"}, [{"countryCode": "DEU"}]),
    ("alpha-3", {"Country": "GBR"}, [{"countryCode": "GBR"}]),
    (
        "united-states-name",
        {"Country": "United States", "State": "California"},
        [{"countryCode": "USA", "stateProvinceCode": "CA"}],
    ),
    (
        "us-code-state-code",
        {"Country": "US", "State": "ny"},
        [{"countryCode": "USA", "stateProvinceCode": "NY"}],
    ),
    (
        "usa-iso-state",
        {"Country": "USA", "State": "US-TX"},
        [{"countryCode": "USA", "stateProvinceCode": "TX"}],
    ),
    (
        "canada-province",
        {"Country": "Canada", "State": "Ontario"},
        [{"countryCode": "CAN", "stateProvinceCode": "ON"}],
    ),
    ("typo-in-country", {"Country": "Germny"}, [{"countryCode": "DEU"}]),
    ("comma-name", {"Country": "Korea, Republic of"}, [{"countryCode": "KOR"}]),
    ("common-name", {"Country": "South Korea"}, [{"countryCode": "KOR"}]),
    ("split-list", {"More": "FR, DE,FR"}, [{"countryCode": "FRA"}, {"countryCode": "DEU"}]),
    (
        "usa-without-state",
        {"Country": "USA"},
        "error: a state or province is required for USA (country 'USA')",
    ),
    ("unknown-country", {"Country": "Atlantis"}, "error: expected a country name or ISO 3166 code"),
    (
        "unknown-state",
        {"Country": "US", "State": "Bavaria"},
        "error: expected a state/province of USA",
    ),
    ("state-without-country", {"State": "CA"}, "error: a state or province needs a country"),
    ("nothing", {}, None),
]


@pytest.mark.parametrize(
    ("cells", "expected"), [c[1:] for c in PLACE_CASES], ids=[c[0] for c in PLACE_CASES]
)
def test_jurisdictions(run, cells: dict[str, Any], expected: Any):
    columns = {name: [cells.get(name)] for name in ("Country", "State", "More")}
    got = outcome(run(PLACES, columns), 2, "jurisdictions")
    if isinstance(expected, str):
        assert got.startswith(expected)
    else:
        assert got == expected


def test_usa_without_state_names_the_state_column(run):
    mapped = run(PLACES, {"Country": ["USA"], "State": [None], "More": [None]})
    assert mapped.errors[2][0].column == "State"


ATTRIBUTES = """
attributeValues:
  Severity: {column: Sev, option: true}
  Data Categories: {column: Cats, split: [",", ";"], option: true, ignore_case: true,
                    map: {pii: Contact Details}}
  Records Affected: {column: Count, number_to_string: true}
  Unlisted Select: {column: Other, option: true}
"""
ATTRIBUTE_CASES: list[tuple[str, dict[str, Any], Any]] = [
    ("select-by-name", {"Sev": "high"}, {"Severity": [{"id": HIGH}]}),
    (
        "multi-select",
        {"Cats": "PII; Health,Financial"},
        {
            "Data Categories": [
                {"id": "cf6ef8b9-2dc0-4eae-b2fb-0602dcfcf2a2"},
                {"id": "ffd10577-fdcc-4e86-bcbf-f43465c3d95b"},
                {"id": "c497f2a3-4d3a-4b43-bf4c-036d2b5ce2f2"},
            ]
        },
    ),
    ("text-value", {"Count": "1.2E+03"}, {"Records Affected": [{"value": "1200"}]}),
    (
        "options-unknown-fall-back-to-text",
        {"Other": "Blue"},
        {"Unlisted Select": [{"value": "Blue"}]},
    ),
    ("unknown-option", {"Sev": "Extreme"}, "error: expected a known option of 'Severity'"),
    ("nothing", {}, None),
]


@pytest.mark.parametrize(
    ("cells", "expected"), [c[1:] for c in ATTRIBUTE_CASES], ids=[c[0] for c in ATTRIBUTE_CASES]
)
def test_attribute_values(run, cells: dict[str, Any], expected: Any):
    columns = {name: [cells.get(name)] for name in ("Sev", "Cats", "Count", "Other")}
    got = outcome(run(ATTRIBUTES, columns), 2, "attributeValues")
    if isinstance(expected, str):
        assert got.startswith(expected)
    else:
        assert got == expected


def test_unknown_option_error_names_the_attribute_field(run):
    mapped = run(ATTRIBUTES, {"Sev": ["Hgih"], "Cats": [None], "Count": [None], "Other": [None]})
    (error,) = mapped.errors[2]
    assert (error.field, error.column) == ("attributeValues.Severity", "Sev")
    assert "did you mean 'High'" in error.message


def test_inline_options_in_the_mapping(load):
    from mapping_helpers import chunk

    from importer.mapping import apply_mapping

    mapping = load(
        "attributeValues:\n  Tier: {column: T, option: true}",
        top=f"options: {{Tier: {{Gold: {HIGH}}}}}\n",
    )
    mapped = apply_mapping(mapping, chunk({"T": ["gold"]}), Lookups())
    assert mapped.bodies[2]["attributeValues"] == {"Tier": [{"id": HIGH}]}


INVENTORIES = """
linkedInventories:
  assets: {column: Assets, split: ";"}
  processing-activities: {column: Activities, as: inventoryIds, split: ";", source_type: MANUAL}
"""
UUID_A = "11111111-2222-3333-4444-555555555555"
INVENTORY_CASES: list[tuple[str, dict[str, Any], Any]] = [
    (
        "external-ids-unique",
        {"Assets": "A-1; A-2;A-1"},
        {"assets": {"externalIds": ["A-1", "A-2"]}},
    ),
    (
        "inventory-ids",
        {"Activities": UUID_A},
        {"processing-activities": {"inventoryIds": [UUID_A], "sourceType": "MANUAL"}},
    ),
    ("bad-inventory-id", {"Activities": "PA-7"}, "error: expected an inventory id (a UUID)"),
    ("nothing", {}, None),
]


@pytest.mark.parametrize(
    ("cells", "expected"), [c[1:] for c in INVENTORY_CASES], ids=[c[0] for c in INVENTORY_CASES]
)
def test_linked_inventories(run, cells: dict[str, Any], expected: Any):
    columns = {name: [cells.get(name)] for name in ("Assets", "Activities")}
    got = outcome(run(INVENTORIES, columns), 2, "linkedInventories")
    if isinstance(expected, str):
        assert got.startswith(expected)
    else:
        assert got == expected


def test_user_emails_are_collected_per_chunk(load):
    from mapping_helpers import chunk

    mapping = load(ASSIGNEES)
    emails = mapping.user_emails(
        chunk(
            {
                "Owner": [
                    "Alice <Alice.Martin@example.com>; bob@x.org",
                    None,
                    "not an address",
                    ALICE,
                ],
                "Team": [None] * 4,
                "Ids": [None] * 4,
            }
        )
    )
    assert emails == {"alice.martin@example.com", "bob@x.org"}
