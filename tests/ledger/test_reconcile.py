"""Reconciliation: is the register's incident the one we sent, and can we find it?"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from importer.errors import AmbiguousSendError, RetryableSendError
from importer.reconcile import find_created, same_incident

ORG = "d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6"
OTHER_ORG = "ad4ebe4b-6404-47de-9c13-58f0041f7f4d"
BODY = {
    "name": "Lost laptop",
    "incidentTypeName": "Phishing",
    "orgGroupId": ORG,
    "dateOccurred": "2019-05-31T12:43:24.173Z",
    "description": "left on a train",
}


def found(**changes: Any) -> dict[str, Any]:
    """The incident as the register returns it: our body plus the register's own fields."""
    incident = {**BODY, "incidentId": "id-1", "number": 7, "createdDate": "2024-05-01T00:00:00Z"}
    incident.update(changes)
    return {k: v for k, v in incident.items() if v is not ...}


@pytest.mark.parametrize(
    "body, incident, same",
    [
        (BODY, found(), True),
        (BODY, found(name="Lost phone"), False),
        (BODY, found(name="lost laptop"), False),
        (BODY, found(incidentTypeName="Data Breach"), False),
        (BODY, found(orgGroupId=OTHER_ORG), False),
        (BODY, found(orgGroupId=ORG.upper()), True),
        (BODY, found(dateOccurred="2019-05-31T12:43:24.173+00:00"), True),
        (BODY, found(dateOccurred="2019-05-31T14:43:24.173+02:00"), True),
        (BODY, found(dateOccurred="2019-05-31T12:43:24.173000Z"), True),
        (BODY, found(dateOccurred="2019-05-31T12:43:24.173"), True),
        (BODY, found(dateOccurred="2019-05-31T12:43:24Z"), False),
        (BODY, found(dateOccurred="2019-06-01T12:43:24.173Z"), False),
        (BODY, found(dateOccurred=...), False),
        ({**BODY, "deadline": "2024-01-01T00:00:00Z"}, found(deadline=None), False),
        (
            {**BODY, "deadline": "2024-01-01T00:00:00Z"},
            found(deadline="2024-01-01T01:00:00+01:00"),
            True,
        ),
        ({**BODY, "dateDiscovered": None}, found(), True),
        ({**BODY, "dateDiscovered": None}, found(dateDiscovered=None), True),
        ({k: v for k, v in BODY.items() if k != "description"}, found(description=None), True),
        ({k: v for k, v in BODY.items() if k != "description"}, found(description=""), True),
        (BODY, found(description="left on a bus"), False),
        (BODY, found(description=...), False),
        ({**BODY, "dateOccurred": "yesterday"}, found(dateOccurred="yesterday"), True),
        (BODY, found(rootCause="not compared", notificationNeeded="YES"), True),
    ],
    ids=[
        "equal",
        "different-name",
        "name-case-differs",
        "different-type",
        "different-org",
        "org-uuid-case",
        "date-Z-vs-+00:00",
        "date-other-offset-same-instant",
        "date-micro-vs-millis",
        "date-without-offset-is-utc",
        "date-millis-dropped",
        "different-date",
        "date-missing-in-register",
        "deadline-none-in-register",
        "deadline-same-instant",
        "none-vs-missing",
        "none-vs-none",
        "missing-vs-none-description",
        "missing-vs-empty-description",
        "different-description",
        "description-missing-in-register",
        "unparseable-date-compared-as-text",
        "other-fields-ignored",
    ],
)
def test_same_incident(body, incident, same):
    assert same_incident(body, incident) is same


class FakeSearch:
    """In-memory Search Incidents: full text over name and description, org filter, paging."""

    def __init__(self, incidents: list[dict[str, Any]], *, ignore_paging: bool = False) -> None:
        self.incidents = incidents
        self.ignore_paging = ignore_paging
        self.calls: list[tuple[str | None, dict[str, Any] | None, int, int]] = []

    async def search_incidents(
        self,
        full_text: str | None,
        filters: dict[str, Any] | None = None,
        *,
        page: int = 0,
        size: int = 50,
    ) -> list[dict[str, Any]]:
        self.calls.append((full_text, filters, page, size))
        text = (full_text or "").casefold()
        hits = [
            i
            for i in self.incidents
            if text in f"{i['name']} {i.get('description') or ''}".casefold()
            and (not filters or i["orgGroupId"] == filters["orgGroupId"])
        ]
        start = 0 if self.ignore_paging else page * size
        return hits[start : start + size]


def incidents(count: int, **changes: Any) -> list[dict[str, Any]]:
    return [found(incidentId=f"id-{n}", **changes) for n in range(count)]


def run(coro):
    return asyncio.run(coro)


def test_finds_the_matching_incident_searching_its_name_within_its_org():
    search = FakeSearch(
        [found(incidentId="other-org", orgGroupId=OTHER_ORG), found(incidentId="A")]
    )
    assert run(find_created(search, BODY, exclude_ids=set())) == "A"
    assert search.calls == [("Lost laptop", {"orgGroupId": ORG}, 0, 200)]


def test_skips_incidents_already_claimed_by_other_keys():
    search = FakeSearch([found(incidentId="A"), found(incidentId="B")])
    assert run(find_created(search, BODY, exclude_ids={"A"})) == "B"
    assert run(find_created(search, BODY, exclude_ids={"A", "B"})) is None


def test_returns_none_when_only_near_misses_exist():
    search = FakeSearch(
        [
            found(incidentId="A", description="left on a bus"),
            found(incidentId="B", name="Lost laptop 2"),
        ]
    )
    assert run(find_created(search, BODY, exclude_ids=set())) is None


def test_pages_through_results_until_a_match():
    near_misses = incidents(5, description="left on a train, again")
    search = FakeSearch([*near_misses, found(incidentId="wanted")])
    assert run(find_created(search, BODY, exclude_ids=set(), page_size=2)) == "wanted"
    assert [call[2:] for call in search.calls] == [(0, 2), (1, 2), (2, 2)]


def test_stops_at_a_short_page():
    search = FakeSearch(incidents(4, description="other"))
    assert run(find_created(search, BODY, exclude_ids=set(), page_size=3)) is None
    assert [call[2] for call in search.calls] == [0, 1]


def test_stops_when_the_server_ignores_paging():
    search = FakeSearch(incidents(3, description="other"), ignore_paging=True)
    assert run(find_created(search, BODY, exclude_ids=set(), page_size=3)) is None
    assert len(search.calls) == 2


def test_too_many_candidates_is_ambiguous_not_absent():
    search = FakeSearch(incidents(10, description="other"))
    with pytest.raises(AmbiguousSendError, match="more than 6 incidents match its name"):
        run(find_created(search, BODY, exclude_ids=set(), page_size=3, max_pages=2))


def test_search_errors_propagate_untouched():
    error = RetryableSendError("429 Too Many Requests", status_code=429)

    class Failing:
        async def search_incidents(self, full_text, filters=None, *, page=0, size=50):
            raise error

    with pytest.raises(RetryableSendError) as raised:
        run(find_created(Failing(), BODY, exclude_ids=set()))
    assert raised.value is error
