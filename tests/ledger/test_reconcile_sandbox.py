"""Reconciliation over real HTTP against the sandbox register, with its commit faults."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from importer.errors import AmbiguousSendError
from importer.reconcile import find_created
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


def test_an_incident_stored_before_the_connection_dropped_is_found(sandbox):
    async def scenario() -> tuple[str, str | None, str | None]:
        async with client_for(sandbox) as client:
            twin = (await client.create_incident(BODY)).incident_id  # owned by another key
            await client.create_incident({**BODY, "description": "another desk"})
            sandbox.set_faults(drop_after_commit=1.0)
            await create_ambiguously(client, BODY)
            sandbox.set_faults(drop_after_commit=0.0)
            adopted = await find_created(client, BODY, exclude_ids={twin})
            again = await find_created(client, BODY, exclude_ids={twin, str(adopted)})
            return twin, adopted, again

    twin, adopted, again = asyncio.run(scenario())

    stored = {i["incidentId"]: i for i in sandbox.incidents()}
    assert len(stored) == 3
    assert adopted in stored and adopted != twin
    assert stored[adopted]["description"] == BODY["description"]
    assert again is None


def test_an_incident_never_stored_is_not_found(sandbox):
    async def scenario() -> str | None:
        async with client_for(sandbox) as client:
            await client.create_incident({**BODY, "description": "a near miss"})
            sandbox.set_faults(fail_before_commit=1.0)
            await create_ambiguously(client, BODY)
            sandbox.set_faults(fail_before_commit=0.0)
            return await find_created(client, BODY, exclude_ids=set())

    assert asyncio.run(scenario()) is None
    assert [i["description"] for i in sandbox.incidents()] == ["a near miss"]
