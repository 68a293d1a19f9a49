"""Admin endpoints under `/_sandbox/`: inspect the register, change faults and quotas live.

They need no token and are never rate limited or faulted.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from importer.sandbox.checks import check_body, incident_fields, search_text
from importer.sandbox.config import SandboxConfigError
from importer.sandbox.schema import CREATE_SCHEMA, instant
from importer.sandbox.state import ApiError, SandboxState, error_body, sandbox_of

__all__ = ["router"]

router = APIRouter(prefix="/_sandbox")
Sandbox = Annotated[SandboxState, Depends(sandbox_of)]


@router.get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/incidents")
async def incidents(state: Sandbox) -> list[dict[str, Any]]:
    """Every stored incident, in creation order, as GET returns it."""
    return state.store.all()


@router.post("/incidents")
async def add_incidents(request: Request, state: Sandbox) -> dict[str, Any]:
    """Store `copies` incidents made of `body`, created at `createdDate` (an org's history)."""
    knobs = await _json_object(request)
    body, when, copies = knobs.get("body"), knobs.get("createdDate"), knobs.get("copies", 1)
    parsed, problems = check_body(body, CREATE_SCHEMA, state.tenant)
    try:
        created = instant(when) if isinstance(when, str) else None
    except ValueError:
        created = None
    if parsed is None or created is None or not isinstance(copies, int) or copies < 1:
        detail = "; ".join(f"{p.field}: {p.message}" for p in problems) or "bad createdDate/copies"
        raise ApiError(400, error_body("bad_request", detail))
    fields = incident_fields(parsed, CREATE_SCHEMA)
    text = search_text(fields, state.tenant)
    ids = [state.store.add(fields, text, created_date=when)["incidentId"] for _ in range(copies)]
    return {"incidentIds": ids}


@router.get("/counts")
async def counts(state: Sandbox) -> dict[str, Any]:
    """Incidents, duplicates (extra copies: same name, org, dateOccurred, description), traffic."""
    duplicates, groups = state.store.duplicates()
    return {
        "incidents": state.store.count(),
        "duplicates": duplicates,
        "duplicate_groups": groups,
        "tokens_issued": state.tokens.issued_count,
        "requests": dict(state.quotas.admitted),
        "rate_limited": dict(state.quotas.refused),
        "faults_injected": dict(state.faults.injected),
    }


@router.get("/faults")
async def get_faults(state: Sandbox) -> dict[str, Any]:
    return state.faults.faults.as_dict()


@router.put("/faults")
async def put_faults(request: Request, state: Sandbox) -> dict[str, Any]:
    """Change some fault knobs (JSON object of knob -> value); answers with all knobs."""
    knobs = await _json_object(request)
    try:
        return state.faults.update(knobs).as_dict()
    except (SandboxConfigError, TypeError) as exc:
        raise ApiError(400, error_body("bad_request", str(exc))) from None


@router.get("/config")
async def get_config(state: Sandbox) -> dict[str, Any]:
    return state.config.settings()


@router.put("/config")
async def put_config(request: Request, state: Sandbox) -> dict[str, Any]:
    """Change rate_limit, window_seconds, hourly_limit or token_lifetime; quota windows restart."""
    knobs = await _json_object(request)
    try:
        return state.change_settings(knobs).settings()
    except (SandboxConfigError, TypeError) as exc:
        raise ApiError(400, error_body("bad_request", str(exc))) from None


@router.post("/expire-tokens")
async def expire_tokens(state: Sandbox) -> dict[str, int]:
    """Make every issued token invalid now; clients must fetch a new one."""
    return {"expired": state.tokens.expire_all()}


@router.post("/reset")
async def reset(state: Sandbox) -> dict[str, int]:
    """Delete every incident and restart quota windows and counters (tokens stay valid)."""
    state.store.clear()
    state.quotas.reset()
    state.faults.reset_counts()
    return {"incidents": 0}


async def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = await request.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, error_body("bad_request", "expected a JSON object"))
    return body
