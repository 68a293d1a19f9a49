"""Reconciliation over real HTTP against the sandbox register, with its commit faults."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Collection, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from importer.errors import AmbiguousSendError
from importer.ledger import find_created
from importer.sandbox import SandboxHandle, running_sandbox
from importer.send import Credentials, RegisterClient

FRANCE = "d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6"
BODY = {
    "name": "Phishing mail to accounting",
    "incidentTypeName": "Phishing",
    "orgGroupId": FRANCE,
    "dateOccurred": "2024-03-05T09:30:00.000Z",
    "description": "reported by the front desk",
}


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    with running_sandbox() as handle:
        yield handle


def client_for(sandbox: SandboxHandle) -> RegisterClient:
    creds = Credentials(sandbox.base_url, sandbox.client_id, sandbox.client_secret)
    return RegisterClient(creds, max_attempts=2, max_wait=0.1)


async def create_ambiguously(client: RegisterClient, body: dict[str, Any]) -> None:
    with pytest.raises(AmbiguousSendError):
        await client.create_incident(body)


def claims(*owned: str) -> Callable[[Collection[str]], set[str]]:
    return lambda ids: set(owned) & set(ids)


def test_an_incident_stored_before_the_connection_dropped_is_found(sandbox):
    async def scenario() -> tuple[str, str | None, str | None]:
        async with client_for(sandbox) as client:
            twin = (await client.create_incident(BODY)).incident_id  # owned by another key
            await client.create_incident({**BODY, "description": "another desk"})
            sandbox.set_faults(drop_after_commit=1.0)
            await create_ambiguously(client, BODY)
            sandbox.set_faults(drop_after_commit=0.0)
            adopted = await find_created(client, BODY, claimed=claims(twin))
            again = await find_created(client, BODY, claimed=claims(twin, str(adopted)))
            return twin, adopted, again

    twin, adopted, again = asyncio.run(scenario())

    stored = {i["incidentId"]: i for i in sandbox.incidents()}
    assert len(stored) == 3
    assert adopted in stored and adopted != twin
    assert stored[adopted]["description"] == BODY["description"]
    assert again is None


def test_the_newest_lookalike_is_adopted_and_one_made_before_the_send_never(sandbox):
    async def scenario() -> tuple[str, str | None, str | None, str | None]:
        async with client_for(sandbox) as client:
            old = (await client.create_incident(BODY)).incident_id  # made by hand, earlier
            await asyncio.sleep(0.01)
            sent_at = datetime.now(UTC)
            sandbox.set_faults(drop_after_commit=1.0)
            await create_ambiguously(client, BODY)
            sandbox.set_faults(drop_after_commit=0.0)
            adopted = await find_created(client, BODY, claimed=claims(), created_after=sent_at)
            only_old = claims(str(adopted))
            again = await find_created(client, BODY, claimed=only_old, created_after=sent_at)
            uncut = await find_created(client, BODY, claimed=only_old)
            return old, adopted, again, uncut

    old, adopted, again, uncut = asyncio.run(scenario())

    assert adopted is not None and adopted != old
    assert again is None  # the earlier look-alike is not this row's incident
    assert uncut == old  # ...which is exactly what a search without the cutoff would adopt


def test_an_incident_never_stored_is_not_found_even_beside_an_old_identical_one(sandbox):
    async def scenario() -> tuple[str, str | None, str | None]:
        async with client_for(sandbox) as client:
            old = (await client.create_incident(BODY)).incident_id  # made by another tool
            await client.create_incident({**BODY, "description": "a near miss"})
            await asyncio.sleep(0.01)
            sent_at = datetime.now(UTC)
            sandbox.set_faults(fail_before_commit=1.0)
            await create_ambiguously(client, BODY)
            sandbox.set_faults(fail_before_commit=0.0)
            adopted = await find_created(client, BODY, claimed=claims(), created_after=sent_at)
            uncut = await find_created(client, BODY, claimed=claims())
            return old, adopted, uncut

    old, adopted, uncut = asyncio.run(scenario())
    assert adopted is None
    assert uncut == old  # the review finding: without the cutoff the old one was adopted
    assert len(sandbox.incidents()) == 2
