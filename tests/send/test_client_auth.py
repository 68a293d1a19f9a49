"""Tokens: one fetch shared by all workers, refresh before expiry, 401 replay, secrets kept out."""

from __future__ import annotations

import asyncio
import logging

import httpx
import pytest
from send_fakes import CREDS, SECRET, FakeRegister, client_for, raises, status

from importer.errors import AuthError, FatalSendError, SendError
from importer.send import RegisterClient

pytestmark = pytest.mark.anyio

BODY = {
    "name": "x",
    "incidentTypeName": "Phishing",
    "orgGroupId": "d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6",
}


async def test_token_request_is_multipart_client_credentials(fake):
    async with client_for(fake) as client:
        await client.authenticate()
    (request,) = fake.token_requests
    assert request.method == "POST"
    assert request.headers["Content-Type"].startswith("multipart/form-data")
    body = request.content.decode()
    for name, value in [
        ("grant_type", "client_credentials"),
        ("client_id", "import-bot"),
        ("client_secret", SECRET),
    ]:
        assert f'name="{name}"\r\n\r\n{value}\r\n' in body


async def test_create_carries_the_bearer_token_and_body(fake):
    async with client_for(fake) as client:
        result = await client.create_incident(BODY)
    (request,) = fake.requests
    assert request.headers["Authorization"] == f"Bearer {fake.issued[0]}"
    assert request.url.path == "/api/incident/v1/incidents"
    assert request.read() == httpx.Request("POST", "/", json=BODY).read()
    assert (result.incident_id, result.status_code, result.attempts) == (fake.created[0], 201, 1)


async def test_concurrent_workers_share_one_token_fetch():
    fake = FakeRegister(token_delay=0.05)  # a slow token endpoint widens the race
    async with client_for(fake, concurrency=8) as client:
        results = await asyncio.gather(*(client.create_incident(BODY) for _ in range(20)))
    assert len(fake.token_requests) == 1
    assert len({r.incident_id for r in results}) == 20
    assert client.stats.token_refreshes == 0


async def test_token_is_refreshed_before_it_expires():
    fake = FakeRegister(expires_in=0.2)  # refreshed at half its life: after 0.1 s
    async with client_for(fake) as client:
        await client.create_incident(BODY)
        await asyncio.sleep(0.12)
        await client.create_incident(BODY)
    assert len(fake.token_requests) == 2
    assert client.stats.token_refreshes == 1
    assert fake.requests[1].headers["Authorization"] == f"Bearer {fake.issued[1]}"
    assert client.stats.by_status == {201: 2}  # no 401 was needed


async def test_a_401_refreshes_once_and_replays(fake):
    async with client_for(fake) as client:
        await client.authenticate()
        fake.revoke_all()  # e.g. the tenant rotated tokens mid-run
        result = await client.create_incident(BODY)
    assert result.attempts == 2
    assert len(fake.created) == 1
    assert [r.headers["Authorization"] for r in fake.requests] == [
        f"Bearer {fake.issued[0]}",
        f"Bearer {fake.issued[1]}",
    ]
    assert client.stats.token_refreshes == 1
    assert client.stats.by_status == {401: 1, 201: 1}


async def test_workers_hit_by_401_together_refresh_once():
    fake = FakeRegister(token_delay=0.05)  # every worker sees its 401 before the refresh ends
    async with client_for(fake, concurrency=6) as client:
        await client.authenticate()
        fake.revoke_all()
        results = await asyncio.gather(*(client.create_incident(BODY) for _ in range(6)))
    assert len(fake.created) == 6
    assert all(r.attempts == 2 for r in results)
    assert len(fake.token_requests) == 2  # the first token, then one shared refresh


async def test_a_second_401_is_an_auth_error(fake):
    fake.script.extend([status(401)])  # the fresh token is refused too
    async with client_for(fake) as client:
        await client.authenticate()
        fake.revoke_all()
        with pytest.raises(AuthError) as info:
            await client.create_incident(BODY)
    assert "import-bot" in str(info.value)
    assert (info.value.status_code, info.value.attempts) == (401, 2)


@pytest.mark.parametrize("code", [400, 401, 403])
async def test_refused_credentials_name_the_client_not_the_secret(fake, code):
    fake.token_status = code
    async with client_for(fake) as client:
        with pytest.raises(AuthError, match="client id 'import-bot'") as info:
            await client.authenticate()
    assert info.value.status_code == code
    assert len(fake.token_requests) == 1  # bad credentials are not retried
    _assert_no_secret(info.value, fake)


async def test_missing_token_endpoint_is_fatal(fake):
    fake.token_status = 404
    async with client_for(fake) as client:
        with pytest.raises(FatalSendError, match="no such endpoint") as info:
            await client.create_incident(BODY)
    assert info.value.hint is not None and "ONETRUST_HOSTNAME" in info.value.hint
    assert fake.requests == []


async def test_a_failing_token_endpoint_ends_the_run_after_max_attempts(fake):
    fake.token_status = 503
    async with client_for(fake, max_attempts=3) as client:
        with pytest.raises(FatalSendError, match="could not get an access token") as info:
            await client.create_incident(BODY)
    assert len(fake.token_requests) == 3  # not retried again by the create's own retries
    assert info.value.status_code == 503 and fake.requests == []


async def test_token_fetch_retries_a_connect_error(fake: FakeRegister) -> None:
    calls: list[httpx.Request] = []

    async def flaky(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth/token") and not calls:
            calls.append(request)
            raise httpx.ConnectError("refused", request=request)
        return await fake.handler(request)

    client = RegisterClient(CREDS, transport=httpx.MockTransport(flaky), max_wait=0.01)
    async with client:
        await client.create_incident(BODY)
    assert len(calls) == 1 and len(fake.token_requests) == 1


async def test_secrets_never_reach_logs_or_errors(fake, caplog):
    caplog.set_level(logging.DEBUG)
    fake.script.extend(
        [
            status(400, json={"errors": ["name is required"]}),
            status(500),
            raises(httpx.ReadTimeout),
            status(403),
        ]
    )
    errors: list[SendError] = []
    async with client_for(fake) as client:
        for _ in range(4):
            try:
                await client.create_incident(BODY)
            except SendError as exc:
                errors.append(exc)
        fake.revoke_all()
        fake.token_status = 401
        try:
            await client.create_incident(BODY)
        except SendError as exc:
            errors.append(exc)
        text = repr(client) + repr(client.credentials) + repr(client.stats)
    assert [type(e).__name__ for e in errors] == [
        "RowRejectedError",
        "AmbiguousSendError",
        "AmbiguousSendError",
        "FatalSendError",
        "AuthError",
    ]
    for error in errors:
        _assert_no_secret(error, fake)
    for secret in [SECRET, *fake.issued]:
        assert secret not in caplog.text
        assert secret not in text
    assert "import-bot" in caplog.text or any("import-bot" in str(e) for e in errors)


def _assert_no_secret(exc: BaseException, fake: FakeRegister) -> None:
    """Neither the client secret nor any token in the error, its hint, details or causes."""
    seen = []
    current: BaseException | None = exc
    while current is not None:
        seen += [str(current), repr(current), repr(current.args)]
        seen += [str(getattr(current, a, "")) for a in ("hint", "details", "message")]
        current = current.__cause__ or current.__context__
    for secret in [SECRET, *fake.issued]:
        assert not any(secret in text for text in seen), f"{secret!r} leaked into {exc!r}"


def test_credentials_used_by_the_fakes_hide_their_secret():
    assert SECRET not in repr(CREDS)
