"""Tenant lookups as the vendor answers them: the organization tree and SCIM users/groups."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from importer.sandbox.seed import Group, Organization, Tenant, User

__all__ = ["organization_tree", "scim_groups", "scim_users"]

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SCIM_ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
T = TypeVar("T")
_EQ_FILTER = re.compile(r'^\s*(\w+)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)


def organization_tree(tenant: Tenant) -> dict[str, Any]:
    """The root organization with its `children`, recursively."""
    return _organization(tenant.organizations[0], None)


def _organization(org: Organization, parent: Organization | None) -> dict[str, Any]:
    return {
        "organizationId": str(org.id),
        "externalId": org.externalId,
        "name": org.name,
        "parentOrganizationId": str(parent.id) if parent else None,
        "parentExternalId": parent.externalId if parent else None,
        "children": [_organization(child, org) for child in org.children],
    }


def scim_users(tenant: Tenant, params: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
    """`(status, body)` for `GET /Users?filter=userName eq "..."` (no filter: every user)."""
    return _list(
        tenant.users,
        params,
        {"username": lambda u: u.userName, "id": lambda u: str(u.id)},
        _user,
    )


def scim_groups(tenant: Tenant, params: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
    """`(status, body)` for `GET /Groups?filter=displayName eq "..."` (no filter: every group)."""
    return _list(
        tenant.groups,
        params,
        {"displayname": lambda g: g.name, "id": lambda g: str(g.id)},
        _group,
    )


def _list(
    items: list[T],
    params: Mapping[str, str],
    attributes: Mapping[str, Callable[[T], str]],
    render: Callable[[T], dict[str, Any]],
) -> tuple[int, dict[str, Any]]:
    text = params.get("filter")
    if text:
        match = _EQ_FILTER.match(text)
        if not match or match.group(1).lower() not in attributes:
            names = " or ".join(a for a in attributes)
            detail = f'unsupported filter {text!r}: use ATTRIBUTE eq "value" with {names}'
            return 400, _scim_error(400, "invalidFilter", detail)
        attribute = attributes[match.group(1).lower()]
        wanted = match.group(2).replace('\\"', '"').casefold()  # SCIM: case-insensitive
        items = [item for item in items if attribute(item).casefold() == wanted]
    try:
        start = max(1, int(params.get("startIndex", "1")))
        count = max(0, int(params.get("count", "100")))
    except ValueError:
        return 400, _scim_error(400, "invalidValue", "startIndex and count must be integers")
    page = items[start - 1 : start - 1 + count]
    return 200, {
        "schemas": [LIST_RESPONSE],
        "totalResults": len(items),
        "startIndex": start,
        "itemsPerPage": len(page),
        "Resources": [render(item) for item in page],
    }


def _user(user: User) -> dict[str, Any]:
    return {
        "schemas": [USER_SCHEMA],
        "id": str(user.id),
        "userName": user.userName,
        "displayName": user.displayName,
        "emails": [{"value": user.email_address, "primary": True, "type": "work"}],
        "active": True,
    }


def _group(group: Group) -> dict[str, Any]:
    return {"schemas": [GROUP_SCHEMA], "id": str(group.id), "displayName": group.name}


def _scim_error(status: int, scim_type: str, detail: str) -> dict[str, Any]:
    return {"schemas": [SCIM_ERROR], "status": str(status), "scimType": scim_type, "detail": detail}
