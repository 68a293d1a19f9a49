"""Token endpoint: 200/400/401, token lifetime and expiry, 401 and 403 on API calls."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from importer.sandbox import running_sandbox

TOKEN = "/api/access/v1/oauth/token"
ORGS = "/api/access/v1/external/organizations"


def test_token_is_issued_for_valid_client_credentials(sandbox, token_form):
    response = httpx.post(
        sandbox.base_url + TOKEN, files=token_form(sandbox.client_id, sandbox.client_secret)
    )

    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 3600
    assert len(body["access_token"]) >= 32
    assert set(body["scope"].split()) >= {"INCIDENT", "INCIDENT_CREATE", "INCIDENT_READ"}
    assert response.headers["cache-control"] == "no-store"


def test_each_token_is_a_new_random_string(sandbox, fetch_token):
    assert fetch_token(sandbox) != fetch_token(sandbox)


@pytest.mark.parametrize(
    ("client_id", "secret", "grant_type", "status", "error"),
    [
        ("sandbox-client", "sandbox-secret", "password", 400, "unsupported_grant_type"),
        ("sandbox-client", "sandbox-secret", "", 400, "unsupported_grant_type"),
        ("sandbox-client", "wrong-secret", "client_credentials", 401, "invalid_client"),
        ("nobody", "sandbox-secret", "client_credentials", 401, "invalid_client"),
    ],
    ids=["wrong-grant-type", "empty-grant-type", "wrong-secret", "unknown-client"],
)
def test_token_request_refused(sandbox, token_form, client_id, secret, grant_type, status, error):
    response = httpx.post(sandbox.base_url + TOKEN, files=token_form(client_id, secret, grant_type))

    assert response.status_code == status
    assert response.json()["error"] == error
    assert secret not in response.text


def test_token_request_must_be_multipart(sandbox):
    form = {
        "grant_type": "client_credentials",
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
    }
    response = httpx.post(sandbox.base_url + TOKEN, data=form)  # urlencoded

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert "multipart/form-data" in response.json()["error_description"]


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer", "Basic c2FuZGJveA==", "Bearer not-a-token-we-issued"],
    ids=["no-header", "empty-bearer", "basic-scheme", "unknown-token"],
)
def test_api_call_without_valid_token_is_401(sandbox, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    response = httpx.get(sandbox.base_url + ORGS, headers=headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    assert response.json()["error"] == "unauthorized"


def test_token_expires_after_its_lifetime(sandbox, fetch_token):
    sandbox.set_config(token_lifetime=0.3)
    token = fetch_token(sandbox)
    headers = {"Authorization": f"Bearer {token}"}

    assert httpx.get(sandbox.base_url + ORGS, headers=headers).status_code == 200
    time.sleep(0.4)
    expired = httpx.get(sandbox.base_url + ORGS, headers=headers)

    assert expired.status_code == 401
    assert expired.json()["message"] == "bearer token expired"
    assert token not in expired.text


def test_expire_tokens_invalidates_every_issued_token(sandbox, fetch_token):
    tokens = [fetch_token(sandbox) for _ in range(3)]

    sandbox.expire_tokens()

    for token in tokens:
        response = httpx.get(sandbox.base_url + ORGS, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401
    fresh = fetch_token(sandbox)
    assert httpx.get(
        sandbox.base_url + ORGS, headers={"Authorization": f"Bearer {fresh}"}
    ).is_success


def test_token_without_a_needed_scope_is_403(tmp_path: Path, token_form):
    seed_text = (Path(__file__).parents[2] / "importer/sandbox/default_seed.yaml").read_text()
    seed_text = seed_text.replace(
        "    scopes: [INCIDENT, INCIDENT_CREATE, INCIDENT_READ, ORGANIZATION, USER]",
        "    scopes: [INCIDENT_READ]",
    )
    seed = tmp_path / "seed.yaml"
    seed.write_text(seed_text)

    with running_sandbox(seed=seed) as sandbox:
        token = httpx.post(
            sandbox.base_url + TOKEN, files=token_form(sandbox.client_id, sandbox.client_secret)
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        orgs = httpx.get(sandbox.base_url + ORGS, headers=headers)
        search = httpx.post(
            sandbox.base_url + "/api/incident/v1/incidents/search", headers=headers, json={}
        )

    assert orgs.status_code == 403
    assert "ORGANIZATION" in orgs.json()["message"]
    assert search.status_code == 200
