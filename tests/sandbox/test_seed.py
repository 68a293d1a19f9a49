"""Seed files: the default tenant, a custom one over HTTP, and clear errors for bad ones."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from importer.errors import ConfigError
from importer.sandbox import SandboxConfigError, load_seed, running_sandbox

CUSTOM_SEED = """\
credentials:
  - client_id: acme
    client_secret: acme-secret
organizations:
  - id: 11111111-1111-4111-8111-111111111111
    externalId: ACME
    name: Acme
    children:
      - id: 22222222-2222-4222-8222-222222222222
        name: Acme Labs
incident_types: [Spill]
users:
  - id: 33333333-3333-4333-8333-333333333333
    userName: eve@acme.test
attributes:
  - name: Impact
    type: SINGLE_SELECT
    options:
      - {id: 44444444-4444-4444-8444-444444444444, name: Big}
"""


def test_default_seed_is_the_shipped_tenant():
    tenant = load_seed()

    assert tenant.credentials[0].client_id == "sandbox-client"
    assert tenant.organizations[0].name == "Global"
    assert "Phishing" in tenant.incident_types
    assert {a.name for a in tenant.attributes} >= {"Severity", "Data Categories"}


def test_custom_seed_is_served(tmp_path: Path, token_form):
    seed = tmp_path / "acme.yaml"
    seed.write_text(CUSTOM_SEED)

    with running_sandbox(seed=seed) as sandbox:
        assert (sandbox.client_id, sandbox.client_secret) == ("acme", "acme-secret")
        form = token_form("acme", "acme-secret")
        token = httpx.post(sandbox.base_url + "/api/access/v1/oauth/token", files=form).json()
        headers = {"Authorization": f"Bearer {token['access_token']}"}
        tree = httpx.get(
            sandbox.base_url + "/api/access/v1/external/organizations", headers=headers
        )
        body = {
            "name": "Acid spill",
            "incidentTypeName": "Spill",
            "orgGroupId": "22222222-2222-4222-8222-222222222222",
            "attributeValues": {"Impact": [{"id": "44444444-4444-4444-8444-444444444444"}]},
            "incidentAssigneeRequests": [{"assigneeId": "33333333-3333-4333-8333-333333333333"}],
        }
        created = httpx.post(
            sandbox.base_url + "/api/incident/v1/incidents", json=body, headers=headers
        )
        phishing = httpx.post(
            sandbox.base_url + "/api/incident/v1/incidents",
            json={**body, "incidentTypeName": "Phishing"},
            headers=headers,
        )

    assert tree.json()["children"][0]["name"] == "Acme Labs"
    assert created.status_code == 201
    assert phishing.status_code == 400  # a default-seed type is unknown to this tenant


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("credentials:\n\t- client_id: x\n", "seed.yaml:2: seed file is not valid YAML"),
        ("- just\n- a list\n", "must be a mapping"),
        (
            CUSTOM_SEED.replace("11111111-1111-4111-8111-111111111111", "not-a-uuid"),
            "organizations.0.id: Input should be a valid UUID",
        ),
        (CUSTOM_SEED.replace("incident_types: [Spill]", "incident_types: []"), "incident_types"),
        (
            CUSTOM_SEED.replace(
                "22222222-2222-4222-8222-222222222222", "11111111-1111-4111-8111-111111111111"
            ),
            "duplicate organization id: 11111111-1111-4111-8111-111111111111",
        ),
        (
            CUSTOM_SEED + "  - name: Impact\n    type: TEXT\n",
            "duplicate attribute name: Impact",
        ),
        (
            CUSTOM_SEED.replace(
                "      - {id: 44444444-4444-4444-8444-444444444444, name: Big}\n", ""
            ).replace("    options:\n", ""),
            "attribute 'Impact' of type SINGLE_SELECT needs options",
        ),
        (CUSTOM_SEED.replace("incident_types:", "incident_typez:"), "incident_typez: Extra inputs"),
        (
            CUSTOM_SEED.replace(
                "organizations:\n",
                "organizations:\n  - {id: 55555555-5555-4555-8555-555555555555, name: Root 2}\n",
            ),
            "organizations: List should have at most 1 item",
        ),
    ],
    ids=[
        "yaml-syntax",
        "not-a-mapping",
        "bad-uuid",
        "no-incident-types",
        "duplicate-org-id",
        "duplicate-attribute",
        "select-without-options",
        "misspelled-key",
        "two-root-organizations",
    ],
)
def test_bad_seed_gives_a_clear_error(tmp_path: Path, text, expected):
    seed = tmp_path / "seed.yaml"
    seed.write_text(text)

    with pytest.raises(SandboxConfigError) as caught:
        load_seed(seed)

    message = str(caught.value)
    assert message.startswith(str(seed))
    assert expected in message
    assert "\n" not in message
    assert isinstance(caught.value, ConfigError)


def test_missing_seed_file_is_a_clear_error(tmp_path: Path):
    with pytest.raises(SandboxConfigError, match="cannot read seed file"):
        load_seed(tmp_path / "absent.yaml")


def test_running_sandbox_refuses_a_bad_seed_before_starting(tmp_path: Path):
    seed = tmp_path / "seed.yaml"
    seed.write_text("credentials: []\n")

    with pytest.raises(SandboxConfigError, match="credentials"), running_sandbox(seed=seed):
        pass
