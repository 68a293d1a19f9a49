"""`RegisterClient`: the async client of the Incident Register (paced, retrying, exactly-once safe).

Every call goes: seat (bounded concurrency) → endpoint slot (pacing) → request with the cached
token → one 401 refresh-and-replay → classify the outcome → retry only what is safe to retry.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

from importer import __version__
from importer.errors import (
    AmbiguousSendError,
    AuthError,
    ConfigError,
    FatalSendError,
    RetryableSendError,
    RowRejectedError,
    SendError,
)
from importer.send import responses
from importer.send.auth import TOKEN_PATH, AccessToken, Credentials, TokenCache
from importer.send.classify import classify_exception, classify_status, parse_retry_after
from importer.send.pacing import Pacers
from importer.send.stats import SendStats

__all__ = ["CreateResult", "RegisterClient"]

log = logging.getLogger("importer.send")

INCIDENTS_PATH = "/api/incident/v1/incidents"
SEARCH_PATH = "/api/incident/v1/incidents/search"
ORGANIZATIONS_PATH = "/api/access/v1/external/organizations"
USERS_PATH = "/api/scim/v2/Users"

BACKOFF_FIRST_WINDOW = 0.5  # seconds: full jitter draws from [0, 0.5], then [0, 1], [0, 2], ...
PAUSE_WITHOUT_RETRY_AFTER = 1.0  # seconds an endpoint pauses on a 429 that names no wait

T = TypeVar("T")


@dataclass(frozen=True)
class CreateResult:
    """A created incident: its UUID, the HTTP status and how many requests it took."""

    incident_id: str
    status_code: int
    attempts: int


@dataclass
class _Call:
    """One logical API call and the requests made for it so far."""

    endpoint: str  # pacing budget: the vendor counts requests per endpoint
    method: str
    path: str
    idempotent: bool
    json: Any = None
    params: dict[str, Any] | None = None
    passthrough: frozenset[int] = frozenset()  # statuses the caller interprets itself (404 on GET)
    attempts: int = 0

    @property
    def what(self) -> str:
        return f"{self.method} {self.path}"


@dataclass
class _Options:
    max_attempts: int
    max_wait: float
    backoff: wait_random_exponential = field(init=False)

    def __post_init__(self) -> None:
        self.backoff = wait_random_exponential(multiplier=BACKOFF_FIRST_WINDOW, max=self.max_wait)


class RegisterClient:
    """Talks to one tenant's Incident Register; use as `async with RegisterClient(creds) as c:`."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        rate_per_minute: float = 900,
        concurrency: int = 4,
        timeout: float = 30.0,
        max_attempts: int = 8,
        max_wait: float = 120.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        _check_options(concurrency, timeout, max_attempts, max_wait)
        self.credentials = credentials
        self.stats = SendStats()
        self._options = _Options(max_attempts, max_wait)
        self._pacers = Pacers(rate_per_minute)
        self._seats = asyncio.Semaphore(concurrency)
        self._tokens = TokenCache(self._fetch_token)
        # One spare connection so a token refresh never waits behind the workers' requests.
        limits = httpx.Limits(
            max_connections=concurrency + 1, max_keepalive_connections=concurrency + 1
        )
        self._http = httpx.AsyncClient(
            base_url=credentials.base_url,
            timeout=httpx.Timeout(timeout),
            limits=limits,
            transport=transport,
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": f"incident-import/{__version__}"},
        )

    def __repr__(self) -> str:
        creds = self.credentials
        return f"RegisterClient(base_url={creds.base_url!r}, client_id={creds.client_id!r})"

    async def __aenter__(self) -> Self:
        await self._http.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    # -- the API -------------------------------------------------------------------------------

    async def authenticate(self) -> None:
        """Fetch a token now, so bad credentials fail before the first row is sent."""
        await self._tokens.current()

    async def create_incident(self, body: dict[str, Any]) -> CreateResult:
        """POST one incident. Never resends a request that may have been applied."""
        call = _Call("create", "POST", INCIDENTS_PATH, idempotent=False, json=body)
        response = await self._call(call)
        try:
            incident_id = responses.created_id(response)
        except ValueError as exc:
            self.stats.ambiguous += 1
            raise AmbiguousSendError(
                f"{call.what}: HTTP {response.status_code} but {exc}; "
                "the incident may have been created",
                status_code=response.status_code,
                attempts=call.attempts,
            ) from None
        log.debug("created incident %s in %d request(s)", incident_id, call.attempts)
        return CreateResult(incident_id, response.status_code, call.attempts)

    async def update_incident(self, incident_id: str, body: dict[str, Any]) -> int:
        """PUT an incident's new body; returns the HTTP status. PUT is idempotent, so it retries."""
        path = f"{INCIDENTS_PATH}/{_segment(incident_id)}"
        call = _Call(
            "update", "PUT", path, idempotent=True, json=body, passthrough=frozenset({404})
        )
        response = await self._call(call)
        if response.status_code == 404:
            raise RowRejectedError(
                f"incident {incident_id} is not in the register (HTTP 404)",
                status_code=404,
                attempts=call.attempts,
            )
        return response.status_code

    async def get_incident(self, incident_id: str) -> dict[str, Any] | None:
        """One incident's details, or None when the register has no such incident."""
        path = f"{INCIDENTS_PATH}/{_segment(incident_id)}"
        call = _Call("get", "GET", path, idempotent=True, passthrough=frozenset({404}))
        response = await self._call(call)
        if response.status_code == 404:
            return None
        return self._parsed(call, response, responses.as_object)

    async def search_incidents(
        self,
        full_text: str | None,
        filters: dict[str, Any] | None = None,
        *,
        page: int = 0,
        size: int = 50,
        sort: str | None = None,
    ) -> list[dict[str, Any]]:
        """One page of Search Incidents (full text over name, description, type, org, ...).

        `sort` is the vendor's `FIELD[,asc|desc]`, e.g. `"createdDate,desc"`; None keeps its order.
        """
        if not 1 <= size <= 2000 or page < 0:
            raise ValueError(f"page must be >= 0 and size 1..2000, got page={page}, size={size}")
        if sort is not None and not sort.strip():
            raise ValueError("sort must be FIELD[,asc|desc], e.g. 'createdDate,desc'")
        body: dict[str, Any] = {}
        if full_text is not None:
            body["fullText"] = full_text
        if filters:
            body["filters"] = filters
        params: dict[str, Any] = {"page": page, "size": size}
        if sort is not None:
            params["sort"] = sort.strip()
        call = _Call("search", "POST", SEARCH_PATH, idempotent=True, json=body, params=params)
        return self._parsed(call, await self._call(call), responses.as_items)

    async def list_organizations(self) -> list[dict[str, Any]]:
        """The organization tree: root organizations, each with nested `children`."""
        call = _Call("organizations", "GET", ORGANIZATIONS_PATH, idempotent=True)
        return self._parsed(call, await self._call(call), responses.as_items)

    async def find_user(self, email: str) -> dict[str, Any] | None:
        """The SCIM user whose userName is `email`, or None."""
        params = {"filter": f'userName eq "{_scim_string(email)}"'}
        call = _Call("users", "GET", USERS_PATH, idempotent=True, params=params)
        return self._parsed(call, await self._call(call), responses.first_resource)

    # -- one call: seat, retries, errors ---------------------------------------------------------

    async def _call(self, call: _Call) -> httpx.Response:
        # The seat is held across retries so a retried row keeps its place after a 429 pause.
        async with self._seats:
            return await self._with_retries(call, lambda: self._attempt(call))

    async def _with_retries(
        self, call: _Call, attempt: Callable[[], Awaitable[httpx.Response]]
    ) -> httpx.Response:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._options.max_attempts),
            wait=self._wait,
            retry=retry_if_exception(self._may_retry),
            before_sleep=_log_retry,
            reraise=True,
        )
        try:
            async for try_ in retrying:
                with try_:
                    return await attempt()
        except SendError as exc:
            exc.attempts = call.attempts  # status_code stays None for transport failures
            raise
        raise AssertionError("tenacity ended without an outcome")  # pragma: no cover

    async def _attempt(self, call: _Call) -> httpx.Response:
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

    async def _send(self, call: _Call, token: AccessToken) -> httpx.Response:
        await self._pacers[call.endpoint].wait_turn()
        call.attempts += 1
        if call.attempts > 1:
            self.stats.retries += 1
        try:
            response = await self._http.request(
                call.method, call.path, json=call.json, params=call.params, headers=token.header()
            )
        except (httpx.RequestError, httpx.InvalidURL) as exc:
            self.stats.count_transport_error(call.endpoint, exc)
            raise self._transport_error(call, exc) from exc
        self.stats.count_response(call.endpoint, response.status_code)
        log.debug("%s -> %d (request %d)", call.what, response.status_code, call.attempts)
        return response

    def _transport_error(self, call: _Call, exc: Exception) -> SendError:
        error_class = classify_exception(exc, idempotent=call.idempotent)
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if error_class is AmbiguousSendError:
            self.stats.ambiguous += 1
            return AmbiguousSendError(
                f"{call.what}: {reason} while the request was in flight; "
                "the incident may have been created"
            )
        return error_class(f"{call.what}: {reason}")

    def _checked(self, call: _Call, response: httpx.Response) -> httpx.Response:
        status = response.status_code
        if status in call.passthrough:
            return response
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 429:
            pause = PAUSE_WITHOUT_RETRY_AFTER if retry_after is None else retry_after
            self.stats.paused_seconds += self._pacers[call.endpoint].pause(pause)
        error_class = classify_status(status, idempotent=call.idempotent, retry_after=retry_after)
        if error_class is None:
            return response
        if error_class is AmbiguousSendError:
            self.stats.ambiguous += 1
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

    def _may_retry(self, exc: BaseException) -> bool:
        if not isinstance(exc, RetryableSendError):
            return False
        # A server-named wait longer than we may wait ends the call; the caller decides.
        return exc.retry_after is None or exc.retry_after <= self._options.max_wait

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, SendError) and exc.retry_after is not None:
            # A 429's wait is already enforced for every worker by the endpoint pause.
            return 0.0 if exc.status_code == 429 else exc.retry_after
        return float(self._options.backoff(state))

    def _parsed(
        self, call: _Call, response: httpx.Response, parse: Callable[[httpx.Response], T]
    ) -> T:
        try:
            return parse(response)
        except ValueError as exc:
            raise FatalSendError(
                f"{call.what}: unexpected answer (HTTP {response.status_code}): {exc}",
                status_code=response.status_code,
                attempts=call.attempts,
                hint="check ONETRUST_HOSTNAME: it must be the tenant's OneTrust host",
            ) from None

    # -- the token endpoint ----------------------------------------------------------------------

    async def _fetch_token(self) -> tuple[str, float]:
        # Whatever goes wrong here stops the run: without a token no row can be sent, and an
        # error raised inside a row's call must never read as that row's fault.
        call = _Call("token", "POST", TOKEN_PATH, idempotent=True)
        try:
            response = await self._with_retries(call, lambda: self._token_request(call))
        except FatalSendError:
            raise
        except SendError as exc:
            raise FatalSendError(
                f"could not get an access token for client id "
                f"{self.credentials.client_id!r}: {exc.message}",
                status_code=exc.status_code,
                retry_after=exc.retry_after,
                attempts=exc.attempts,
                hint="the register's token endpoint is failing; try again later",
            ) from exc
        try:
            token = responses.token_fields(response)  # its messages never quote the answer
        except ValueError as exc:
            raise FatalSendError(
                f"could not get an access token for client id {self.credentials.client_id!r}: "
                f"{exc} (HTTP {response.status_code})",
                status_code=response.status_code,
                attempts=call.attempts,
                hint="check ONETRUST_HOSTNAME: it must be the tenant's OneTrust host",
            ) from None
        if self._tokens.fetches:  # the cache counts this fetch only after it returns
            self.stats.token_refreshes += 1
        return token

    async def _token_request(self, call: _Call) -> httpx.Response:
        """One token request; errors name its status, never its answer (that may echo the form)."""
        await self._pacers[call.endpoint].wait_turn()  # so a 429's pause holds the retry back
        call.attempts += 1
        creds = self.credentials
        form = {
            "grant_type": (None, "client_credentials"),
            "client_id": (None, creds.client_id),
            "client_secret": (None, creds.client_secret),
        }
        try:
            response = await self._http.post(TOKEN_PATH, files=form)
        except (httpx.RequestError, httpx.InvalidURL) as exc:
            error_class = classify_exception(exc, idempotent=True)
            raise error_class(f"{call.what}: {type(exc).__name__}: {exc}") from exc
        status = response.status_code
        log.debug("%s -> %d (request %d)", call.what, status, call.attempts)
        if 200 <= status < 300:
            return response
        retry_after = parse_retry_after(response.headers.get("Retry-After"))
        if status == 429:
            pause = PAUSE_WITHOUT_RETRY_AFTER if retry_after is None else retry_after
            self.stats.paused_seconds += self._pacers[call.endpoint].pause(pause)
        if classify_status(status, idempotent=True) is RetryableSendError:  # 408, 429, 5xx
            raise RetryableSendError(
                f"{call.what}: HTTP {status}", status_code=status, retry_after=retry_after
            )
        raise _token_refused(status, creds.client_id)


