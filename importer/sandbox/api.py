"""The vendor's endpoints, as `shared/reference/incident-api.md` describes them.

Every call passes the same guard, in the vendor gateway's order: added latency, quota (429),
bearer token (401/403), then the "unavailable" fault (503) on incident endpoints.
"""

from __future__ import annotations

import json
import logging
import math
import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from importer.sandbox.checks import FieldProblem, check_body, incident_fields, search_text
from importer.sandbox.directory import organization_tree, scim_groups, scim_users
from importer.sandbox.protocol import drop_connection_of
from importer.sandbox.schema import CREATE_SCHEMA, UPDATE_SCHEMA
from importer.sandbox.search import answer, parse_search, with_faults
from importer.sandbox.state import ApiError, SandboxState, error_body, sandbox_of

__all__ = ["router"]

logger = logging.getLogger(__name__)
router = APIRouter()

TOKEN = "/api/access/v1/oauth/token"
INCIDENTS = "/api/incident/v1/incidents"
INCIDENT = "/api/incident/v1/incidents/{incidentId}"
SEARCH = "/api/incident/v1/incidents/search"
ORGANIZATIONS = "/api/access/v1/external/organizations"
USERS = "/api/scim/v2/Users"
GROUPS = "/api/scim/v2/Groups"


def _guard(
    method: str, path: str, scopes: tuple[str, ...] | None, *, may_fail: bool = False
) -> Callable[[Request], Awaitable[SandboxState]]:
    endpoint = f"{method} {path}"

    async def guard(request: Request) -> SandboxState:
        state = sandbox_of(request)
        await state.faults.delay()
        refusal = state.quotas.try_admit(endpoint)
        if refusal is not None:
            message = (
                f"rate limit of {refusal.allowed} requests per {refusal.period} reached"
                f" for {endpoint}; retry after {refusal.headers()['Retry-After']} s"
            )
            raise ApiError(429, error_body("too_many_requests", message), refusal.headers())
        if scopes is not None:
            _authorize(request, state, scopes)
        if may_fail and state.faults.fires("unavailable"):
            retry_after = _seconds_text(state.faults.faults.unavailable_retry_after)
            body = error_body("service_unavailable", "the register is temporarily unavailable")
            raise ApiError(503, body, {"Retry-After": retry_after})
        return state

    return guard


def _authorize(request: Request, state: SandboxState, scopes: tuple[str, ...]) -> None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    challenge = {"WWW-Authenticate": 'Bearer error="invalid_token"'}
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, error_body("unauthorized", "missing bearer token"), challenge)
    grant = state.tokens.check(token.strip())
    if isinstance(grant, str):
        raise ApiError(401, error_body("unauthorized", grant), challenge)
    missing = [s for s in scopes if s not in grant.scopes]
    if missing:
        message = f"the token lacks scope(s) {', '.join(missing)}"
        raise ApiError(403, error_body("forbidden", message))


TokenCall = Annotated[SandboxState, Depends(_guard("POST", TOKEN, None))]
CreateCall = Annotated[
    SandboxState, Depends(_guard("POST", INCIDENTS, ("INCIDENT", "INCIDENT_CREATE"), may_fail=True))
]
ReadCall = Annotated[
    SandboxState, Depends(_guard("GET", INCIDENT, ("INCIDENT_READ",), may_fail=True))
]
UpdateCall = Annotated[SandboxState, Depends(_guard("PUT", INCIDENT, ("INCIDENT",), may_fail=True))]
SearchCall = Annotated[
    SandboxState, Depends(_guard("POST", SEARCH, ("INCIDENT_READ",), may_fail=True))
]
OrganizationsCall = Annotated[
    SandboxState, Depends(_guard("GET", ORGANIZATIONS, ("ORGANIZATION",)))
]
UsersCall = Annotated[SandboxState, Depends(_guard("GET", USERS, ("USER",)))]
GroupsCall = Annotated[SandboxState, Depends(_guard("GET", GROUPS, ("USER",)))]


