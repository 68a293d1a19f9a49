"""Checks of create/update bodies: the vendor schema (shared models) plus the tenant's data.

Every problem is collected, each named by a dotted field path such as
`jurisdictions.0.stateProvinceCode` or `attributeValues.Severity.0.id`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

from pydantic import BaseModel, ValidationError

from importer.sandbox.seed import Attribute, AttributeType, Tenant

__all__ = ["FieldProblem", "check_body", "incident_fields", "search_text"]

M = TypeVar("M", bound=BaseModel)

# model-level checks of the shared models name a field in their message: point at that field
_NAMED_FIELD = re.compile(r"^(stateProvinceCode|assigneeEmail) ")
_LINK_KEYS = "assets, processing-activities, vendors, entities"
_DEFAULTS = {"sourceType": "MANUAL", "notificationNeeded": "UNKNOWN"}


@dataclass(frozen=True)
class FieldProblem:
    field: str
    message: str

    def as_json(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


def check_body(body: Any, model: type[M], tenant: Tenant) -> tuple[M | None, list[FieldProblem]]:
    """Validate `body` as `model` and against the tenant; the model only when nothing is wrong."""
    parsed: M | None = None
    problems: list[FieldProblem] = []
    try:
        parsed = model.model_validate(body)
    except ValidationError as exc:
        problems.extend(_schema_problem(err) for err in exc.errors(include_url=False))
    if isinstance(body, dict):
        problems.extend(_tenant_problems(body, tenant))
    unique = list(dict.fromkeys(problems))
    return (parsed if not unique else None), unique


def incident_fields(model: BaseModel) -> dict[str, Any]:
    """The stored fields of a valid body: every API field present, vendor defaults filled in."""
    dumped = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    names = [f.alias or name for name, f in type(model).model_fields.items()]
    fields = {name: None for name in names} | dumped
    for name, default in _DEFAULTS.items():
        if fields.get(name) is None:
            fields[name] = default
    return fields


def search_text(fields: dict[str, Any], tenant: Tenant) -> str:
    """What fullText search looks at: name, description, type, root cause, stage, org, assignees."""
    names = ("name", "description", "incidentTypeName", "rootCause", "incidentStageName")
    parts = [fields.get(k) for k in names]
    parts.append(tenant.organization_name(UUID(fields["orgGroupId"])))
    for assignee in fields.get("incidentAssigneeRequests") or []:
        user = tenant.user(UUID(assignee["assigneeId"]))
        group = tenant.group(UUID(assignee["assigneeId"]))
        parts.append(user.displayName or user.userName if user else group.name if group else None)
    return "\x1f".join(p for p in parts if p)


def _schema_problem(err: Any) -> FieldProblem:
    loc = [str(p) for p in err["loc"] if p != "[key]"]
    message = str(err["msg"]).removeprefix("Value error, ")
    named = _NAMED_FIELD.match(message)
    if named:
        loc.append(named.group(1))
    if err["type"] == "extra_forbidden":
        message = "unknown field"
        if loc[:1] == ["linkedInventories"]:
            message += f"; linkedInventories accepts only {_LINK_KEYS}"
    return FieldProblem(".".join(loc) or "(body)", message)


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
        if "value" in value:
            return [FieldProblem(f"{where}.value", f"{name!r} takes option ids, not text")]
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
