"""Checks of create/update bodies: the vendor's JSON Schema (`schema.py`) plus the tenant's data.

Every problem is collected, each named by a dotted field path such as
`jurisdictions.0.stateProvinceCode` or `attributeValues.Severity.0.id`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from importer.sandbox.schema import schema_problems
from importer.sandbox.seed import Attribute, AttributeType, Tenant

__all__ = ["FieldProblem", "check_body", "incident_fields", "search_text"]

_DEFAULTS = {"sourceType": "MANUAL", "notificationNeeded": "UNKNOWN"}


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


def check_body(
    body: Any, schema: dict[str, Any], tenant: Tenant
) -> tuple[dict[str, Any] | None, list[FieldProblem]]:
    """Validate `body` against a JSON `schema` and the tenant; the body only when all is right."""
    problems = [FieldProblem(path, message) for path, message in schema_problems(body, schema)]
    if isinstance(body, dict):
        problems.extend(_tenant_problems(body, tenant))
    unique = list(dict.fromkeys(problems))
    return (body if not unique and isinstance(body, dict) else None), unique


def incident_fields(body: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """The stored fields of a valid body: every API field present, vendor defaults filled in."""
    fields = {name: None for name in schema["properties"]} | body
    for name, default in _DEFAULTS.items():
        if fields.get(name) is None:
            fields[name] = default
    return fields


def search_text(fields: dict[str, Any], tenant: Tenant) -> str:
    """What fullText search looks at: name, description, type, root cause, org and assignees."""
    parts = [fields.get(k) for k in ("name", "description", "incidentTypeName", "rootCause")]
    parts.append(tenant.organization_name(UUID(fields["orgGroupId"])))
    for assignee in fields.get("incidentAssigneeRequests") or []:
        user = tenant.user(UUID(assignee["assigneeId"]))
        group = tenant.group(UUID(assignee["assigneeId"]))
        parts.append(user.displayName or user.userName if user else group.name if group else None)
    return "\x1f".join(p for p in parts if p)


def _tenant_problems(body: dict[str, Any], tenant: Tenant) -> list[FieldProblem]:
    problems: list[FieldProblem] = []
    org_id = _as_uuid(body.get("orgGroupId"))
    if org_id is not None and not tenant.has_organization(org_id):
        problems.append(
            FieldProblem("orgGroupId", f"organization {org_id} is not in the organization tree")
        )
    type_name = body.get("incidentTypeName")
    if isinstance(type_name, str) and type_name.strip() and type_name not in tenant.incident_types:
        known = ", ".join(tenant.incident_types)
        problems.append(
            FieldProblem(
                "incidentTypeName", f"incident type {type_name!r} is not configured; known: {known}"
            )
        )
    attributes = body.get("attributeValues")
    if isinstance(attributes, dict):
        for name, values in attributes.items():
            problems.extend(_attribute_problems(str(name), values, tenant))
    assignees = body.get("incidentAssigneeRequests")
    if isinstance(assignees, list):
        for index, assignee in enumerate(assignees):
            if isinstance(assignee, dict):
                problems.extend(_assignee_problems(index, assignee, tenant))
    return problems


def _attribute_problems(name: str, values: Any, tenant: Tenant) -> list[FieldProblem]:
    attribute = tenant.attribute(name)
    where = f"attributeValues.{name}"
    if attribute is None:
        if not name.strip():
            return []  # the schema check already reports an empty name
        known = ", ".join(a.name for a in tenant.attributes) or "none"
        return [FieldProblem(where, f"no custom attribute named {name!r}; known: {known}")]
    if not isinstance(values, list):
        return []
    problems = []
    if attribute.type is AttributeType.SINGLE_SELECT and len(values) > 1:
        problems.append(FieldProblem(where, f"{name!r} is single-select: give at most one option"))
    for index, value in enumerate(values):
        if isinstance(value, dict):
            problems.extend(_option_problems(f"{where}.{index}", attribute, value))
    return problems


def _option_problems(where: str, attribute: Attribute, value: dict[str, Any]) -> list[FieldProblem]:
    name = attribute.name
    if not attribute.is_select:
        if "id" in value:
            return [FieldProblem(f"{where}.id", f"{name!r} is a text attribute: give 'value'")]
        return []
    if "id" not in value:
        # The vendor's own create example names options by their text: [{"value": "..."}].
        text = value.get("value")
        if isinstance(text, str) and all(o.name != text for o in attribute.options):
            known = ", ".join(o.name for o in attribute.options)
            return [
                FieldProblem(f"{where}.value", f"{text!r} is not an option of {name!r}: {known}")
            ]
        return []
    option_id = _as_uuid(value["id"])
    if option_id is not None and all(o.id != option_id for o in attribute.options):
        known = ", ".join(f"{o.name} ({o.id})" for o in attribute.options)
        return [
            FieldProblem(
                f"{where}.id", f"{option_id} is not an option of {name!r}; options: {known}"
            )
        ]
    return []


def _assignee_problems(index: int, assignee: dict[str, Any], tenant: Tenant) -> list[FieldProblem]:
    where = f"incidentAssigneeRequests.{index}"
    assignee_id = _as_uuid(assignee.get("assigneeId"))
    if assignee_id is None:
        return []
    if assignee.get("type", "USER") == "GROUP":
        if tenant.group(assignee_id) is None:
            hint = " (it is a user: set type USER)" if tenant.user(assignee_id) else ""
            return [FieldProblem(f"{where}.assigneeId", f"no group with id {assignee_id}{hint}")]
        return []
    user = tenant.user(assignee_id)
    if user is None:
        hint = " (it is a group: set type GROUP)" if tenant.group(assignee_id) else ""
        return [FieldProblem(f"{where}.assigneeId", f"no user with id {assignee_id}{hint}")]
    email = assignee.get("assigneeEmail")
    if isinstance(email, str) and email.casefold() != user.email_address.casefold():
        return [FieldProblem(f"{where}.assigneeEmail", f"{email!r} is not the e-mail of this user")]
    return []


def _as_uuid(value: Any) -> UUID | None:
    try:
        return UUID(value) if isinstance(value, str) else None
    except ValueError:
        return None
