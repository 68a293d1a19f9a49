"""Sandbox Incident Register: a local OneTrust-compatible server for rehearsals, demos and tests.

with running_sandbox(SandboxConfig(rate_limit=20, window_seconds=1)) as sandbox:
    sandbox.set_faults(drop_after_commit=0.1)
    ...  # send to sandbox.base_url with sandbox.client_id / client_secret
    assert sandbox.counts()["duplicates"] == 0
"""

from importer.sandbox.app import create_app
from importer.sandbox.config import (
    Faults,
    SandboxConfig,
    SandboxConfigError,
    parse_faults,
    parse_rate,
)
from importer.sandbox.seed import Attribute, AttributeType, Tenant, load_seed
from importer.sandbox.server import SandboxHandle, running_sandbox, serve
from importer.sandbox.store import IncidentStore

__all__ = [
    "Attribute",
    "AttributeType",
    "Faults",
    "IncidentStore",
    "SandboxConfig",
    "SandboxConfigError",
    "SandboxHandle",
    "Tenant",
    "create_app",
    "load_seed",
    "parse_faults",
    "parse_rate",
    "running_sandbox",
    "serve",
]
