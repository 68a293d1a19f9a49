"""Update Incident Stage: `POST /api/incident/v1/assignments/entities/{incidentId}/stage`.

Body `{"nextStageName": "Closed", "parameters": {...}}` (`nextStageName` required, `parameters`
a free map); 200 answers the stage reached (`id`, `name`, `description`, `sequence`). Scope
`INCIDENT` (shared/reference/incident-api.md). The same faults as creates act on this endpoint:
503 before anything, 500 before or after the move is stored, a dropped connection after it.
Which moves a workflow allows is `workflows.move_fields`.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

# The gateway guard and answer helpers are api.py's; shared here rather than copied, so this
# endpoint passes exactly the same latency, quota, token, scope and 503 checks as the others.
from importer.sandbox.api import (
    _existing,
    _guard,
    _invalid,
    _json_body,
    _server_error,
)
from importer.sandbox.checks import FieldProblem, search_text
from importer.sandbox.protocol import drop_connection_of
from importer.sandbox.state import SandboxState
from importer.sandbox.workflows import move_fields

__all__ = ["STAGE", "router"]

logger = logging.getLogger(__name__)
router = APIRouter()

STAGE = "/api/incident/v1/assignments/entities/{incidentId}/stage"
StageCall = Annotated[SandboxState, Depends(_guard("POST", STAGE, ("INCIDENT",), may_fail=True))]


@router.post(STAGE)
async def update_incident_stage(incidentId: str, request: Request, state: StageCall) -> Response:
    """Move the incident to `nextStageName`; 400 names why a move is refused."""
    incident = _existing(state, incidentId)
    target = _next_stage_name(await _json_body(request))
    workflow = state.tenant.workflow_for(str(incident["incidentTypeName"]))
    if state.faults.fires("fail_before_commit"):
        raise _server_error()
    changed = state.store.change(
        str(UUID(incidentId)),
        lambda old: move_fields(workflow, old, target),
        lambda new: search_text(new, state.tenant),
    )
    if changed is None:  # deleted meanwhile by an admin reset
        _existing(state, incidentId)
    if isinstance(changed, str):
        raise _invalid([FieldProblem("nextStageName", changed)])
    stage = workflow.stages[workflow.position(target) or 0]
    if state.faults.fires("drop_after_commit"):
        drop = drop_connection_of(request.scope)
        if drop is not None:
            logger.info("fault: dropped the connection after moving %s to %s", incidentId, target)
            drop()
            return Response(status_code=200)  # discarded: the connection is gone
        raise _server_error()
    if state.faults.fires("fail_after_commit"):
        raise _server_error()
    return JSONResponse(workflow.stage_json(stage))


def _next_stage_name(body: Any) -> str:
    if not isinstance(body, dict):
        raise _invalid([FieldProblem("(body)", "expected a JSON object")])
    problems = [
        FieldProblem(key, "unknown field; the body takes nextStageName and parameters")
        for key in sorted(set(body) - {"nextStageName", "parameters"})
    ]
    name = body.get("nextStageName")
    if not isinstance(name, str) or not name.strip():
        problems.append(FieldProblem("nextStageName", "required: the name of a workflow stage"))
    if "parameters" in body and not isinstance(body["parameters"], dict | None):
        problems.append(FieldProblem("parameters", "expected a JSON object"))
    if problems:
        raise _invalid(problems)
    return str(name)
