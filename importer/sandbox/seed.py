"""The sandbox tenant: credentials, organization tree, incident types, users, groups, attributes.

Loaded from a YAML seed file (`load_seed(path)`), or the shipped `default_seed.yaml`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any
from uuid import UUID

import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, model_validator

from importer.sandbox.config import SandboxConfigError
from importer.sandbox.workflows import DEFAULT_WORKFLOW, Workflow

__all__ = [
    "DEFAULT_SCOPES",
    "Attribute",
    "AttributeOption",
    "AttributeType",
    "Credential",
    "Group",
    "Organization",
    "Tenant",
    "User",
    "load_seed",
    "parse_seed",
]

DEFAULT_SCOPES = ("INCIDENT", "INCIDENT_CREATE", "INCIDENT_READ", "ORGANIZATION", "USER")
Text = Annotated[str, Field(min_length=1, pattern=r"\S")]


class _SeedModel(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Credential(_SeedModel):
    client_id: Text
    client_secret: Text
    scopes: list[Text] = Field(default_factory=lambda: list(DEFAULT_SCOPES))


class Organization(_SeedModel):
    id: UUID
    externalId: Text | None = None
    name: Text
    children: list[Organization] = Field(default_factory=list)


class User(_SeedModel):
    id: UUID
    userName: Text
    displayName: Text | None = None
    email: Text | None = None  # defaults to userName

    @property
    def email_address(self) -> str:
        return self.email or self.userName


class Group(_SeedModel):
    id: UUID
    name: Text


class AttributeType(StrEnum):
    SINGLE_SELECT = "SINGLE_SELECT"
    MULTI_SELECT = "MULTI_SELECT"
    TEXT = "TEXT"


class AttributeOption(_SeedModel):
    id: UUID
    name: Text


class Attribute(_SeedModel):
    name: Text
    type: AttributeType
    options: list[AttributeOption] = Field(default_factory=list)

    @property
    def is_select(self) -> bool:
        return self.type is not AttributeType.TEXT

    @model_validator(mode="after")
    def _options_match_type(self) -> Attribute:
        if self.is_select and not self.options:
            raise ValueError(f"attribute {self.name!r} of type {self.type} needs options")
        if not self.is_select and self.options:
            raise ValueError(f"attribute {self.name!r} of type TEXT cannot have options")
        return self


class Tenant(_SeedModel):
    """One tenant of the register; ids and names are unique, and there is one root organization."""

    credentials: list[Credential] = Field(min_length=1)
    organizations: list[Organization] = Field(min_length=1, max_length=1)
    incident_types: list[Text] = Field(min_length=1)
    users: list[User] = Field(default_factory=list)
    groups: list[Group] = Field(default_factory=list)
    attributes: list[Attribute] = Field(default_factory=list)
    # The first workflow is every incident type's unless `incident_type_workflows` names another.
    workflows: list[Workflow] = Field(default_factory=lambda: [DEFAULT_WORKFLOW], min_length=1)
    incident_type_workflows: dict[Text, Text] = Field(default_factory=dict)

    _organizations: dict[UUID, Organization] = PrivateAttr(default_factory=dict)

    @model_validator(mode="after")
    def _unique_keys(self) -> Tenant:
        orgs = [org for org, _ in self.walk_organizations()]
        options = [o.id for a in self.attributes for o in a.options]
        _require_unique("credentials client_id", [c.client_id for c in self.credentials])
        _require_unique("organization id", [o.id for o in orgs])
        _require_unique("organization externalId", [o.externalId for o in orgs if o.externalId])
        _require_unique("incident type", self.incident_types)
        _require_unique(
            "user or group id", [u.id for u in self.users] + [g.id for g in self.groups]
        )
        _require_unique("userName", [u.userName.casefold() for u in self.users])
        _require_unique("attribute name", [a.name for a in self.attributes])
        _require_unique("attribute option id", options)
        _require_unique("workflow name", [w.name for w in self.workflows])
        workflows = {w.name for w in self.workflows}
        for type_name, workflow in self.incident_type_workflows.items():
            if type_name not in self.incident_types:
                raise ValueError(f"incident_type_workflows names unknown type {type_name!r}")
            if workflow not in workflows:
                raise ValueError(f"incident_type_workflows names unknown workflow {workflow!r}")
        return self

    def workflow_for(self, incident_type: str) -> Workflow:
        """The workflow an incident of `incident_type` follows."""
        name = self.incident_type_workflows.get(incident_type)
        return next((w for w in self.workflows if w.name == name), self.workflows[0])

    def model_post_init(self, context: Any, /) -> None:
        self._organizations.update({org.id: org for org, _ in self.walk_organizations()})

    def walk_organizations(self) -> Iterator[tuple[Organization, Organization | None]]:
        """Every organization with its parent, depth first from the root."""
        stack: list[tuple[Organization, Organization | None]] = [
            (org, None) for org in reversed(self.organizations)
        ]
        while stack:
            org, parent = stack.pop()
            yield org, parent
            stack.extend((child, org) for child in reversed(org.children))

    def has_organization(self, org_id: UUID) -> bool:
        return org_id in self._organizations

    def organization_name(self, org_id: UUID) -> str | None:
        org = self._organizations.get(org_id)
        return org.name if org else None

    def attribute(self, name: str) -> Attribute | None:
        return next((a for a in self.attributes if a.name == name), None)

    def user(self, user_id: UUID) -> User | None:
        return next((u for u in self.users if u.id == user_id), None)

    def group(self, group_id: UUID) -> Group | None:
        return next((g for g in self.groups if g.id == group_id), None)

    def credential(self, client_id: str, client_secret: str) -> Credential | None:
        return next(
            (
                c
                for c in self.credentials
                if (c.client_id, c.client_secret) == (client_id, client_secret)
            ),
            None,
        )


def _require_unique(what: str, values: list[Any]) -> None:
    duplicates = sorted(str(value) for value, n in Counter(values).items() if n > 1)
    if duplicates:
        raise ValueError(f"duplicate {what}: {', '.join(duplicates)}")


def load_seed(path: Path | None = None) -> Tenant:
    """Load and check a seed file; `None` loads the shipped default tenant."""
    if path is None:
        text = resources.files("importer.sandbox").joinpath("default_seed.yaml").read_text("utf-8")
        return parse_seed(text, source="default_seed.yaml")
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SandboxConfigError(f"{path}: cannot read seed file: {exc}") from None
    return parse_seed(text, source=str(path))


def parse_seed(text: str, *, source: str = "<seed>") -> Tenant:
    """Parse seed YAML text into a Tenant; raise SandboxConfigError naming every problem."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{source}:{mark.line + 1}" if mark is not None else source
        problem = getattr(exc, "problem", None) or str(exc)
        raise SandboxConfigError(f"{where}: seed file is not valid YAML: {problem}") from None
    if not isinstance(data, dict):
        raise SandboxConfigError(
            f"{source}: seed file must be a mapping with keys credentials, organizations, ...",
            hint="start from importer/sandbox/default_seed.yaml",
        )
    try:
        return Tenant.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(top level)'}: {err['msg']}"
            for err in exc.errors(include_url=False)
        )
        raise SandboxConfigError(
            f"{source}: invalid seed file: {problems}",
            hint="start from importer/sandbox/default_seed.yaml",
        ) from None
