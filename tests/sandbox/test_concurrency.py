"""The register stays consistent under the importer's concurrency (4-16 parallel creates)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

INCIDENTS = "/api/incident/v1/incidents"


def test_parallel_creates_are_all_stored_with_unique_numbers(sandbox, fetch_token, make_body):
    headers = {"Authorization": f"Bearer {fetch_token(sandbox)}"}
    limits = httpx.Limits(max_connections=16)

    with httpx.Client(base_url=sandbox.base_url, headers=headers, limits=limits) as client:

        def create(n: int) -> tuple[int, str]:
            response = client.post(INCIDENTS, json=make_body(name=f"Parallel {n}"))
            return response.status_code, response.json()

        with ThreadPoolExecutor(max_workers=16) as pool:
            results = list(pool.map(create, range(200)))

    assert {status for status, _ in results} == {201}
    incidents = sandbox.incidents()
    assert sorted(i["number"] for i in incidents) == list(range(1, 201))
    assert {i["incidentId"] for i in incidents} == {incident_id for _, incident_id in results}
    assert sandbox.counts()["duplicates"] == 0
