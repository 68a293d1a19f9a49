"""Create's retry rule on a fake register: resend only what certainly did not run."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import httpx
import pytest
from send_fakes import FakeRegister, client_for, raises, status

from importer.errors import (
    AmbiguousSendError,
    FatalSendError,
    RetryableSendError,
    RowRejectedError,
    SendError,
)
from importer.send import pacing

pytestmark = pytest.mark.anyio

BODY = {
    "name": "x",
    "incidentTypeName": "Phishing",
    "orgGroupId": "d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6",
}
PAST_DATE = format_datetime(datetime.now(UTC) - timedelta(minutes=5), usegmt=True)

RETRIED_TABLE = [
    ("429-seconds", status(429, headers={"Retry-After": "0.01"})),
    ("429-http-date", status(429, headers={"Retry-After": PAST_DATE})),
    ("429-garbage-header", status(429, headers={"Retry-After": "later"})),
    ("503-retry-after", status(503, headers={"Retry-After": "0.01"})),
    ("408", status(408)),
    ("ConnectError", raises(httpx.ConnectError)),
    ("ConnectTimeout", raises(httpx.ConnectTimeout)),
    ("PoolTimeout", raises(httpx.PoolTimeout)),
]


@pytest.mark.parametrize(
    "failure", [f for _, f in RETRIED_TABLE], ids=[i for i, _ in RETRIED_TABLE]
)
async def test_certainly_unapplied_failures_are_retried(fake, failure, monkeypatch):
    monkeypatch.setattr(pacing, "PAUSE_WITHOUT_RETRY_AFTER", 0.01)
    fake.script.append(failure)
    async with client_for(fake) as client:
        result = await client.create_incident(BODY)
    assert result.attempts == 2
    assert len(fake.requests) == 2
    assert fake.created == [result.incident_id]
    assert client.stats.retries == 1


AMBIGUOUS_TABLE = [
    ("500", status(500), 500),
    ("502", status(502), 502),
    ("504", status(504), 504),
    ("503-without-retry-after", status(503), 503),
    ("ReadTimeout", raises(httpx.ReadTimeout), None),
    ("RemoteProtocolError", raises(httpx.RemoteProtocolError), None),
    ("ReadError", raises(httpx.ReadError), None),
    ("WriteError", raises(httpx.WriteError), None),
    ("201-without-id", status(201, text="<html>ok</html>"), 201),
]


@pytest.mark.parametrize(
    ("failure", "code"),
    [(f, c) for _, f, c in AMBIGUOUS_TABLE],
    ids=[i for i, _, _ in AMBIGUOUS_TABLE],
)
async def test_maybe_applied_creates_are_ambiguous_and_never_resent(fake, failure, code):
    fake.script.append(failure)
    async with client_for(fake) as client:
        with pytest.raises(AmbiguousSendError, match="may have been created") as info:
            await client.create_incident(BODY)
    assert len(fake.requests) == 1
    assert (info.value.status_code, info.value.attempts) == (code, 1)
    assert client.stats.ambiguous == 1


FINAL_TABLE = [
    (
        "400",
        status(400, json={"errors": [{"field": "name", "message": "required"}]}),
        RowRejectedError,
    ),
    ("422", status(422, json={"message": "bad"}), RowRejectedError),
    ("403", status(403), FatalSendError),
    ("404", status(404), FatalSendError),
    ("302", status(302, headers={"Location": "https://login.example.com"}), FatalSendError),
    ("LocalProtocolError", raises(httpx.LocalProtocolError), FatalSendError),
]


@pytest.mark.parametrize(
    ("failure", "error_class"),
    [(f, e) for _, f, e in FINAL_TABLE],
    ids=[i for i, _, _ in FINAL_TABLE],
)
async def test_refusals_are_not_retried(fake, failure, error_class):
    fake.script.append(failure)
    async with client_for(fake) as client:
        with pytest.raises(error_class) as info:
            await client.create_incident(BODY)
    assert type(info.value) is error_class
    assert len(fake.requests) == 1 and info.value.attempts == 1


async def test_rejection_carries_the_servers_details(fake):
    problems = {"errors": [{"field": "orgGroupId", "message": "unknown organization"}]}
    fake.script.append(status(400, json=problems))
    async with client_for(fake) as client:
        with pytest.raises(RowRejectedError, match="unknown organization") as info:
            await client.create_incident(BODY)
    assert info.value.details == problems
    assert info.value.status_code == 400


async def test_forbidden_hints_at_scopes(fake):
    fake.script.append(status(403))
    async with client_for(fake) as client:
        with pytest.raises(FatalSendError, match="import-bot") as info:
            await client.create_incident(BODY)
    assert info.value.hint is not None and "INCIDENT_CREATE" in info.value.hint


EXHAUSTED_TABLE = [
    ("429", status(429, headers={"Retry-After": "0"}), 429),
    ("503-retry-after", status(503, headers={"Retry-After": "0"}), 503),
    ("ConnectError", raises(httpx.ConnectError), None),
]


@pytest.mark.parametrize(
    ("failure", "code"),
    [(f, c) for _, f, c in EXHAUSTED_TABLE],
    ids=[i for i, _, _ in EXHAUSTED_TABLE],
)
async def test_exhausted_retries_raise_retryable(fake, failure, code):
    fake.script.extend([failure] * 3)
    async with client_for(fake, max_attempts=3) as client:
        with pytest.raises(RetryableSendError) as info:
            await client.create_incident(BODY)
    assert (info.value.status_code, info.value.attempts) == (code, 3)
    assert fake.created == [] and len(fake.requests) == 3
    assert client.stats.retries == 2


async def test_retry_after_longer_than_max_wait_ends_the_call_at_once(fake):
    fake.script.append(status(503, headers={"Retry-After": "30"}))
    async with client_for(fake, max_wait=5) as client:
        with pytest.raises(RetryableSendError) as info:
            await client.create_incident(BODY)
    assert (info.value.attempts, info.value.retry_after) == (1, 30.0)


async def test_503_waits_its_retry_after(fake):
    fake.script.append(status(503, headers={"Retry-After": "0.15"}))
    async with client_for(fake, max_wait=1) as client:
        await client.create_incident(BODY)
    assert fake.arrivals[1] - fake.arrivals[0] >= 0.15 - 0.002


async def test_a_429_pauses_every_worker_of_the_endpoint(fake):
    fake.script.append(status(429, headers={"Retry-After": "0.2"}))
    async with client_for(fake, rate_per_minute=6000, concurrency=4, max_wait=1) as client:
        results = await asyncio.gather(*(client.create_incident(BODY) for _ in range(8)))
    first, *later = fake.arrivals
    assert len(later) == 8 and all(t >= first + 0.2 - 0.002 for t in later)
    assert len(fake.created) == 8 and sum(r.attempts for r in results) == 9
    assert client.stats.throttled == 1
    assert client.stats.paused_seconds == pytest.approx(0.2, abs=0.02)


async def test_a_429_does_not_pause_other_endpoints():
    fake = FakeRegister()
    fake.script.append(status(429, headers={"Retry-After": "0.5"}))
    fake.script.append(status(200, json=[]))
    async with client_for(fake, max_wait=1) as client:
        create = asyncio.create_task(client.create_incident(BODY))
        await asyncio.sleep(0.05)  # the create has had its 429
        started = time.monotonic()
        await client.search_incidents("x")
        assert time.monotonic() - started < 0.3
        await create


async def test_every_send_error_has_attempts(fake):
    failures = [status(400), status(500), raises(httpx.ReadTimeout), status(403)]
    fake.script.extend(failures)
    async with client_for(fake) as client:
        for _ in failures:
            with pytest.raises(SendError) as info:
                await client.create_incident(BODY)
            assert info.value.attempts >= 1
