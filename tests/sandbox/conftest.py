"""Shared fixtures: one sandbox for the session, reset before each test, and API clients."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from dataclasses import asdict
from typing import Any

import httpx
import pytest

from importer.sandbox import Faults, SandboxConfig, SandboxHandle, running_sandbox

TOKEN_PATH = "/api/access/v1/oauth/token"
INCIDENTS_PATH = "/api/incident/v1/incidents"


class Ids:
    """Fixed ids of importer/sandbox/default_seed.yaml."""

    ORG_GLOBAL = "a963394b-3edd-49d0-ba66-6af5a4f70da1"
    ORG_FRANCE = "d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6"
    ORG_US = "23ffe06a-b432-4355-a566-7817cd271583"
    USER_ALICE = "bde33237-912d-4bbe-89f4-1f74000b13d3"
    GROUP_PRIVACY = "4143cd06-6179-47bc-9f1d-bbd4c37f49e3"
    SEVERITY_HIGH = "b2a9c4be-5fd8-4ccc-a906-61a806f40076"
    SEVERITY_LOW = "ef7fe39d-6512-4bef-b7a7-cc87e6a6fe70"
    CATEGORY_HEALTH = "ffd10577-fdcc-4e86-bcbf-f43465c3d95b"


_DEFAULTS = SandboxConfig()
_TLS = ssl.create_default_context()  # built once: httpx would build one per client (~30 ms)


def _token_form(client_id: str, client_secret: str, grant_type: str = "client_credentials") -> Any:
    """The token request's fields, shaped so httpx sends multipart/form-data."""
    fields = {"grant_type": grant_type, "client_id": client_id, "client_secret": client_secret}
    return {name: (None, value) for name, value in fields.items()}


def _fetch_token(handle: SandboxHandle) -> str:
    form = _token_form(handle.client_id, handle.client_secret)
    response = httpx.post(handle.base_url + TOKEN_PATH, files=form, verify=_TLS)
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def _incident_body(**overrides: Any) -> dict[str, Any]:
    """A valid create body using the default seed; keyword arguments replace fields."""
    body: dict[str, Any] = {
        "name": "Laptop stolen from car",
        "description": "Unencrypted laptop with HR files",
        "incidentTypeName": "Lost or Stolen Device",
        "orgGroupId": Ids.ORG_FRANCE,
        "dateOccurred": "2024-03-01T09:30:00.000Z",
        "dateDiscovered": "2024-03-02T08:00:00Z",
        "sourceType": "INTEGRATION",
        "notificationNeeded": "YES",
        "rootCause": "Left in an unlocked car",
        "attributeValues": {
            "Severity": [{"id": Ids.SEVERITY_HIGH}],
            "Data Categories": [{"id": Ids.CATEGORY_HEALTH}],
            "Legacy Reference": [{"value": "LEG-0001"}],
        },
        "incidentAssigneeRequests": [
            {
                "assigneeId": Ids.USER_ALICE,
                "assigneeEmail": "alice.martin@example.com",
                "type": "USER",
            },
            {"assigneeId": Ids.GROUP_PRIVACY, "type": "GROUP"},
        ],
        "jurisdictions": [{"countryCode": "USA", "stateProvinceCode": "CA"}],
        "linkedInventories": {"assets": {"externalIds": ["A-1", "A-2"]}},
        "autoAssessJurisdictions": False,
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="session")
def shared_sandbox() -> Iterator[SandboxHandle]:
    with running_sandbox() as handle:
        yield handle


@pytest.fixture
def sandbox(shared_sandbox: SandboxHandle) -> SandboxHandle:
    """The session's sandbox, emptied, with default quotas and no faults."""
    settings = {k: v for k, v in asdict(_DEFAULTS).items() if k != "faults"}
    shared_sandbox.set_config(**settings)
    shared_sandbox.set_faults(**asdict(Faults()))
    shared_sandbox.reset()
    return shared_sandbox


@pytest.fixture
def api(sandbox: SandboxHandle) -> Iterator[httpx.Client]:
    """A client of the sandbox carrying a valid bearer token."""
    headers = {"Authorization": f"Bearer {_fetch_token(sandbox)}"}
    with httpx.Client(
        base_url=sandbox.base_url, headers=headers, timeout=10, verify=_TLS
    ) as client:
        yield client


@pytest.fixture
def create(api: httpx.Client) -> Callable[..., str]:
    """Create an incident (fields override the valid body) and return its id."""

    def _create(**overrides: Any) -> str:
        response = api.post(INCIDENTS_PATH, json=_incident_body(**overrides))
        assert response.status_code == 201, response.text
        incident_id: str = response.json()
        return incident_id

    return _create


@pytest.fixture(scope="session")
def ids() -> type[Ids]:
    return Ids


@pytest.fixture(scope="session")
def make_body() -> Callable[..., dict[str, Any]]:
    """`make_body(**overrides)`: a valid create body for the default seed."""
    return _incident_body


@pytest.fixture(scope="session")
def token_form() -> Callable[..., Any]:
    """`token_form(client_id, client_secret, grant_type=...)`: multipart fields for `files=`."""
    return _token_form


@pytest.fixture(scope="session")
def fetch_token() -> Callable[[SandboxHandle], str]:
    """`fetch_token(handle)`: a fresh bearer token from that sandbox."""
    return _fetch_token
