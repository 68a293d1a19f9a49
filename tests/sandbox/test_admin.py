"""The /_sandbox/ admin endpoints: incidents, counts with duplicates, config, reset."""

from __future__ import annotations

import httpx
import pytest

from importer.sandbox import SandboxConfigError

INCIDENTS = "/api/incident/v1/incidents"


def test_counts_report_duplicates_as_extra_copies(create, sandbox):
    for _ in range(3):
        create(name="Same", description="same", dateOccurred="2024-01-01T10:00:00Z")
    create(name="Same", description="same", dateOccurred="2024-01-01T10:00:00.000Z")  # same
    create(name="Same", description="same", dateOccurred="2024-01-02T10:00:00Z")  # other day
    create(name="Other")
    create(name="Other")

    counts = sandbox.counts()

    assert counts["incidents"] == 7
    assert counts["duplicates"] == 4  # 3 extra copies of "Same" on day 1, 1 of "Other"
    assert counts["duplicate_groups"] == 2


def test_different_org_or_description_is_no_duplicate(create, sandbox, ids):
    create(name="A", description="x")
    create(name="A", description="y")
    create(name="A", description="x", orgGroupId=ids.ORG_US)

    assert sandbox.counts()["duplicates"] == 0


def test_counts_report_traffic(api, sandbox, create):
    create()
    api.get("/api/access/v1/external/organizations")

    counts = sandbox.counts()

    assert counts["requests"][f"POST {INCIDENTS}"] == 1
    assert counts["requests"]["POST /api/access/v1/oauth/token"] == 1
    assert counts["tokens_issued"] >= 1


def test_incidents_lists_every_incident_in_creation_order(create, sandbox):
    created = [create(name=f"n{n}") for n in range(3)]

    assert [i["incidentId"] for i in sandbox.incidents()] == created


def test_reset_deletes_every_incident_and_restarts_numbers(create, sandbox):
    create()
    create()

    sandbox.reset()
    create()

    assert [i["number"] for i in sandbox.incidents()] == [1]


def test_config_can_be_read_and_changed(sandbox):
    sandbox.set_config(rate_limit=5, window_seconds=2.0)

    config = httpx.get(sandbox.base_url + "/_sandbox/config").json()

    assert (config["rate_limit"], config["window_seconds"], config["hour_seconds"]) == (5, 2.0, 120)


@pytest.mark.parametrize(
    "knobs",
    [{"rate_limit": 0}, {"window_seconds": -1}, {"token_lifetime": "long"}, {"faults": {}}],
    ids=["zero-rate", "negative-window", "lifetime-not-number", "faults-not-a-setting"],
)
def test_bad_config_is_refused(sandbox, knobs):
    with pytest.raises(SandboxConfigError):
        sandbox.set_config(**knobs)

    assert httpx.get(sandbox.base_url + "/_sandbox/config").json()["rate_limit"] == 1000


def test_admin_put_needs_a_json_object(sandbox):
    response = httpx.put(sandbox.base_url + "/_sandbox/faults", content=b"[1]")

    assert response.status_code == 400
