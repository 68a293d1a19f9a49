"""Fault injection: 500 before/after commit, dropped connection after commit, 503, latency."""

from __future__ import annotations

import asyncio
import logging
import time

import httpx
import pytest

from importer.sandbox import Faults, SandboxConfig, SandboxConfigError, running_sandbox

INCIDENTS = "/api/incident/v1/incidents"
ORGS = "/api/access/v1/external/organizations"
SEARCH = "/api/incident/v1/incidents/search"


def test_drop_after_commit_stores_the_incident_but_sends_no_response(
    api, sandbox, make_body, caplog
):
    sandbox.set_faults(drop_after_commit=1.0)

    with (
        caplog.at_level(logging.INFO),
        pytest.raises(httpx.RemoteProtocolError, match="without sending a response"),
    ):
        api.post(INCIDENTS, json=make_body(name="Dropped but stored"))

    assert [i["name"] for i in sandbox.incidents()] == ["Dropped but stored"]
    assert sandbox.counts()["faults_injected"] == {"drop_after_commit": 1}
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]  # a clean hang-up


def test_client_can_go_on_after_a_dropped_connection(api, sandbox, make_body):
    sandbox.set_faults(drop_after_commit=1.0)
    with pytest.raises(httpx.RemoteProtocolError):
        api.post(INCIDENTS, json=make_body())
    sandbox.set_faults(drop_after_commit=0.0)

    assert api.post(INCIDENTS, json=make_body()).status_code == 201
    assert sandbox.counts()["incidents"] == 2
    assert sandbox.counts()["duplicates"] == 1  # the blind resend made a duplicate


def test_fail_before_commit_is_500_and_stores_nothing(api, sandbox, make_body):
    sandbox.set_faults(fail_before_commit=1.0)

    response = api.post(INCIDENTS, json=make_body())

    assert response.status_code == 500
    assert sandbox.counts()["incidents"] == 0


def test_fail_after_commit_is_500_but_the_incident_is_stored(api, sandbox, make_body):
    sandbox.set_faults(fail_after_commit=1.0)

    response = api.post(INCIDENTS, json=make_body(name="Stored despite 500"))

    assert response.status_code == 500
    assert "incidentId" not in response.text
    assert [i["name"] for i in sandbox.incidents()] == ["Stored despite 500"]


def test_unavailable_is_503_with_retry_after_and_stores_nothing(api, sandbox, make_body):
    sandbox.set_faults(unavailable=1.0, unavailable_retry_after=7)

    response = api.post(INCIDENTS, json=make_body())

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "7"
    assert sandbox.counts()["incidents"] == 0


def test_fractional_retry_after_is_sent_as_given(api, sandbox):
    sandbox.set_faults(unavailable=1.0, unavailable_retry_after=0.05)

    response = api.post(SEARCH, json={})

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "0.05"


def test_unavailable_spares_token_and_lookup_endpoints(api, sandbox, fetch_token):
    sandbox.set_faults(unavailable=1.0)

    assert fetch_token(sandbox)
    assert api.get(ORGS).status_code == 200


def test_faults_do_not_touch_invalid_bodies(api, sandbox, make_body):
    sandbox.set_faults(fail_before_commit=1.0, fail_after_commit=1.0)

    assert api.post(INCIDENTS, json=make_body(name="")).status_code == 400


def test_latency_is_added_to_api_calls(api, sandbox):
    sandbox.set_faults(latency_ms=150)

    started = time.perf_counter()
    api.get(ORGS)
    elapsed = time.perf_counter() - started

    assert elapsed >= 0.15


def test_latency_does_not_serialize_concurrent_calls(sandbox, fetch_token):
    sandbox.set_faults(latency_ms=300)
    headers = {"Authorization": f"Bearer {fetch_token(sandbox)}"}

    async def burst() -> list[int]:
        async with httpx.AsyncClient(base_url=sandbox.base_url, headers=headers) as client:
            responses = await asyncio.gather(*(client.get(ORGS) for _ in range(8)))
        return [r.status_code for r in responses]

    started = time.perf_counter()
    statuses = asyncio.run(burst())
    elapsed = time.perf_counter() - started

    assert statuses == [200] * 8
    assert elapsed < 8 * 0.3 / 2


def test_probabilities_fire_about_as_often_as_asked(api, sandbox, make_body):
    sandbox.set_faults(fail_before_commit=0.3, random_seed=7)

    statuses = [api.post(INCIDENTS, json=make_body()).status_code for _ in range(100)]

    assert 15 <= statuses.count(500) <= 45
    assert statuses.count(201) == sandbox.counts()["incidents"]


def test_same_random_seed_gives_the_same_faults(api, sandbox, make_body):
    def pattern() -> list[int]:
        sandbox.set_faults(fail_before_commit=0.5, random_seed=1234)
        return [api.post(INCIDENTS, json=make_body()).status_code for _ in range(20)]

    first, second = pattern(), pattern()

    assert first == second
    assert set(first) == {201, 500}


def test_faults_set_at_start_apply_from_the_first_call(make_body, fetch_token):
    config = SandboxConfig(faults=Faults(fail_before_commit=1.0))

    with running_sandbox(config) as sandbox:
        headers = {"Authorization": f"Bearer {fetch_token(sandbox)}"}
        response = httpx.post(sandbox.base_url + INCIDENTS, json=make_body(), headers=headers)
        faults = sandbox.faults()

    assert response.status_code == 500
    assert faults["fail_before_commit"] == 1.0


@pytest.mark.parametrize(
    "knobs",
    [{"fail_after_commit": 1.5}, {"latency_ms": -1}, {"explode": 1.0}, {"random_seed": "x"}],
    ids=["probability-over-1", "negative-latency", "unknown-knob", "seed-not-int"],
)
def test_bad_fault_knobs_are_refused_and_change_nothing(sandbox, knobs):
    before = sandbox.faults()

    with pytest.raises(SandboxConfigError):
        sandbox.set_faults(**knobs)

    assert sandbox.faults() == before
