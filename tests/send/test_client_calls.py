"""The idempotent calls: update (PUT), get, search, organizations, SCIM users."""

from __future__ import annotations

import json

import httpx
import pytest
from send_fakes import CREDS, client_for, raises, status

from importer.errors import ConfigError, FatalSendError, RetryableSendError, RowRejectedError
from importer.send import RegisterClient

pytestmark = pytest.mark.anyio

INCIDENT_ID = "f7114aef-b6b6-42d6-9249-56a467950aa7"
BODY = {
    "name": "x",
    "incidentTypeName": "Phishing",
    "orgGroupId": "d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6",
}


@pytest.mark.parametrize(
    "failure",
    [
        status(500),
        status(502),
        status(503),
        raises(httpx.ReadTimeout),
        raises(httpx.RemoteProtocolError),
    ],
    ids=["500", "502", "503-without-retry-after", "ReadTimeout", "RemoteProtocolError"],
)
async def test_update_retries_what_a_create_may_not(fake, failure):
    fake.script.extend([failure, status(200, json={})])
    async with client_for(fake) as client:
        assert await client.update_incident(INCIDENT_ID, BODY) == 200
    assert [r.method for r in fake.requests] == ["PUT", "PUT"]
    assert fake.requests[0].url.path == f"/api/incident/v1/incidents/{INCIDENT_ID}"
    assert json.loads(fake.requests[1].content) == BODY


async def test_update_of_a_missing_incident_rejects_the_row(fake):
    fake.script.append(status(404, json={"message": "not found"}))
    async with client_for(fake) as client:
        with pytest.raises(RowRejectedError, match=INCIDENT_ID) as info:
            await client.update_incident(INCIDENT_ID, BODY)
    assert (info.value.status_code, info.value.attempts) == (404, 1)


async def test_update_gives_up_after_max_attempts(fake):
    fake.script.extend([status(500)] * 3)
    async with client_for(fake, max_attempts=3) as client:
        with pytest.raises(RetryableSendError) as info:
            await client.update_incident(INCIDENT_ID, BODY)
    assert (info.value.status_code, info.value.attempts) == (500, 3)


@pytest.mark.parametrize("bad_id", ["", "../search", "a/b", "x?y=1", "%2e%2e"])
async def test_an_id_cannot_change_the_path(fake, bad_id):
    async with client_for(fake) as client:
        with pytest.raises(ValueError, match="not an incident id"):
            await client.get_incident(bad_id)
    assert fake.requests == []


async def test_get_incident(fake):
    fake.script.extend([status(200, json={"incidentId": INCIDENT_ID}), status(404)])
    async with client_for(fake) as client:
        assert await client.get_incident(INCIDENT_ID) == {"incidentId": INCIDENT_ID}
        assert await client.get_incident(INCIDENT_ID) is None


async def test_search_sends_page_size_and_filters(fake):
    found = [{"incidentId": INCIDENT_ID, "name": "x"}]
    fake.script.append(status(200, json=found))
    filters = {"orgGroupId": "d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6"}
    async with client_for(fake) as client:
        assert await client.search_incidents("x", filters, page=2, size=20) == found
    (request,) = fake.requests
    assert request.url.path == "/api/incident/v1/incidents/search"
    assert dict(request.url.params) == {"page": "2", "size": "20"}
    assert json.loads(request.content) == {"fullText": "x", "filters": filters}


@pytest.mark.parametrize(
    ("sort", "params"),
    [
        (None, {"page": "0", "size": "50"}),
        ("createdDate,desc", {"page": "0", "size": "50", "sort": "createdDate,desc"}),
        (" number ", {"page": "0", "size": "50", "sort": "number"}),
    ],
    ids=["no-sort", "createdDate-desc", "trimmed"],
)
async def test_search_sends_sort_only_when_given(fake, sort, params):
    async with client_for(fake) as client:
        await client.search_incidents("x", sort=sort)
    assert dict(fake.requests[0].url.params) == params


