"""A failing token endpoint stops the run with a fixed message: no row error, none of its text."""

from __future__ import annotations

import time
from collections.abc import Callable

import httpx
import pytest
from send_fakes import CREDS, SECRET, FakeRegister

from importer.errors import AuthError, FatalSendError, SendError
from importer.send import RegisterClient
from importer.send.auth import TOKEN_PATH

pytestmark = pytest.mark.anyio

BODY = {
    "name": "x",
    "incidentTypeName": "Phishing",
    "orgGroupId": "d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6",
}
MAX_ATTEMPTS = 3

TokenAnswer = Callable[[httpx.Request], httpx.Response]


def echoing(code: int, **headers: str) -> TokenAnswer:
    """A careless token endpoint: echoes the submitted form in its body and reason phrase."""

    def answer(request: httpx.Request) -> httpx.Response:
        form = request.read().decode()
        return httpx.Response(
            code,
            headers={"Content-Type": "text/plain", **headers},
            text=f"cannot process client_secret={SECRET}\n{form}",
            extensions={"reason_phrase": f"Refused {SECRET}".encode()},
        )

    return answer


class TokenFailure:
    """Token requests answered by `answers` in order, the last one repeated; `None` lets the
    fake register issue a real token. API requests go to that `FakeRegister`."""

    def __init__(self, *answers: TokenAnswer | None) -> None:
        self.answers = list(answers)
        self.register = FakeRegister()
        self.token_arrivals: list[float] = []

    async def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path != TOKEN_PATH:
            return await self.register.handler(request)
        self.token_arrivals.append(time.monotonic())
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        return await self.register.handler(request) if answer is None else answer(request)

    def client(self, **options: float) -> RegisterClient:
        options = {"rate_per_minute": 600_000, "max_wait": 0.02, **options}
        return RegisterClient(
            CREDS,
            transport=httpx.MockTransport(self.handler),
            max_attempts=MAX_ATTEMPTS,
            **options,
        )


# (id, token endpoint answer, expected class, token requests made)
TOKEN_TABLE = [
    ("400", echoing(400), AuthError, 1),
    ("401", echoing(401), AuthError, 1),
    ("403", echoing(403), AuthError, 1),
    ("404", echoing(404), FatalSendError, 1),
    ("409", echoing(409), FatalSendError, 1),
    ("413", echoing(413), FatalSendError, 1),
    ("422", echoing(422), FatalSendError, 1),
    ("423", echoing(423), FatalSendError, 1),
    ("302", echoing(302, Location="https://login.example.com/"), FatalSendError, 1),
    ("500-exhausted", echoing(500), FatalSendError, MAX_ATTEMPTS),
    ("503-exhausted", echoing(503, **{"Retry-After": "0.01"}), FatalSendError, MAX_ATTEMPTS),
    ("429-exhausted", echoing(429, **{"Retry-After": "0.01"}), FatalSendError, MAX_ATTEMPTS),
    ("429-wait-too-long", echoing(429, **{"Retry-After": "60"}), FatalSendError, 1),
    ("200-not-json", echoing(200), FatalSendError, 1),
]


@pytest.mark.parametrize(
    ("answer", "error_class", "requests"),
    [row[1:] for row in TOKEN_TABLE],
    ids=[row[0] for row in TOKEN_TABLE],
)
async def test_a_failing_token_endpoint_stops_the_run_without_quoting_it(
    answer, error_class, requests
):
    failure = TokenFailure(answer)
    async with failure.client() as client:
        with pytest.raises(SendError) as info:
            await client.create_incident(BODY)
    exc = info.value
    assert type(exc) is error_class  # never RowRejectedError: the row did nothing wrong
    assert len(failure.token_arrivals) == requests
    assert failure.register.requests == []
    assert "import-bot" in str(exc)
    assert exc.details is None
    if exc.status_code != 200:
        assert f"HTTP {exc.status_code}" in str(exc)
    assert_nothing_quoted(exc)


@pytest.mark.parametrize(
    "failure", [httpx.ConnectError, httpx.RemoteProtocolError], ids=lambda e: e.__name__
)
async def test_token_transport_failures_end_in_a_fatal_error(failure):
    def answer(request: httpx.Request) -> httpx.Response:
        raise failure("gone", request=request)

    token_failure = TokenFailure(answer)
    async with token_failure.client() as client:
        with pytest.raises(SendError) as info:
            await client.create_incident(BODY)
    assert type(info.value) is FatalSendError
    assert "could not get an access token for client id 'import-bot'" in str(info.value)
    assert len(token_failure.token_arrivals) == MAX_ATTEMPTS  # each is safe to retry
    assert_nothing_quoted(info.value)


@pytest.mark.parametrize(
    "failure",
    [httpx.ConnectTimeout, httpx.ReadTimeout, httpx.WriteTimeout],
    ids=lambda e: e.__name__,
)
async def test_a_first_token_that_times_out_stops_at_once_naming_the_wait(failure):
    # Each attempt already waited the whole timeout: eight of them would be minutes of silence.
    def answer(request: httpx.Request) -> httpx.Response:
        raise failure("gone", request=request)

    token_failure = TokenFailure(answer)
    async with token_failure.client() as client:
        with pytest.raises(SendError) as info:
            await client.create_incident(BODY)
    assert type(info.value) is FatalSendError
    assert "did not answer within 30 s" in str(info.value)
    assert len(token_failure.token_arrivals) == 1
    assert_nothing_quoted(info.value)


async def test_a_refresh_refused_mid_run_stops_the_run_not_the_row():
    failure = TokenFailure(None, echoing(409))  # the first token is fine, its refresh is not
    async with failure.client() as client:
        await client.create_incident(BODY)
        failure.register.revoke_all()  # the next create gets a 401 and asks for a new token
        with pytest.raises(SendError) as info:
            await client.create_incident(BODY)
    assert type(info.value) is FatalSendError and info.value.status_code == 409
    assert len(failure.register.created) == 1
    assert_nothing_quoted(info.value)


async def test_a_token_429_holds_the_retry_for_its_retry_after():
    failure = TokenFailure(echoing(429, **{"Retry-After": "0.1"}), None)
    async with failure.client(max_wait=1.0) as client:
        result = await client.create_incident(BODY)
    first, second = failure.token_arrivals
    assert second - first >= 0.09
    assert result.attempts == 1 and client.stats.paused_seconds > 0


def assert_nothing_quoted(exc: BaseException) -> None:
    """No secret, and no word of the token endpoint's answer, in the error or its causes."""
    seen: list[str] = []
    current: BaseException | None = exc
    while current is not None:
        seen += [str(current), repr(current), repr(current.args)]
        seen += [str(getattr(current, name, "")) for name in ("message", "hint", "details")]
        current = current.__cause__ or current.__context__
    text = "\n".join(seen)
    assert SECRET not in text
    assert "cannot process" not in text and "Refused" not in text
