"""Get, update and search incidents."""

from __future__ import annotations

import pytest

INCIDENTS = "/api/incident/v1/incidents"
SEARCH = "/api/incident/v1/incidents/search"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def test_get_returns_the_stored_incident(api, create):
    incident_id = create(name="Lost phone")

    response = api.get(f"{INCIDENTS}/{incident_id}")

    assert response.status_code == 200
    assert response.json()["incidentId"] == incident_id
    assert response.json()["name"] == "Lost phone"


def test_get_unknown_incident_is_404(api):
    response = api.get(f"{INCIDENTS}/{UNKNOWN_ID}")

    assert response.status_code == 404
    assert UNKNOWN_ID in response.json()["message"]


def test_get_with_malformed_id_is_400(api):
    response = api.get(f"{INCIDENTS}/not-a-uuid")

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "incidentId"


def test_put_replaces_the_fields(api, create, ids):
    incident_id = create(name="Old name", description="old")
    update = {
        "name": "New name",
        "incidentTypeName": "Phishing",
        "orgGroupId": ids.ORG_US,
        "attributeValues": {"Severity": [{"id": ids.SEVERITY_LOW}]},
    }

    response = api.put(f"{INCIDENTS}/{incident_id}", json=update)

    assert response.status_code == 200
    stored = api.get(f"{INCIDENTS}/{incident_id}").json()
    assert stored["name"] == "New name"
    assert stored["orgGroupId"] == ids.ORG_US
    assert stored["description"] is None  # left out of the update: overwritten
    assert stored["attributeValues"] == {"Severity": [{"id": ids.SEVERITY_LOW}]}
    assert stored["number"] == 1
    assert stored["linkedInventories"] == {"assets": {"externalIds": ["A-1", "A-2"]}}
    assert stored["lastModifiedDate"] is not None


def test_put_unknown_incident_is_404(api, make_body):
    body = make_body()
    del body["linkedInventories"], body["autoAssessJurisdictions"]

    assert api.put(f"{INCIDENTS}/{UNKNOWN_ID}", json=body).status_code == 404


@pytest.mark.parametrize(
    ("field", "value", "expected_field"),
    [
        ("incidentTypeName", "Nope", "incidentTypeName"),
        ("linkedInventories", {"assets": {"externalIds": ["A"]}}, "linkedInventories"),
    ],
    ids=["unknown-type", "link-fields-not-allowed"],
)
def test_put_invalid_body_is_400(api, create, make_body, field, value, expected_field):
    incident_id = create()
    body = make_body()
    del body["linkedInventories"], body["autoAssessJurisdictions"]
    body[field] = value

    response = api.put(f"{INCIDENTS}/{incident_id}", json=body)

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [expected_field]


@pytest.fixture
def three_incidents(create, ids):
    return {
        "phish": create(
            name="Phishing wave", description="Fake invoices", incidentTypeName="Phishing"
        ),
        "laptop": create(name="Laptop lost", description="Train to Lyon", orgGroupId=ids.ORG_US),
        "usb": create(name="USB stick", description="found a LAPTOP bag too", rootCause="Careless"),
    }


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({}, ["phish", "laptop", "usb"]),
        ({"fullText": "laptop"}, ["laptop", "usb"]),
        ({"fullText": "FAKE INVOICES"}, ["phish"]),
        ({"fullText": "careless"}, ["usb"]),
        ({"fullText": "United States"}, ["laptop"]),  # org name
        ({"fullText": "no such words"}, []),
        ({"filters": {"orgGroupId": "23ffe06a-b432-4355-a566-7817cd271583"}}, ["laptop"]),
        (
            {
                "filters": {
                    "orgGroupId": [
                        "23FFE06A-B432-4355-A566-7817CD271583",
                        "d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6",
                    ]
                }
            },
            ["phish", "laptop", "usb"],
        ),
        ({"filters": {"incidentTypeName": "Phishing"}}, ["phish"]),
        ({"filters": {"number": [1, 3]}}, ["phish", "usb"]),
        (
            {
                "fullText": "laptop",
                "filters": {"orgGroupId": "d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6"},
            },
            ["usb"],
        ),
    ],
    ids=[
        "everything",
        "text-in-name-or-description",
        "case-insensitive",
        "root-cause",
        "org-name",
        "no-match",
        "org-filter",
        "org-filter-list",
        "type-filter",
        "number-filter",
        "text-and-filter",
    ],
)
def test_search_matches(api, three_incidents, body, expected):
    response = api.post(SEARCH, json=body)

    assert response.status_code == 200
    found = [i["incidentId"] for i in response.json()]
    assert found == [three_incidents[key] for key in expected]


def test_search_by_incident_id(api, three_incidents):
    response = api.post(SEARCH, json={"filters": {"incidentId": three_incidents["usb"]}})

    assert [i["name"] for i in response.json()] == ["USB stick"]


def test_search_answers_a_json_array_like_the_vendors_reference(api, create):
    for n in range(3):
        create(name=f"Incident {n}")

    response = api.post(SEARCH, params={"page": 1, "size": 2, "sort": "number,desc"}, json={})

    assert [i["name"] for i in response.json()] == ["Incident 0"]


def test_search_pages_and_sorts(api, sandbox, create):
    sandbox.set_faults(search_answer="page")
    for n in range(5):
        create(name=f"Incident {n}")

    response = api.post(SEARCH, params={"page": 1, "size": 2, "sort": "number,desc"}, json={})

    page = response.json()
    assert [i["name"] for i in page["content"]] == ["Incident 2", "Incident 1"]
    assert (page["totalElements"], page["totalPages"], page["number"], page["size"]) == (5, 3, 1, 2)
    assert (page["first"], page["last"]) == (False, False)


def test_search_accepts_an_empty_body(api, create):
    create()

    response = api.post(SEARCH)

    assert len(response.json()) == 1


@pytest.mark.parametrize(
    ("params", "body", "field"),
    [
        ({"size": "0"}, {}, "size"),
        ({"size": "2001"}, {}, "size"),
        ({"page": "-1"}, {}, "page"),
        ({"sort": "color,asc"}, {}, "sort"),
        ({}, {"filters": {"colour": "red"}}, "filters.colour"),
        ({}, {"filters": {"orgGroupId": "ORG-FR"}}, "filters.orgGroupId"),
        ({}, {"fullText": 42}, "fullText"),
        ({}, {"fulltext": "typo"}, "fulltext"),
    ],
    ids=[
        "size-zero",
        "size-over-2000",
        "negative-page",
        "unknown-sort",
        "unknown-filter",
        "org-filter-not-uuid",
        "full-text-not-string",
        "unknown-body-key",
    ],
)
def test_bad_search_is_400(api, params, body, field):
    response = api.post(SEARCH, params=params, json=body)

    assert response.status_code == 400
    assert [e["field"] for e in response.json()["errors"]] == [field]


def test_search_size_2000_is_allowed(api):
    assert api.post(SEARCH, params={"size": 2000}, json={}).status_code == 200