async def test_search_refuses_a_blank_sort(fake):
    async with client_for(fake) as client:
        with pytest.raises(ValueError, match="sort"):
            await client.search_incidents("x", sort=" ")
    assert fake.requests == []


@pytest.mark.parametrize(
    ("answer", "items"),
    [
        ([{"incidentId": "a"}], [{"incidentId": "a"}]),
        ({"content": [{"incidentId": "a"}], "totalElements": 1}, [{"incidentId": "a"}]),
        ([], []),
    ],
    ids=["bare-list", "page-object", "empty"],
)
async def test_search_reads_list_or_page(fake, answer, items):
    fake.script.append(status(200, json=answer))
    async with client_for(fake) as client:
        assert await client.search_incidents(None) == items
    assert json.loads(fake.requests[0].content) == {}


async def test_search_retries_a_read_timeout(fake):
    fake.script.extend([raises(httpx.ReadTimeout), status(200, json=[])])
    async with client_for(fake) as client:
        assert await client.search_incidents("x") == []
    assert len(fake.requests) == 2


async def test_search_refuses_a_non_json_answer(fake):
    fake.script.append(status(200, text="<html>login</html>"))
    async with client_for(fake) as client:
        with pytest.raises(FatalSendError, match="not JSON"):
            await client.search_incidents("x")


@pytest.mark.parametrize("size", [0, 2001])
async def test_search_page_size_is_bounded(fake, size):
    async with client_for(fake) as client:
        with pytest.raises(ValueError, match="size"):
            await client.search_incidents("x", size=size)


async def test_list_organizations(fake):
    tree = [{"organizationId": "o1", "name": "Global", "children": [{"organizationId": "o2"}]}]
    fake.script.extend([status(200, json=tree), status(200, json=tree[0])])
    async with client_for(fake) as client:
        assert await client.list_organizations() == tree
        assert await client.list_organizations() == tree  # a single root object is accepted
    assert fake.requests[0].url.path == "/api/access/v1/external/organizations"


async def test_find_user_filters_on_username(fake):
    alice = {"id": "bde33237-912d-4bbe-89f4-1f74000b13d3", "userName": "alice@example.com"}
    fake.script.extend(
        [
            status(200, json={"totalResults": 1, "Resources": [alice]}),
            status(200, json={"totalResults": 0, "Resources": []}),
            status(200, json={"totalResults": 0}),
        ]
    )
    async with client_for(fake) as client:
        assert await client.find_user("alice@example.com") == alice
        assert await client.find_user('odd"name\\@example.com') is None
        assert await client.find_user("nobody@example.com") is None
    assert fake.requests[0].url.path == "/api/scim/v2/Users"
    assert fake.requests[0].url.params["filter"] == 'userName eq "alice@example.com"'
    assert fake.requests[1].url.params["filter"] == 'userName eq "odd\\"name\\\\@example.com"'


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("concurrency", 0),
        ("max_attempts", 0),
        ("timeout", 0),
        ("max_wait", -1),
        ("rate_per_minute", 0),
    ],
)
def test_bad_options_are_config_errors(option, value):
    with pytest.raises(ConfigError, match=option.replace("_per_minute", "")):
        RegisterClient(CREDS, **{option: value})


async def test_stats_count_requests_statuses_and_endpoints(fake):
    fake.script.extend([status(429, headers={"Retry-After": "0"}), raises(httpx.ConnectError)])
    async with client_for(fake) as client:
        await client.create_incident(BODY)
        await client.search_incidents("x")
    stats = client.stats
    assert (stats.requests, stats.retries, stats.throttled) == (4, 2, 1)
    assert stats.by_status == {429: 1, 201: 1, 200: 1}
    assert stats.transport_errors == {"ConnectError": 1}
    assert stats.by_endpoint == {"create": 3, "search": 1}
    assert stats.as_dict()["by_status"] == {"200": 1, "201": 1, "429": 1}
