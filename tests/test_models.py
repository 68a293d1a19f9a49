"""The request models send only what the vendor's strict reading allows."""

from __future__ import annotations

import pytest

from importer.models import body_errors, canonical_uuids

ORG = "d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6"
OPTION = "b2a9c4be-5fd8-4ccc-a906-61a806f40076"


def _body(**changes):
    return {"name": "Laptop", "incidentTypeName": "Phishing", "orgGroupId": ORG, **changes}


def test_every_uuid_field_is_rewritten_in_canonical_form():
    body = _body(
        orgGroupId=ORG.upper().replace("-", ""),
        attributeValues={"Severity": [{"id": "{" + OPTION.upper() + "}"}, {"value": "High"}]},
        incidentAssigneeRequests=[{"assigneeId": f"urn:uuid:{OPTION}"}],
        jurisdictions=[{"jurisdictionId": OPTION.upper(), "countryCode": "FRA"}],
        linkedInventories={"assets": {"inventoryIds": [OPTION.replace("-", "")]}},
    )

    canonical_uuids(body)

    assert body["orgGroupId"] == ORG
    assert body["attributeValues"]["Severity"] == [{"id": OPTION}, {"value": "High"}]
    assert body["incidentAssigneeRequests"] == [{"assigneeId": OPTION}]
    assert body["jurisdictions"][0]["jurisdictionId"] == OPTION
    assert body["linkedInventories"]["assets"]["inventoryIds"] == [OPTION]
    assert body_errors(body) == []


def test_text_that_is_no_uuid_stays_and_is_an_error():
    body = canonical_uuids(_body(orgGroupId="ORG-FR"))

    assert body["orgGroupId"] == "ORG-FR"
    assert [path for path, _ in body_errors(body)] == ["orgGroupId"]


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("2019-05-31T12:43:24.173Z", True),
        ("2019-05-31T12:43:24Z", True),
        ("2019-05-31T12:43Z", False),
        ("2019-05-31T12:43:24+00:00", False),
        ("2019-05-31T14:43:24.173+02:00", False),
        ("2019-05-31T12:43:24", False),
    ],
)
def test_date_times_are_sent_only_in_the_strict_utc_form(text, ok):
    assert (body_errors(_body(dateOccurred=text)) == []) is ok
