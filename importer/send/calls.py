"""`Caller`: makes one API call and turns its outcome into a response or one `SendError`.

Every call goes: seat (bounded concurrency) → endpoint slot (pacing) → request with the cached
token → one 401 refresh-and-replay → classify the outcome → retry only what is safe to retry.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TypeVar

import httpx

from importer.errors import (
    AmbiguousSendError,
    AuthError,
    FatalSendError,
    RowRejectedError,
    SendError,
)
from importer.send import responses
from importer.send.auth import AccessToken, Credentials, TokenCache
from importer.send.classify import classify_exception, classify_status, parse_retry_after
from importer.send.pacing import Pacers
from importer.send.retrying import Call, RetryPolicy
from importer.send.stats import SendStats

__all__ = ["Caller"]

log = logging.getLogger("importer.send")

T = TypeVar("T")

_HINTS = {
    403: "the API client needs the scopes INCIDENT, INCIDENT_CREATE, INCIDENT_READ, ORGANIZATION",
    404: "check ONETRUST_HOSTNAME: it must be the tenant's OneTrust host",
}


class Caller:
    """Sends `Call`s for one client: seats, pacing, token, retries, and the errors they raise."""

    def __init__(
        self,
        credentials: Credentials,
        http: httpx.AsyncClient,
        *,
        concurrency: int,
        pacers: Pacers,
        retry: RetryPolicy,
        tokens: TokenCache,
        stats: SendStats,
    ) -> None:
        self.credentials = credentials
        self._http = http
        self._seats = asyncio.Semaphore(concurrency)
        self._pacers = pacers
        self._retry = retry
        self._tokens = tokens
        self._stats = stats

    async def call(self, call: Call) -> httpx.Response:
        """The call's response: 2xx or one of `call.passthrough`; anything else raises."""
        # The seat is held across retries so a retried row keeps its place after a 429 pause.
        async with self._seats:
            return await self._retry.run(call, lambda: self._attempt(call))

    def parsed(
        self, call: Call, response: httpx.Response, parse: Callable[[httpx.Response], T]
    ) -> T:
        """`parse(response)`; a body it cannot read means the host is not the register."""
        try:
            return parse(response)
        except ValueError as exc:
            raise FatalSendError(
                f"{call.what}: unexpected answer (HTTP {response.status_code}): {exc}",
                status_code=response.status_code,
                attempts=call.attempts,
                hint="check ONETRUST_HOSTNAME: it must be the tenant's OneTrust host",
            ) from None

    async def _attempt(self, call: Call) -> httpx.Response:
        token = await self._tokens.current()
        response = await self._send(call, token)
        if response.status_code == 401:
            # A 401 means the request was not applied: refresh once and replay it.
            token = await self._tokens.replace(token)
            response = await self._send(call, token)
            if response.status_code == 401:
                raise AuthError(
                    f"the register refused a fresh token for client id "
                    f"{self.credentials.client_id!r} on {call.what} (HTTP 401)",
                    status_code=401,
                    hint="check the API client's scopes and that it is enabled",
                )
        return self._checked(call, response)

    async def _send(self, call: Call, token: AccessToken) -> httpx.Response:
        await self._pacers[call.endpoint].wait_turn()
        call.attempts += 1
        if call.attempts > 1:
            self._stats.retries += 1
        try:
            response = await self._http.request(
                call.method, call.path, json=call.json, params=call.params, headers=token.header()
            )
        except (httpx.RequestError, httpx.InvalidURL) as exc:
            self._stats.count_transport_error(call.endpoint, exc)
            raise self._transport_error(call, exc) from exc
        self._stats.count_response(call.endpoint, response.status_code)
        log.debug("%s -> %d (request %d)", call.what, response.status_code, call.attempts)
        return response

    def _transport_error(self, call: Call, exc: Exception) -> SendError:
        error_class = classify_exception(exc, idempotent=call.idempotent)
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if error_class is AmbiguousSendError:
            self._stats.ambiguous += 1
            return AmbiguousSendError(
                f"{call.what}: {reason} while the request was in flight; "
                "the incident may have been created"
            )
        return error_class(f"{call.what}: {reason}")

    def _checked(self, call: Call, response: httpx.Response) -> httpx.Response:
        status = response.status_code
        if status in call.passthrough:
            return response
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 429:
            self._stats.paused_seconds += self._pacers[call.endpoint].pause_throttled(retry_after)
        error_class = classify_status(status, idempotent=call.idempotent, retry_after=retry_after)
        if error_class is None:
            return response
        if error_class is AmbiguousSendError:
            self._stats.ambiguous += 1
        message = _status_message(call, response, error_class, self.credentials.client_id)
        details = None
        if error_class is RowRejectedError:
            # The row's reasons: kept, but bounded and without anything the request carried.
            secrets = self._secrets_in(response.request)
            message = f"{message}: {responses.excerpt(response, secrets)}"
            details = responses.bounded_details(response, secrets)
        raise error_class(
            message,
            status_code=status,
            retry_after=retry_after,
            details=details,
            hint=_HINTS.get(status),
        )

    def _secrets_in(self, request: httpx.Request) -> list[str]:
        """What a server must not get to echo into our errors: the bearer token, the secret."""
        token = request.headers.get("Authorization", "").partition(" ")[2]
        return [s for s in (token.strip(), self.credentials.client_secret) if s]


def _status_message(
    call: Call, response: httpx.Response, error_class: type[SendError], client_id: str
) -> str:
    status = response.status_code
    if error_class is RowRejectedError:
        return f"the register rejected {call.what} (HTTP {status})"
    if error_class is AmbiguousSendError:
        return f"{call.what}: HTTP {status}; the incident may have been created"
    if status == 403:
        return f"client id {client_id!r} may not {call.what} (HTTP 403)"
    if status == 404:
        return f"{call.what}: no such endpoint on {response.request.url.host} (HTTP 404)"
    # The standard phrase, not the server's: an HTTP/1.1 reason phrase is free text.
    return f"{call.what}: HTTP {status} {httpx.codes.get_reason_phrase(status)}".rstrip()
