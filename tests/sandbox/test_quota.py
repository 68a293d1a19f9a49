"""Vendor-like quotas: 429 with the exact headers over the limit, none when paced under it."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

ORGS = "/api/access/v1/external/organizations"
USERS = "/api/scim/v2/Users"
TOKEN = "/api/access/v1/oauth/token"


@pytest.fixture
def short_window(sandbox):
    """20 requests per endpoint per 1 s window (account window: 60 s)."""
    sandbox.set_config(rate_limit=20, window_seconds=1.0)
    return sandbox


def test_burst_over_the_quota_gets_429_with_the_vendor_headers(api, short_window):
    statuses = [api.get(ORGS).status_code for _ in range(20)]
    refused = api.get(ORGS)

    assert statuses == [200] * 20
    assert refused.status_code == 429
    headers = refused.headers
    assert headers["Retry-After"] == "1"
    assert headers["ot-requests-allowed"] == "20"
    assert headers["ot-request-made"] == "21"
    assert headers["ot-period"] == "MINUTE"
    assert uuid.UUID(headers["ot-ratelimit-event-id"])
    assert refused.json()["error"] == "too_many_requests"


def test_every_request_of_a_burst_beyond_the_quota_is_refused(api, short_window):
    statuses = [api.get(ORGS).status_code for _ in range(30)]

    assert statuses.count(200) == 20
    assert statuses[20:] == [429] * 10
    assert short_window.counts()["rate_limited"] == {f"GET {ORGS}": 10}


def test_each_429_has_its_own_event_id(api, short_window):
    for _ in range(20):
        api.get(ORGS)

    event_ids = {api.get(ORGS).headers["ot-ratelimit-event-id"] for _ in range(3)}

    assert len(event_ids) == 3


def test_pacing_under_the_quota_gets_no_429(api, short_window):
    statuses = []
    deadline = time.monotonic() + 2.0
    while time.monotonic() < deadline:  # 15 requests/s against 20 per 1 s
        statuses.append(api.get(ORGS).status_code)
        time.sleep(1 / 15)

    assert len(statuses) >= 22  # more than one window's worth
    assert set(statuses) == {200}


def test_window_frees_up_after_retry_after(api, short_window):
    for _ in range(20):
        api.get(ORGS)
    refused = api.get(ORGS)
    assert refused.status_code == 429

    time.sleep(float(refused.headers["Retry-After"]))

    assert api.get(ORGS).status_code == 200


def test_quota_is_per_endpoint(api, short_window):
    for _ in range(20):
        api.get(ORGS)

    assert api.get(ORGS).status_code == 429
    assert api.get(USERS).status_code == 200


def test_token_endpoint_is_limited_too(short_window, token_form):
    short_window.set_config(rate_limit=3, window_seconds=1.0)
    form = token_form(short_window.client_id, short_window.client_secret)

    statuses = [httpx.post(short_window.base_url + TOKEN, files=form).status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_account_wide_limit_is_reported_as_hour(api, sandbox):
    sandbox.set_config(rate_limit=100, window_seconds=1.0, hourly_limit=5)  # "hour" = 60 s

    statuses = [api.get(path).status_code for path in [ORGS, USERS] * 2 + [ORGS]]
    refused = api.get(USERS)

    assert statuses == [200] * 5
    assert refused.status_code == 429
    assert refused.headers["ot-period"] == "HOUR"
    assert refused.headers["ot-requests-allowed"] == "5"
    assert 59 <= int(refused.headers["Retry-After"]) <= 60


def test_admin_endpoints_are_not_limited(short_window):
    short_window.set_config(rate_limit=1, window_seconds=60.0, hourly_limit=1)

    for _ in range(5):
        assert short_window.counts()["incidents"] == 0
