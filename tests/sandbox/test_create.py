"""Create Incident: 201 with the new id, and 400 naming the field for each class of bad body."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

INCIDENTS = "/api/incident/v1/incidents"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def test_create_answers_201_with_the_new_id_as_a_json_string(api, sandbox, make_body):
    body = make_body()

    response = api.post(INCIDENTS, json=body)

    assert response.status_code == 201
    incident_id = response.json()
    assert isinstance(incident_id, str)
    assert str(uuid.UUID(incident_id)) == incident_id
    (stored,) = sandbox.incidents()
    assert stored["incidentId"] == incident_id
    assert stored["number"] == 1
    assert stored["createdDate"].endswith("Z")
    for field, value in body.items():
        assert stored[field] == value, field


def test_minimal_body_gets_the_vendor_defaults(api, sandbox, ids):
    body = {"name": "Phish", "incidentTypeName": "Phishing", "orgGroupId": ids.ORG_US}

    assert api.post(INCIDENTS, json=body).status_code == 201

    (stored,) = sandbox.incidents()
    assert stored["sourceType"] == "MANUAL"
    assert stored["notificationNeeded"] == "UNKNOWN"
    assert stored["description"] is None


def test_numbers_follow_creation_order(create, sandbox):
    first, second = create(name="first"), create(name="second")

    numbers = {i["incidentId"]: i["number"] for i in sandbox.incidents()}
    assert numbers == {first: 1, second: 2}


def _without(field: str) -> Any:
    return lambda body: body.pop(field)


def _set(field: str, value: Any) -> Any:
    return lambda body: body.__setitem__(field, value)


INVALID_BODIES = [
    ("missing-name", _without("name"), "name"),
    ("blank-name", _set("name", "  "), "name"),
    ("missing-type", _without("incidentTypeName"), "incidentTypeName"),
    ("missing-org", _without("orgGroupId"), "orgGroupId"),
    ("org-not-uuid", _set("orgGroupId", "ORG-FR"), "orgGroupId"),
    ("date-not-iso", _set("dateOccurred", "01/03/2024"), "dateOccurred"),
    ("date-without-offset", _set("deadline", "2024-03-01T09:30:00"), "deadline"),
    ("bad-source-type", _set("sourceType", "EMAIL"), "sourceType"),
    ("bad-notification", _set("notificationNeeded", "MAYBE"), "notificationNeeded"),
    ("bad-boolean", _set("autoAssessJurisdictions", "sometimes"), "autoAssessJurisdictions"),
    ("unknown-top-field", _set("severity", "High"), "severity"),
    (
        "usa-without-state",
        _set("jurisdictions", [{"countryCode": "USA"}]),
        "jurisdictions.0.stateProvinceCode",
    ),
    (
        "can-without-state",
        _set("jurisdictions", [{"countryCode": "DEU"}, {"countryCode": "CAN"}]),
        "jurisdictions.1.stateProvinceCode",
    ),
    ("jurisdiction-without-country", _set("jurisdictions", [{}]), "jurisdictions.0.countryCode"),
    (
        "unknown-inventory-key",
        _set("linkedInventories", {"laptops": {"externalIds": ["L-1"]}}),
        "linkedInventories.laptops",
    ),
    (
        "duplicate-external-ids",
        _set("linkedInventories", {"vendors": {"externalIds": ["V-1", "V-1"]}}),
        "linkedInventories.vendors.externalIds",
    ),
    (
        "inventory-id-not-uuid",
        _set("linkedInventories", {"assets": {"inventoryIds": ["A-1"]}}),
        "linkedInventories.assets.inventoryIds.0",
    ),
    (
        "assignee-without-id",
        _set("incidentAssigneeRequests", [{"type": "USER"}]),
        "incidentAssigneeRequests.0.assigneeId",
    ),
    (
        "assignee-email-on-group",
        _set(
            "incidentAssigneeRequests",
            [
                {
                    "assigneeId": "4143cd06-6179-47bc-9f1d-bbd4c37f49e3",
                    "type": "GROUP",
                    "assigneeEmail": "privacy@example.com",
                }
            ],
        ),
        "incidentAssigneeRequests.0.assigneeEmail",
    ),
    (
        "attribute-value-and-id",
        _set("attributeValues", {"Reporter": [{}]}),
        "attributeValues.Reporter.0",
    ),
    ("org-not-in-tree", _set("orgGroupId", UNKNOWN_ID), "orgGroupId"),
    ("type-not-configured", _set("incidentTypeName", "Alien Abduction"), "incidentTypeName"),
    (
        "unknown-attribute",
        _set("attributeValues", {"Colour": [{"value": "red"}]}),
        "attributeValues.Colour",
    ),
    (
        "unknown-option",
        _set("attributeValues", {"Severity": [{"id": UNKNOWN_ID}]}),
        "attributeValues.Severity.0.id",
    ),
    (
        "option-of-other-attribute",
        _set("attributeValues", {"Severity": [{"id": "ffd10577-fdcc-4e86-bcbf-f43465c3d95b"}]}),
        "attributeValues.Severity.0.id",
    ),
    (
        "text-not-an-option",
        _set("attributeValues", {"Severity": [{"value": "Catastrophic"}]}),
        "attributeValues.Severity.0.value",
    ),
    ("org-without-hyphens", _set("orgGroupId", "d0a6e2adce1e469bab6f0ff8c379b7d6"), "orgGroupId"),
    (
        "org-urn-form",
        _set("orgGroupId", "urn:uuid:d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6"),
        "orgGroupId",
    ),
    ("org-upper-case", _set("orgGroupId", "D0A6E2AD-CE1E-469B-AB6F-0FF8C379B7D6"), "orgGroupId"),
    (
        "inventory-id-with-a-trailing-newline",
        _set("linkedInventories", {"assets": {"inventoryIds": [UNKNOWN_ID + "\n"]}}),
        "linkedInventories.assets.inventoryIds.0",
    ),
    (
        "jurisdiction-id-with-a-trailing-newline",
        _set("jurisdictions", [{"jurisdictionId": UNKNOWN_ID + "\n", "countryCode": "FRA"}]),
        "jurisdictions.0.jurisdictionId",
    ),
    ("date-in-arabic-indic-digits", _set("dateOccurred", "٢٠٢٤-03-01T09:30:00Z"), "dateOccurred"),
    ("date-without-seconds", _set("dateOccurred", "2024-03-01T09:30Z"), "dateOccurred"),
    ("date-with-offset", _set("dateOccurred", "2024-03-01T09:30:00+01:00"), "dateOccurred"),
    ("date-not-a-day", _set("dateOccurred", "2024-02-30T09:30:00Z"), "dateOccurred"),
    ("null-description", _set("description", None), "description"),
    (
        "option-for-text-attribute",
        _set("attributeValues", {"Reporter": [{"id": "b2a9c4be-5fd8-4ccc-a906-61a806f40076"}]}),
        "attributeValues.Reporter.0.id",
    ),
    (
        "two-values-single-select",
        _set(
            "attributeValues",
            {
                "Severity": [
                    {"id": "b2a9c4be-5fd8-4ccc-a906-61a806f40076"},
                    {"id": "ef7fe39d-6512-4bef-b7a7-cc87e6a6fe70"},
                ]
            },
        ),
        "attributeValues.Severity",
    ),
    (
        "unknown-user",
        _set("incidentAssigneeRequests", [{"assigneeId": UNKNOWN_ID}]),
        "incidentAssigneeRequests.0.assigneeId",
    ),
    (
        "group-assigned-as-user",
        _set("incidentAssigneeRequests", [{"assigneeId": "4143cd06-6179-47bc-9f1d-bbd4c37f49e3"}]),
        "incidentAssigneeRequests.0.assigneeId",
    ),
    (
        "email-of-another-user",
        _set(
            "incidentAssigneeRequests",
            [
                {
                    "assigneeId": "bde33237-912d-4bbe-89f4-1f74000b13d3",
                    "assigneeEmail": "bob.schneider@example.com",
                }
            ],
        ),
        "incidentAssigneeRequests.0.assigneeEmail",
    ),
]


@pytest.mark.parametrize(
    ("mutate", "field"),
    [pytest.param(mutate, field, id=name) for name, mutate, field in INVALID_BODIES],
)
def test_invalid_body_is_400_naming_the_field(api, sandbox, make_body, mutate, field):
    body = make_body()
    mutate(body)

    response = api.post(INCIDENTS, json=body)

    assert response.status_code == 400, response.text
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == [field]
    assert errors[0]["message"]
    assert sandbox.counts()["incidents"] == 0


def test_select_options_by_text_as_in_the_vendors_create_example(api, sandbox, make_body):
    body = make_body(attributeValues={"Severity": [{"value": "High"}]})

    response = api.post(INCIDENTS, json=body)

    assert response.status_code == 201, response.text
    (stored,) = sandbox.incidents()
    assert stored["attributeValues"] == {"Severity": [{"value": "High"}]}


def test_every_problem_of_a_body_is_listed(api, make_body):
    body = make_body(
        name="",
        orgGroupId=UNKNOWN_ID,
        dateOccurred="yesterday",
        incidentTypeName="Nope",
        jurisdictions=[{"countryCode": "USA"}],
    )

    response = api.post(INCIDENTS, json=body)

    assert response.status_code == 400
    assert sorted(e["field"] for e in response.json()["errors"]) == [
        "dateOccurred",
        "incidentTypeName",
        "jurisdictions.0.stateProvinceCode",
        "name",
        "orgGroupId",
    ]
    assert response.json()["message"] == "5 problems in the request"


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b'["a", "list"]', b'"a string"'],
    ids=["not-json", "json-list", "json-string"],
)
def test_body_that_is_not_a_json_object_is_400(api, raw):
    response = api.post(INCIDENTS, content=raw, headers={"Content-Type": "application/json"})

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == ["(body)"]
