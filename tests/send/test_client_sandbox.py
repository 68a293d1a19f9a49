"""The client over real HTTP on loopback against the sandbox register (a uvicorn thread)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest

from importer.errors import AmbiguousSendError, AuthError, RowRejectedError
from importer.sandbox import Faults, SandboxConfig, running_sandbox
from importer.sandbox.server import SandboxHandle
from importer.send import Credentials, RegisterClient

pytestmark = pytest.mark.anyio

FRANCE = "d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6"


class TokenSpy(httpx.AsyncHTTPTransport):
    """The real transport, remembering each bearer token it carried."""

    def __init__(self) -> None:
        super().__init__()
        self.tokens: set[str] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme == "Bearer":
            self.tokens.add(token)
        return await super().handle_async_request(request)


def body(name: str) -> dict[str, Any]:
    return {"name": name, "incidentTypeName": "Phishing", "orgGroupId": FRANCE}


@contextmanager
def sandbox_client(
    config: SandboxConfig | None = None, **options: Any
) -> Iterator[tuple[SandboxHandle, RegisterClient]]:
    with running_sandbox(config) as sb:
        yield (
            sb,
            RegisterClient(Credentials(sb.base_url, sb.client_id, sb.client_secret), **options),
        )


async def create_all(client: RegisterClient, names: list[str]) -> list[Any]:
    return await asyncio.gather(
        *(client.create_incident(body(n)) for n in names), return_exceptions=True
    )


def assert_each_created_once(sb: SandboxHandle, names: list[str]) -> None:
    stored = Counter(i["name"] for i in sb.incidents())
    assert stored == Counter(names), "every name stored exactly once, nothing else"
    assert sb.counts()["duplicates"] == 0


async def test_every_call_round_trips():
    with sandbox_client() as (_, client):
        async with client:
            created = await client.create_incident(body("Laptop left on a train"))
            fetched = await client.get_incident(created.incident_id)
            found = await client.search_incidents("Laptop", {"orgGroupId": FRANCE})
            status = await client.update_incident(
                created.incident_id, {**body("Laptop left on a train"), "rootCause": "carelessness"}
            )
            updated = await client.get_incident(created.incident_id)
            missing = await client.get_incident(str(uuid.uuid4()))
            orgs = await client.list_organizations()
            alice = await client.find_user("alice.martin@example.com")
            nobody = await client.find_user("nobody@example.com")
    assert (created.status_code, created.attempts) == (201, 1)
    assert fetched is not None and fetched["name"] == "Laptop left on a train"
    assert [i["incidentId"] for i in found] == [created.incident_id]
    assert status == 200 and updated is not None and updated["rootCause"] == "carelessness"
    assert missing is None
    assert orgs[0]["name"] == "Global" and orgs[0]["children"]
    assert alice is not None and alice["id"] == "bde33237-912d-4bbe-89f4-1f74000b13d3"
    assert nobody is None


async def test_search_sorts_by_created_date_both_ways():
    names = [f"sorted {n}" for n in range(4)]
    with sandbox_client() as (_, client):
        async with client:
            ids = []
            for name in names:
                ids.append((await client.create_incident(body(name))).incident_id)
                await asyncio.sleep(0.005)  # createdDate has millisecond resolution
            newest_first = await client.search_incidents("sorted", sort="createdDate,desc")
            oldest_first = await client.search_incidents("sorted", sort="createdDate,asc")
            first_page = await client.search_incidents("sorted", size=1, sort="createdDate,desc")
    assert [i["incidentId"] for i in newest_first] == ids[::-1]
    assert [i["incidentId"] for i in oldest_first] == ids
    assert [i["incidentId"] for i in first_page] == [ids[-1]]


async def test_a_bad_body_is_rejected_with_the_servers_problems():
    with sandbox_client() as (sb, client):
        async with client:
            with pytest.raises(RowRejectedError) as info:
                await client.create_incident({**body("x"), "incidentTypeName": "Alien Abduction"})
        assert sb.incidents() == []
    assert info.value.status_code == 400
    assert "Alien Abduction" in str(info.value.details)


async def test_wrong_secret_is_an_auth_error_naming_the_client():
    with running_sandbox() as sb:
        client = RegisterClient(Credentials(sb.base_url, sb.client_id, "wrong-secret"))
        async with client:
            with pytest.raises(AuthError, match=sb.client_id) as info:
                await client.create_incident(body("x"))
    assert "wrong-secret" not in str(info.value)
    assert info.value.status_code == 401


async def test_429_storm_creates_each_row_exactly_once():
    names = [f"storm {n}" for n in range(60)]
    config = SandboxConfig(rate_limit=20, window_seconds=1)
    # The client paces at 100/s, five times the sandbox's quota of 20/s.
    with sandbox_client(config, rate_per_minute=6000, concurrency=4) as (sb, client):
        async with client:
            results = await create_all(client, names)
        assert not [r for r in results if isinstance(r, BaseException)]
        assert_each_created_once(sb, names)
        assert client.stats.throttled > 0
        assert client.stats.throttled == sb.counts()["rate_limited"].get(
            "POST /api/incident/v1/incidents", 0
        )
        assert client.stats.paused_seconds >= 1.0  # each pause honours Retry-After (>= 1 s)


async def test_pacing_under_the_quota_never_sees_a_429():
    names = [f"paced {n}" for n in range(30)]
    config = SandboxConfig(rate_limit=20, window_seconds=1)
    # 90% of 20/s, from the very first request: no burst ever exceeds the window budget.
    with sandbox_client(config, rate_per_minute=0.9 * 20 * 60, concurrency=4) as (sb, client):
        async with client:
            results = await create_all(client, names)
        assert all(r.attempts == 1 for r in results)
        assert client.stats.throttled == 0 and sb.counts()["rate_limited"] == {}
        assert_each_created_once(sb, names)


async def test_503_is_retried_and_creates_once():
    names = [f"unavailable {n}" for n in range(8)]
    config = SandboxConfig(faults=Faults(unavailable=0.3, random_seed=7))
    # Each 503 asks for Retry-After: 1; one seat per row keeps those waits in parallel.
    with sandbox_client(config, concurrency=len(names)) as (sb, client):
        async with client:
            results = await create_all(client, names)
        assert not [r for r in results if isinstance(r, BaseException)]
        assert client.stats.by_status.get(503, 0) > 0
        assert client.stats.retries == client.stats.by_status[503]
        assert_each_created_once(sb, names)


@pytest.mark.parametrize(
    ("knob", "stored"),
    [("fail_after_commit", 1), ("drop_after_commit", 1), ("fail_before_commit", 0)],
)
async def test_a_maybe_applied_create_is_ambiguous_and_not_resent(knob, stored):
    with sandbox_client() as (sb, client):
        sb.set_faults(**{knob: 1.0})
        async with client:
            with pytest.raises(AmbiguousSendError, match="may have been created") as info:
                await client.create_incident(body("maybe"))
        assert info.value.attempts == 1
        assert len(sb.incidents()) == stored
        assert sb.counts()["requests"]["POST /api/incident/v1/incidents"] == 1


async def test_short_token_lifetime_is_refreshed_before_expiry():
    names = [f"token {n}" for n in range(12)]
    config = SandboxConfig(token_lifetime=1)
    with sandbox_client(config, rate_per_minute=600) as (sb, client):  # 10/s: ~1.2 s in all
        async with client:
            results = await create_all(client, names)
        assert not [r for r in results if isinstance(r, BaseException)]
        assert client.stats.token_refreshes >= 1
        assert 401 not in client.stats.by_status  # refreshed ahead, never refused
        assert_each_created_once(sb, names)


async def test_tokens_expired_mid_run_are_replaced_transparently(caplog):
    caplog.set_level(logging.DEBUG)  # httpx and httpcore too: none may log a secret
    names = [f"expired {n}" for n in range(10)]
    spy = TokenSpy()
    with sandbox_client(rate_per_minute=1200, transport=spy) as (sb, client):
        async with client:
            first = await create_all(client, names[:5])
            sb.expire_tokens()
            second = await create_all(client, names[5:])
        assert not [r for r in first + second if isinstance(r, BaseException)]
        assert client.stats.by_status.get(401, 0) >= 1
        assert client.stats.token_refreshes == 1
        assert sb.counts()["tokens_issued"] == 2
        assert_each_created_once(sb, names)
        assert sb.client_secret not in caplog.text
    assert len(spy.tokens) == 2 and not any(t in caplog.text for t in spy.tokens)
    assert "401" in caplog.text  # the log did record the refused request
