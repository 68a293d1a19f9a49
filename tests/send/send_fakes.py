"""Test helpers for the sender: a scripted fake register for `httpx.MockTransport`."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import deque
from collections.abc import Callable
from typing import Any

import httpx

from importer.send import Credentials, RegisterClient
from importer.send.auth import TOKEN_PATH

SECRET = "s3cr3t-value-never-shown"
CREDS = Credentials("https://tenant.example.com", "import-bot", SECRET)

Step = httpx.Response | Callable[[httpx.Request], "httpx.Response | Exception"]


class FakeRegister:
    """Token endpoint plus API answers taken from `script` in order (then `default`).

    Every API request is recorded with its arrival time; a request whose bearer token was not
    issued (or was revoked) gets 401 without consuming a scripted answer.
    """

    def __init__(self, *, expires_in: float = 3600, token_delay: float = 0.0) -> None:
        self.expires_in = expires_in
        self.token_delay = token_delay
        self.token_requests: list[httpx.Request] = []
        self.requests: list[httpx.Request] = []
        self.arrivals: list[float] = []
        self.valid: set[str] = set()
        self.issued: list[str] = []
        self.script: deque[Step] = deque()
        self.token_status = 200
        self.created: list[str] = []

    def default(self, request: httpx.Request) -> httpx.Response:
        """Creates succeed with a new id; any other call answers an empty JSON list."""
        if request.method != "POST" or not request.url.path.endswith("/incidents"):
            return httpx.Response(200, json=[])
        incident_id = str(uuid.uuid4())
        self.created.append(incident_id)
        return httpx.Response(201, json=incident_id)

    def revoke_all(self) -> None:
        self.valid.clear()

    async def handler(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            return await self._token(request)
        self.requests.append(request)
        self.arrivals.append(time.monotonic())
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.valid:
            return httpx.Response(401, json={"error": "invalid_token"})
        step: Step = self.script.popleft() if self.script else self.default
        answer = step(request) if callable(step) else step
        if isinstance(answer, Exception):
            raise answer
        return answer

    async def _token(self, request: httpx.Request) -> httpx.Response:
        self.token_requests.append(request)
        if self.token_delay:
            await asyncio.sleep(self.token_delay)
        if self.token_status != 200:
            return httpx.Response(self.token_status, json={"error": "invalid_client"})
        token = f"tok-{uuid.uuid4().hex}"
        self.issued.append(token)
        self.valid.add(token)
        body: dict[str, Any] = {
            "access_token": token,
            "token_type": "bearer",
            "expires_in": self.expires_in,
        }
        return httpx.Response(200, json=body)


def client_for(fake: FakeRegister, **options: Any) -> RegisterClient:
    """A client on the fake register: fast pacing and millisecond backoffs unless overridden."""
    options.setdefault("rate_per_minute", 600_000)
    options.setdefault("max_wait", 0.02)
    return RegisterClient(CREDS, transport=httpx.MockTransport(fake.handler), **options)


def status(code: int, **kwargs: Any) -> Callable[[httpx.Request], httpx.Response]:
    """A scripted answer with `code`; e.g. `status(429, headers={"Retry-After": "0.01"})`."""
    return lambda request: httpx.Response(code, **kwargs)


def raises(exc_class: type[httpx.RequestError], message: str = "boom") -> Step:
    """A scripted transport failure of `exc_class` on the request."""
    return lambda request: exc_class(message, request=request)
