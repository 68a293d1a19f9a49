"""`move_incident_stage` over real HTTP against the sandbox: answers, refusals, retries."""

from __future__ import annotations

import uuid

import pytest
from test_client_sandbox import body, sandbox_client

from importer.errors import RowRejectedError
from importer.sandbox import Faults, SandboxConfig

pytestmark = pytest.mark.anyio


async def test_a_move_answers_the_stage_and_the_incident_is_there():
    with sandbox_client() as (_sb, client):
        async with client:
            created = await client.create_incident(body("Closed long ago"))
            moved = await client.move_incident_stage(created.incident_id, "Closed")
            fetched = await client.get_incident(created.incident_id)

    assert (moved.stage_name, moved.attempts) == ("Closed", 1)
    assert fetched is not None and fetched["incidentStageName"] == "Closed"


@pytest.mark.parametrize(
    ("target", "existing", "expected"),
    [("Closd", True, "not in workflow"), ("Closed", False, "not in the register")],
    ids=["unknown-stage", "unknown-incident"],
)
async def test_a_refused_move_is_a_row_rejection_with_the_registers_reason(
    target, existing, expected
):
    with sandbox_client() as (_sb, client):
        async with client:
            incident = str(uuid.uuid4())
            if existing:
                incident = (await client.create_incident(body("x"))).incident_id
            with pytest.raises(RowRejectedError, match=expected) as caught:
                await client.move_incident_stage(incident, target)

    assert caught.value.status_code in (400, 404)


async def test_server_errors_on_a_move_are_retried_because_a_move_names_its_end_state():
    faults = Faults(fail_before_commit=0.5, random_seed=4)
    with sandbox_client(SandboxConfig(faults=faults), max_wait=0.01) as (sb, client):
        async with client:
            sb.set_faults(fail_before_commit=0.0)
            created = await client.create_incident(body("retried move"))
            sb.set_faults(fail_before_commit=0.6, random_seed=4)
            moved = await client.move_incident_stage(created.incident_id, "Remediating")

    assert moved.stage_name == "Remediating"
    assert moved.attempts > 1  # this seed fails the first attempt
    assert client.stats.retries >= 1
