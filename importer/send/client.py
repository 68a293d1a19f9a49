"""`RegisterClient`: the async client of the Incident Register (paced, retrying, exactly-once safe).

Its methods are the register's endpoints this tool uses. How each call is paced, authorised,
classified and retried is `calls.Caller`; the access token comes from `token_endpoint`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

import httpx

from importer import __version__
from importer.errors import AmbiguousSendError, ConfigError, RowRejectedError
from importer.send import responses
from importer.send.auth import Credentials
from importer.send.calls import Caller
from importer.send.pacing import Pacers
from importer.send.retrying import Call, RetryPolicy
from importer.send.stats import SendStats
from importer.send.token_endpoint import TokenEndpoint

__all__ = ["CreateResult", "RegisterClient", "StageResult"]

log = logging.getLogger("importer.send")

INCIDENTS_PATH = "/api/incident/v1/incidents"
SEARCH_PATH = "/api/incident/v1/incidents/search"
ORGANIZATIONS_PATH = "/api/access/v1/external/organizations"
USERS_PATH = "/api/scim/v2/Users"
STAGE_PATH = "/api/incident/v1/assignments/entities/{incidentId}/stage"


@dataclass(frozen=True)
class CreateResult:
    """A created incident: its UUID, the HTTP status and how many requests it took."""

    incident_id: str
    status_code: int
    attempts: int


@dataclass(frozen=True)
class StageResult:
    """A stage move the register accepted: the stage's name as it answered, requests made."""

    stage_name: str
    attempts: int


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
        retry = RetryPolicy(max_attempts, max_wait)
        pacers = Pacers(rate_per_minute)
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
        token_endpoint = TokenEndpoint(
            credentials, self._http, pacers=pacers, retry=retry, stats=self.stats
        )
        self._tokens = token_endpoint.cache
        self._caller = Caller(
            credentials,
            self._http,
            concurrency=concurrency,
            pacers=pacers,
            retry=retry,
            tokens=self._tokens,
            stats=self.stats,
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
        call = Call("create", "POST", INCIDENTS_PATH, idempotent=False, json=body)
        response = await self._caller.call(call)
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
        call = Call("update", "PUT", path, idempotent=True, json=body, passthrough=frozenset({404}))
        response = await self._caller.call(call)
        if response.status_code == 404:
            raise RowRejectedError(
                f"incident {incident_id} is not in the register (HTTP 404)",
                status_code=404,
                attempts=call.attempts,
            )
        return response.status_code

    async def move_incident_stage(self, incident_id: str, stage_name: str) -> StageResult:
        """Update Incident Stage: move an incident to the workflow stage named `stage_name`.

        `POST /api/incident/v1/assignments/entities/{incidentId}/stage` with
        `{"nextStageName": ...}` (shared/reference/incident-api.md); 200 answers the stage.
        A move names its end state, so a repeated move cannot do harm: the call retries like
        any idempotent one. Raises `RowRejectedError` when the register refuses the move (400,
        404), `SendError` kinds otherwise.
        """
        path = STAGE_PATH.format(incidentId=_segment(incident_id))
        body = {"nextStageName": stage_name}
        call = Call("stage", "POST", path, idempotent=True, json=body, passthrough=frozenset({404}))
        response = await self._caller.call(call)
        if response.status_code == 404:
            raise RowRejectedError(
                f"incident {incident_id} is not in the register (HTTP 404)",
                status_code=404,
                attempts=call.attempts,
            )
        answer = self._caller.parsed(call, response, responses.as_object)
        name = answer.get("name")
        return StageResult(name if isinstance(name, str) else stage_name, call.attempts)

    async def get_incident(self, incident_id: str) -> dict[str, Any] | None:
        """One incident's details, or None when the register has no such incident."""
        path = f"{INCIDENTS_PATH}/{_segment(incident_id)}"
        call = Call("get", "GET", path, idempotent=True, passthrough=frozenset({404}))
        response = await self._caller.call(call)
        if response.status_code == 404:
            return None
        return self._caller.parsed(call, response, responses.as_object)

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
        call = Call("search", "POST", SEARCH_PATH, idempotent=True, json=body, params=params)
        return self._caller.parsed(call, await self._caller.call(call), responses.as_items)

    async def list_organizations(self) -> list[dict[str, Any]]:
        """The organization tree: root organizations, each with nested `children`."""
        call = Call("organizations", "GET", ORGANIZATIONS_PATH, idempotent=True)
        return self._caller.parsed(call, await self._caller.call(call), responses.as_items)

    async def find_user(self, email: str) -> dict[str, Any] | None:
        """The SCIM user whose userName is `email`, or None."""
        params = {"filter": f'userName eq "{_scim_string(email)}"'}
        call = Call("users", "GET", USERS_PATH, idempotent=True, params=params)
        return self._caller.parsed(call, await self._caller.call(call), responses.first_resource)


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
