"""Update Incident Stage on the sandbox: workflows, refused moves, read models, faults, scope."""

from __future__ import annotations

import httpx
import pytest

from importer.sandbox.seed import parse_seed

INCIDENTS = "/api/incident/v1/incidents"
SEARCH = "/api/incident/v1/incidents/search"
UNKNOWN_ID = "00000000-0000-4000-8000-000000000000"


def _stage(incident_id: str) -> str:
    return f"/api/incident/v1/assignments/entities/{incident_id}/stage"


def test_a_new_incident_starts_open_in_its_workflows_first_stage(api, create):
    incident = api.get(f"{INCIDENTS}/{create()}").json()

    assert incident["workflowName"] == "Incident Workflow"
    assert incident["incidentStageName"] == "New"
    assert incident["incidentStatus"] == "OPEN"
    assert incident["dateClosed"] is None


def test_moving_to_closed_answers_the_stage_and_closes_the_incident(api, create):
    incident_id = create()

    response = api.post(_stage(incident_id), json={"nextStageName": "Closed", "parameters": {}})
    incident = api.get(f"{INCIDENTS}/{incident_id}").json()

    assert response.status_code == 200
    assert response.json()["name"] == "Closed"
    assert response.json()["sequence"] == 4
    assert response.json()["id"] == incident["incidentStageId"]
    assert incident["incidentStageName"] == "Closed"
    assert incident["incidentStatus"] == "CLOSED"
    assert incident["dateClosed"].endswith("Z")


def test_search_results_carry_the_stage_and_full_text_finds_it(api, create):
    incident_id = create(name="Stage search probe")
    api.post(_stage(incident_id), json={"nextStageName": "Remediating"})

    items = api.post(SEARCH, json={"fullText": "remediating"}).json()  # a JSON array

    assert [i["incidentId"] for i in items] == [incident_id]
    assert items[0]["incidentStageName"] == "Remediating"


def test_an_incident_type_follows_its_own_workflow(api, create):
    breach = create(incidentTypeName="Data Breach")
    phishing = create(incidentTypeName="Phishing")

    to_notifying = api.post(_stage(breach), json={"nextStageName": "Notifying"})
    refused = api.post(_stage(phishing), json={"nextStageName": "Notifying"})

    assert to_notifying.status_code == 200
    assert api.get(f"{INCIDENTS}/{breach}").json()["workflowName"] == "Breach Workflow"
    assert refused.status_code == 400
    assert "not in workflow 'Incident Workflow'" in refused.json()["errors"][0]["message"]


@pytest.mark.parametrize(
    ("first", "then", "why"),
    [
        (None, "Closd", "is not in workflow"),
        ("Closed", "Investigating", "cannot move back"),
        ("Investigating", "Investigating", "already in stage"),
    ],
    ids=["unknown-stage", "backwards", "same-stage"],
)
def test_moves_the_workflow_cannot_make_are_400_and_change_nothing(api, create, first, then, why):
    incident_id = create()
    if first:
        assert api.post(_stage(incident_id), json={"nextStageName": first}).status_code == 200

    response = api.post(_stage(incident_id), json={"nextStageName": then})

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "nextStageName"
    assert why in response.json()["errors"][0]["message"]
    assert api.get(f"{INCIDENTS}/{incident_id}").json()["incidentStageName"] == (first or "New")


@pytest.mark.parametrize(
    "body",
    [{}, {"nextStageName": ""}, {"nextStageName": "Closed", "extra": 1}, ["Closed"]],
    ids=["missing", "blank", "unknown-field", "not-an-object"],
)
def test_a_malformed_body_is_400(api, create, body):
    response = api.post(_stage(create()), json=body)

    assert response.status_code == 400


def test_an_unknown_incident_is_404(api):
    assert api.post(_stage(UNKNOWN_ID), json={"nextStageName": "Closed"}).status_code == 404


def test_fail_after_commit_moves_then_answers_500(api, create, sandbox):
    incident_id = create()
    sandbox.set_faults(fail_after_commit=1.0)

    response = api.post(_stage(incident_id), json={"nextStageName": "Closed"})

    assert response.status_code == 500
    assert api.get(f"{INCIDENTS}/{incident_id}").json()["incidentStageName"] == "Closed"


def test_fail_before_commit_moves_nothing(api, create, sandbox):
    incident_id = create()
    sandbox.set_faults(fail_before_commit=1.0)

    response = api.post(_stage(incident_id), json={"nextStageName": "Closed"})

    assert response.status_code == 500
    assert api.get(f"{INCIDENTS}/{incident_id}").json()["incidentStageName"] == "New"


def test_drop_after_commit_closes_the_connection_after_the_move(api, create, sandbox):
    incident_id = create()
    sandbox.set_faults(drop_after_commit=1.0)

    with pytest.raises(httpx.RemoteProtocolError):
        api.post(_stage(incident_id), json={"nextStageName": "Closed"})

    assert api.get(f"{INCIDENTS}/{incident_id}").json()["incidentStageName"] == "Closed"


def test_an_update_keeps_the_stage(api, create):
    incident_id = create()
    api.post(_stage(incident_id), json={"nextStageName": "Closed"})
    update = {"name": "Renamed", "incidentTypeName": "Phishing", "orgGroupId": None}
    update["orgGroupId"] = api.get(f"{INCIDENTS}/{incident_id}").json()["orgGroupId"]

    assert api.put(f"{INCIDENTS}/{incident_id}", json=update).status_code == 200
    assert api.get(f"{INCIDENTS}/{incident_id}").json()["incidentStageName"] == "Closed"


def test_the_stage_endpoint_needs_the_incident_scope(sandbox, create, token_form):
    seed = parse_seed(
        "credentials: [{client_id: reader, client_secret: s, scopes: [INCIDENT_READ]}]\n"
        "organizations: [{id: a963394b-3edd-49d0-ba66-6af5a4f70da1, name: Global}]\n"
        "incident_types: [Phishing]\n"
    )
    assert seed.workflows[0].name == "Incident Workflow"  # a seed without workflows gets one
    incident_id = create()
    token = httpx.post(
        sandbox.base_url + "/api/access/v1/oauth/token",
        files=token_form(sandbox.client_id, sandbox.client_secret),
    ).json()["access_token"]
    no_token = httpx.post(sandbox.base_url + _stage(incident_id), json={"nextStageName": "Closed"})
    with_token = httpx.post(
        sandbox.base_url + _stage(incident_id),
        json={"nextStageName": "Closed"},
        headers={"Authorization": f"Bearer {token}"},
    )

    assert no_token.status_code == 401
    assert with_token.status_code == 200


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ("workflows: [{name: W, stages: [{name: A}, {name: A}]}]", "repeats stage"),
        ("incident_type_workflows: {Phishing: Nope}", "unknown workflow"),
        ("incident_type_workflows: {Nope: Incident Workflow}", "unknown type"),
    ],
    ids=["repeated-stage", "unknown-workflow", "unknown-type"],
)
def test_a_seed_with_broken_workflows_is_refused(extra, problem):
    text = (
        "credentials: [{client_id: c, client_secret: s}]\n"
        "organizations: [{id: a963394b-3edd-49d0-ba66-6af5a4f70da1, name: Global}]\n"
        f"incident_types: [Phishing]\n{extra}\n"
    )
    with pytest.raises(ValueError, match=problem):
        parse_seed(text)
