"""The request models send only what the vendor's strict reading allows."""

from __future__ import annotations

import copy
from datetime import datetime

import pytest
from body_strategies import bodies, usual_body
from hypothesis import given
from hypothesis import strategies as st

from importer.models import (
    body_errors,
    canonical_uuids,
    canonical_uuids_of,
    may_be_invalid,
)

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


# The quick pass (`may_be_invalid`) may only vouch for bodies `body_errors` finds valid; it
# should vouch for the usual ones, or it saves nothing.


@given(st.lists(bodies(), max_size=8))
def test_the_quick_pass_vouches_only_for_bodies_the_model_accepts(found):
    flagged = set(may_be_invalid(found))
    for at, body in enumerate(found):
        if at not in flagged:
            assert body_errors(body) == [], body


def test_the_quick_pass_vouches_for_the_bodies_a_mapping_usually_writes():
    usual = [usual_body(row) for row in range(500)]
    assert may_be_invalid(usual) == []
    assert may_be_invalid([*usual[:3], _body(orgGroupId="ORG-FR"), usual[3]]) == [3]


def test_every_date_time_the_quick_pass_takes_the_model_takes():
    texts = [
        f"{year:04d}-{month:02d}-{day:02d}T{clock}{fraction}Z"
        for year in (0, 1, 999, 1000, 1900, 2000, 2023, 2024, 2100, 2400, 9999)
        for month in range(14)
        for day in range(33)
        for clock in ("00:00:00", "23:59:59", "24:00:00", "12:60:00", "12:00:60", "9:00:00")
        for fraction in ("", ".5", ".999999", ".1234567")
    ]
    found = [_body(dateOccurred=text) for text in texts]
    flagged = set(may_be_invalid(found))
    vouched = [text for at, text in enumerate(texts) if at not in flagged]
    assert all(body_errors(_body(dateOccurred=text)) == [] for text in vouched)
    # It leaves to the model only the rare valid forms: years before 1000, 29 February and
    # fractions past the microsecond.
    assert vouched == [text for text in texts if _usual_date_time(text)]


def _usual_date_time(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    fraction = text[19:-1]
    return text[:4] >= "1000" and "-02-29" not in text and len(fraction) <= 7


@given(st.lists(bodies(), max_size=6))
def test_canonical_uuids_of_a_chunk_is_canonical_uuids_of_each_body(found):
    one_by_one = [canonical_uuids(body) for body in copy.deepcopy(found)]
    canonical_uuids_of(found)
    assert found == one_by_one
    assert [list(body) for body in found] == [list(body) for body in one_by_one]