@router.post(TOKEN)
async def issue_token(request: Request, state: TokenCall) -> JSONResponse:
    """OAuth 2.0 client credentials; the form must be multipart/form-data like the vendor's."""
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        detail = "send grant_type, client_id and client_secret as multipart/form-data"
        return _oauth_error(400, "invalid_request", detail)
    async with request.form() as form:
        fields = {k: v for k, v in form.items() if isinstance(v, str)}
    if fields.get("grant_type") != "client_credentials":
        return _oauth_error(400, "unsupported_grant_type", "grant_type must be client_credentials")
    credential = state.tenant.credential(
        fields.get("client_id", ""), fields.get("client_secret", "")
    )
    if credential is None:
        return _oauth_error(401, "invalid_client", "client credentials are not valid")
    token, grant = state.tokens.issue(credential)
    body = {
        "access_token": token,
        "token_type": "bearer",
        "expires_in": max(1, math.ceil(state.tokens.lifetime)),
        "scope": " ".join(sorted(grant.scopes)),
        "jti": str(uuid.uuid4()),
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


@router.post(INCIDENTS, status_code=201)
async def create_incident(request: Request, state: CreateCall) -> Response:
    """Validate, then store; the fault knobs act before and after the commit."""
    body = await _json_body(request)
    parsed, problems = check_body(body, CREATE_SCHEMA, state.tenant)
    if parsed is None:
        raise _invalid(problems)
    if state.faults.fires("fail_before_commit"):
        raise _server_error()
    await state.faults.commit_delay()
    fields = incident_fields(parsed, CREATE_SCHEMA)
    incident = state.store.add(fields, search_text(fields, state.tenant))
    if state.faults.fires("drop_after_commit"):
        drop = drop_connection_of(request.scope)
        if drop is not None:
            logger.info("fault: dropped the connection after storing %s", incident["incidentId"])
            drop()
            return Response(status_code=201)  # discarded: the connection is gone
        logger.warning("drop_after_commit needs DroppableH11Protocol; answering 500 instead")
        raise _server_error()
    if state.faults.fires("fail_after_commit"):
        logger.info("fault: answering 500 after storing %s", incident["incidentId"])
        raise _server_error()
    return JSONResponse(incident["incidentId"], status_code=201)


@router.get(INCIDENT)
async def get_incident(incidentId: str, state: ReadCall) -> JSONResponse:
    return JSONResponse(_existing(state, incidentId))


@router.put(INCIDENT)
async def update_incident(incidentId: str, request: Request, state: UpdateCall) -> JSONResponse:
    """Replace the incident's fields (linkedInventories stay); 200 with the updated incident."""
    _existing(state, incidentId)
    parsed, problems = check_body(await _json_body(request), UPDATE_SCHEMA, state.tenant)
    if parsed is None:
        raise _invalid(problems)
    fields = incident_fields(parsed, UPDATE_SCHEMA)
    incident = state.store.replace(str(UUID(incidentId)), fields, search_text(fields, state.tenant))
    if incident is None:  # deleted meanwhile by an admin reset
        raise _not_found(incidentId)
    return JSONResponse(incident)


@router.post(SEARCH)
async def search_incidents(request: Request, state: SearchCall) -> JSONResponse:
    raw = await request.body()
    query = parse_search(request.query_params, _parse_json(raw) if raw.strip() else None)
    if isinstance(query, list):
        raise _invalid(query)
    content, total = state.store.search(with_faults(query, state.faults))
    return JSONResponse(answer(content, total, query, state.faults))


@router.get(ORGANIZATIONS)
async def list_organizations(state: OrganizationsCall) -> JSONResponse:
    return JSONResponse(organization_tree(state.tenant))


@router.get(USERS)
async def list_users(request: Request, state: UsersCall) -> JSONResponse:
    return _scim_answer(scim_users(state.tenant, request.query_params))


@router.get(GROUPS)
async def list_groups(request: Request, state: GroupsCall) -> JSONResponse:
    return _scim_answer(scim_groups(state.tenant, request.query_params))


def _scim_answer(result: tuple[int, dict[str, Any]]) -> JSONResponse:
    status, body = result
    return JSONResponse(body, status_code=status, media_type="application/scim+json")


def _existing(state: SandboxState, incident_id: str) -> dict[str, Any]:
    try:
        canonical = str(UUID(incident_id))
    except ValueError:
        raise _invalid([FieldProblem("incidentId", f"{incident_id!r} is not a UUID")]) from None
    incident = state.store.get(canonical)
    if incident is None:
        raise _not_found(canonical)
    return incident


async def _json_body(request: Request) -> Any:
    return _parse_json(await request.body())


def _parse_json(raw: bytes) -> Any:
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _invalid([FieldProblem("(body)", f"not valid JSON: {exc}")]) from None


def _invalid(problems: list[FieldProblem]) -> ApiError:
    count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
    body = error_body(
        "bad_request", f"{count} in the request", errors=[p.as_json() for p in problems]
    )
    return ApiError(400, body)


def _not_found(incident_id: str) -> ApiError:
    return ApiError(404, error_body("not_found", f"no incident with id {incident_id}"))


def _server_error() -> ApiError:
    return ApiError(500, error_body("internal_server_error", "Internal Server Error"))


def _seconds_text(seconds: float) -> str:
    """`7` for whole seconds; fractions stay (`0.05`) so tests can ask for short waits."""
    if float(seconds).is_integer():
        return str(int(seconds))
    return f"{seconds:f}".rstrip("0")


def _oauth_error(status: int, code: str, description: str) -> JSONResponse:
    return JSONResponse({"error": code, "error_description": description}, status_code=status)