def _token_refused(status: int, client_id: str) -> FatalSendError:
    """The token endpoint's refusal, from the status alone."""
    if status in (400, 401, 403):
        return AuthError(
            f"the register refused the credentials of client id {client_id!r} (HTTP {status})",
            status_code=status,
            hint="check ONETRUST_CLIENT_ID, ONETRUST_CLIENT_SECRET and that the client is enabled",
        )
    if status == 404 or 300 <= status < 400:
        return FatalSendError(
            f"no such endpoint: the register has no token endpoint for client id {client_id!r} "
            f"at this address (HTTP {status})",
            status_code=status,
            hint="check ONETRUST_HOSTNAME: it must be the tenant's OneTrust host",
        )
    return FatalSendError(
        f"the register's token endpoint did not issue a token for client id {client_id!r} "
        f"(HTTP {status})",
        status_code=status,
        hint="check the API client in the tenant's settings, then try again",
    )


_HINTS = {
    403: "the API client needs the scopes INCIDENT, INCIDENT_CREATE, INCIDENT_READ, ORGANIZATION",
    404: "check ONETRUST_HOSTNAME: it must be the tenant's OneTrust host",
}


def _status_message(
    call: _Call, response: httpx.Response, error_class: type[SendError], client_id: str
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


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome else None
    wait = state.next_action.sleep if state.next_action else 0.0
    log.info("retrying in %.2f s after: %s", wait, exc)


def _segment(incident_id: str) -> str:
    """An id as one URL path segment: nothing in it may change the path."""
    text = str(incident_id).strip()
    if not text or any(c in text for c in "/?#%\\") or text in (".", ".."):
        raise ValueError(f"not an incident id: {incident_id!r}")
    return text


def _scim_string(value: str) -> str:
    """Escape a value for a SCIM filter's quoted string (RFC 7644 uses JSON string rules)."""
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _check_options(concurrency: int, timeout: float, max_attempts: int, max_wait: float) -> None:
    if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
        raise ConfigError(f"concurrency must be an integer >= 1, got {concurrency!r}")
    if isinstance(max_attempts, bool) or not isinstance(max_attempts, int) or max_attempts < 1:
        raise ConfigError(f"max_attempts must be an integer >= 1, got {max_attempts!r}")
    if not timeout > 0:
        raise ConfigError(f"timeout must be > 0 seconds, got {timeout!r}")
    if not max_wait >= 0:
        raise ConfigError(f"max_wait must be >= 0 seconds, got {max_wait!r}")
