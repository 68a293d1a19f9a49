"""The sandbox register as a FastAPI app: `create_app(config, tenant, store)`.

Vendor endpoints live in `api.py`, the `/_sandbox/` admin endpoints in `admin.py`.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.requests import ClientDisconnect

from importer.sandbox import admin, api, stages
from importer.sandbox.config import SandboxConfig
from importer.sandbox.seed import Tenant
from importer.sandbox.state import ApiError, SandboxState
from importer.sandbox.store import IncidentStore

__all__ = ["create_app"]


def create_app(config: SandboxConfig, tenant: Tenant, store: IncidentStore) -> FastAPI:
    """A ready ASGI app; serve it with `DroppableH11Protocol` so "drop after commit" works."""
    app = FastAPI(
        title="Sandbox Incident Register",
        description="Local stand-in for the OneTrust Incident Register (incident-import).",
    )
    app.state.sandbox = SandboxState.start(config, tenant, store)
    app.include_router(api.router)
    app.include_router(stages.router)
    app.include_router(admin.router)

    @app.exception_handler(ApiError)
    async def _answer(request: Request, exc: ApiError) -> JSONResponse:
        return JSONResponse(exc.body, status_code=exc.status_code, headers=exc.headers)

    @app.exception_handler(ClientDisconnect)
    async def _gone(request: Request, exc: ClientDisconnect) -> Response:
        # A client killed mid-request (the chaos tests do it on purpose) is not a server error.
        return Response(status_code=499)

    return app
