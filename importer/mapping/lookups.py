"""Lookups: names → ids as plain data (resolved before the mapping runs), and the matching rules.

Each `resolve_*` returns `(id, None)` or `(None, message)`; callers run it once per distinct value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping as AbcMapping
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from importer.mapping.matching import did_you_mean

__all__ = [
    "Lookups",
    "OrgIndex",
    "OrgRecord",
    "Resolution",
    "is_uuid",
    "normalise_email",
    "resolve_group",
    "resolve_option",
    "resolve_user",
]

Resolution = tuple[str | None, str | None]

_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_ANGLE = re.compile(r"<([^<>]+)>")
_PATH_SPLIT = re.compile(r"\s*[/>]\s*")


def is_uuid(text: str) -> bool:
    return bool(_UUID.match(text))


@dataclass(frozen=True)
class OrgRecord:
    """One organization of the tenant; `path` is `Global/EMEA/France`."""

    id: str
    external_id: str | None
    name: str
    path: str


@dataclass(frozen=True, eq=False)
class Lookups:
    """Everything the mapping may look up, as plain data (no I/O behind it)."""

    organizations: Sequence[OrgRecord] = ()
    users: AbcMapping[str, str] = field(default_factory=dict)  # lower-case e-mail → user id
    groups: AbcMapping[str, str] = field(default_factory=dict)  # lower-case name → group id
    attribute_options: AbcMapping[str, AbcMapping[str, str]] = field(default_factory=dict)
    unknown_users: frozenset[str] = frozenset()  # e-mails already asked for and not found
    stages: frozenset[str] = frozenset()  # workflow stage names, from a lookup file

    @cached_property
    def org_index(self) -> OrgIndex:
        return OrgIndex(self.organizations)

    @cached_property
    def folded_groups(self) -> dict[str, str]:
        return {name.casefold(): gid for name, gid in self.groups.items()}

    @cached_property
    def folded_options(self) -> dict[str, dict[str, str]]:
        return {
            attr.casefold(): {name.casefold(): oid for name, oid in options.items()}
            for attr, options in self.attribute_options.items()
        }

    def has_options(self, attribute: str) -> bool:
        return attribute.casefold() in self.folded_options

    def with_inline(
        self, groups: AbcMapping[str, str], options: AbcMapping[str, AbcMapping[str, str]]
    ) -> Lookups:
        """These lookups plus ids written in the mapping file (the lookups win on conflicts)."""
        if not groups and not options:
            return self
        merged_options = {attr: dict(opts) for attr, opts in options.items()}
        for attr, opts in self.attribute_options.items():
            merged_options.setdefault(attr, {}).update(opts)
        return Lookups(
            organizations=self.organizations,
            users=self.users,
            groups={**groups, **self.groups},
            attribute_options=merged_options,
            unknown_users=self.unknown_users,
            stages=self.stages,
        )


def _path_key(text: str) -> str:
    return "/".join(part for part in _PATH_SPLIT.split(text.strip().casefold()) if part)


class OrgIndex:
    """Organizations by id, externalId, full path, unique path suffix, or unique name."""

    def __init__(self, organizations: Sequence[OrgRecord]) -> None:
        self.by_id = {org.id.lower(): org.id for org in organizations}
        self.by_external = {o.external_id.casefold(): o.id for o in organizations if o.external_id}
        self.by_path: dict[str, str] = {}
        self.by_suffix: dict[str, set[str]] = {}
        self.by_name: dict[str, set[str]] = {}
        for org in organizations:
            parts = _path_key(org.path).split("/")
            self.by_path["/".join(parts)] = org.id
            for start in range(1, len(parts)):
                self.by_suffix.setdefault("/".join(parts[start:]), set()).add(org.id)
            self.by_name.setdefault(org.name.strip().casefold(), set()).add(org.id)
        self.paths = {org.id: org.path for org in organizations}
        self.choices = [org.name for org in organizations] + [org.path for org in organizations]
        self.choices += [org.external_id for org in organizations if org.external_id]

    def resolve(self, value: str) -> Resolution:
        text = value.strip()
        if is_uuid(text) and text.lower() in self.by_id:
            return self.by_id[text.lower()], None
        folded = text.casefold()
        found = self.by_external.get(folded) or self.by_path.get(_path_key(text))
        if found:
            return found, None
        for table in (self.by_name, self.by_suffix):
            ids = table.get(folded if table is self.by_name else _path_key(text), set())
            if len(ids) == 1:
                return next(iter(ids)), None
            if len(ids) > 1:
                paths = ", ".join(sorted(self.paths[i] for i in ids))
                return None, f"organization name {text!r} is ambiguous; write its path: {paths}"
        return None, _missing("organization name, externalId or path", text, self.choices)


def _missing(what: str, value: str, choices: Sequence[str]) -> str:
    hint = did_you_mean(value, choices)
    return f"expected a known {what}" + (f"; {hint}" if hint else "")


def normalise_email(text: str) -> str:
    """`"Alice <Alice@Example.com>"` or `mailto:alice@example.com` → `alice@example.com`."""
    inner = _ANGLE.search(text)
    email = (inner.group(1) if inner else text).strip()
    email = email.removeprefix("mailto:").removeprefix("MAILTO:")
    return email.lower()


def resolve_user(value: str, lookups: Lookups) -> Resolution:
    if is_uuid(value.strip()):
        return value.strip(), None
    email = normalise_email(value)
    if not _EMAIL.match(email):
        return None, "expected an e-mail address"
    found = lookups.users.get(email)
    if found:
        return found, None
    return None, _missing("user e-mail", email, list(lookups.users))


def resolve_group(value: str, lookups: Lookups) -> Resolution:
    text = value.strip()
    if is_uuid(text):
        return text, None
    found = lookups.folded_groups.get(text.casefold())
    if found:
        return found, None
    return None, _missing("group name", text, list(lookups.groups))


def resolve_option(attribute: str, value: str, lookups: Lookups) -> Resolution | None:
    """Option id, or None when the tenant's options for this attribute are not known."""
    options = lookups.folded_options.get(attribute.casefold())
    if options is None:
        return None
    found = options.get(value.strip().casefold())
    if found:
        return found, None
    names = list(lookups.attribute_options.get(attribute, {}))
    if not names:
        names = [
            n
            for a, o in lookups.attribute_options.items()
            if a.casefold() == attribute.casefold()
            for n in o
        ]
    return None, _missing(f"option of {attribute!r}", value.strip(), names)
