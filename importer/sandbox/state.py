"""Runtime state shared by the sandbox's routes, and the error they answer with."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from importer.sandbox.config import SandboxConfig, SandboxConfigError
from importer.sandbox.faults import FaultInjector
from importer.sandbox.quota import QuotaBook
from importer.sandbox.seed import Tenant
from importer.sandbox.store import IncidentStore
from importer.sandbox.tokens import TokenIssuer

__all__ = ["RUNTIME_SETTINGS", "ApiError", "SandboxState", "error_body", "sandbox_of"]

RUNTIME_SETTINGS = ("rate_limit", "window_seconds", "hourly_limit", "token_lifetime")


@dataclass
class SandboxState:
    """Everything a request may read or change: settings, tenant, incidents, quotas, faults."""

    config: SandboxConfig
    tenant: Tenant
    store: IncidentStore
    quotas: QuotaBook
    faults: FaultInjector
    tokens: TokenIssuer

    @classmethod
    def start(cls, config: SandboxConfig, tenant: Tenant, store: IncidentStore) -> SandboxState:
        quotas = QuotaBook(
            config.rate_limit, config.window_seconds, config.hourly_limit, config.hour_seconds
        )
        tokens = TokenIssuer(config.token_lifetime)
        return cls(config, tenant, store, quotas, FaultInjector(config.faults), tokens)

    def change_settings(self, knobs: Mapping[str, Any]) -> SandboxConfig:
        """Apply quota/token settings; quota windows restart, issued tokens keep their expiry."""
        unknown = sorted(set(knobs) - set(RUNTIME_SETTINGS))
        if unknown:
            raise SandboxConfigError(
                f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(RUNTIME_SETTINGS)}"
            )
        config = dataclasses.replace(self.config, faults=self.faults.faults, **knobs)
        self.config = config
        self.quotas.configure(
            config.rate_limit, config.window_seconds, config.hourly_limit, config.hour_seconds
        )
        self.tokens.lifetime = config.token_lifetime
        return config


class ApiError(Exception):
    """Ends a request with this status, JSON body and headers (raised from routes and guards)."""

    def __init__(
        self, status_code: int, body: Any, headers: Mapping[str, str] | None = None
    ) -> None:
        super().__init__(status_code)
        self.status_code = status_code
        self.body = body
        self.headers = dict(headers or {})


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The sandbox's error shape: `{"error": code, "message": text, ...}`."""
    return {"error": code, "message": message, **extra}


def sandbox_of(request: Request) -> SandboxState:
    state: SandboxState = request.app.state.sandbox
    return state
