"""Organization tree and SCIM user/group lookups."""

from __future__ import annotations

import pytest

ORGS = "/api/access/v1/external/organizations"
USERS = "/api/scim/v2/Users"
GROUPS = "/api/scim/v2/Groups"


def test_organizations_endpoint_returns_the_tree(api, ids):
    response = api.get(ORGS)

    assert response.status_code == 200
    root = response.json()
    assert (root["organizationId"], root["externalId"], root["name"]) == (
        ids.ORG_GLOBAL,
        "ORG-GLOBAL",
        "Global",
    )
    assert root["parentOrganizationId"] is None
    emea = next(c for c in root["children"] if c["name"] == "EMEA")
    france = next(c for c in emea["children"] if c["name"] == "France")
    assert france["organizationId"] == ids.ORG_FRANCE
    assert (france["parentOrganizationId"], france["parentExternalId"]) == (
        emea["organizationId"],
        "ORG-EMEA",
    )
    assert france["children"] == []


@pytest.mark.parametrize(
    "user_name",
    ["alice.martin@example.com", "Alice.Martin@Example.com"],
    ids=["exact", "other-case"],
)
def test_scim_user_lookup_by_user_name(api, ids, user_name):
    response = api.get(USERS, params={"filter": f'userName eq "{user_name}"'})

    assert response.status_code == 200
    body = response.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:ListResponse"]
    assert body["totalResults"] == 1
    (user,) = body["Resources"]
    assert user["id"] == ids.USER_ALICE
    assert user["emails"][0]["value"] == "alice.martin@example.com"


def test_scim_lookup_without_match_is_an_empty_list(api):
    response = api.get(USERS, params={"filter": 'userName eq "nobody@example.com"'})

    assert response.status_code == 200
    assert (response.json()["totalResults"], response.json()["Resources"]) == (0, [])


def test_scim_without_filter_lists_every_user(api):
    assert api.get(USERS).json()["totalResults"] == 4


def test_scim_unsupported_filter_is_400(api):
    response = api.get(USERS, params={"filter": 'emails co "example"'})

    assert response.status_code == 400
    assert response.json()["scimType"] == "invalidFilter"


def test_scim_group_lookup_by_display_name(api, ids):
    response = api.get(GROUPS, params={"filter": 'displayName eq "Privacy Office"'})

    assert [g["id"] for g in response.json()["Resources"]] == [ids.GROUP_PRIVACY]
