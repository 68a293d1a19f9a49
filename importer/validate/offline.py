"""Lookups that are *not checked*: validating offline, without the tenant to ask.

A mapping that looks up organizations or users in the register can still be validated without
credentials: every such value resolves to `NOT_CHECKED_ID`, and `checks.row_warnings` reports it
as a warning ("lookup not checked"), never as an error. Such a body is never sent: a run that
sends always has a register, so it never builds these lookups.
"""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Mapping as AbcMapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from importer.mapping import Lookups

__all__ = ["NOT_CHECKED_ID", "UncheckedLookups", "unchecked_lookups"]

NOT_CHECKED_ID = "00000000-0000-0000-0000-000000000000"
Resolution = tuple[str | None, str | None]  # (id, None) or (None, message), as OrgIndex.resolve


class _AnyOrganization:
    """Stands in for `OrgIndex`: every non-empty value resolves, to the placeholder id."""

    def resolve(self, value: str) -> Resolution:
        return (NOT_CHECKED_ID, None) if value.strip() else (None, "required, but empty")


class _AnyUser(AbcMapping[str, str]):
    """Stands in for the e-mail → user id table: every e-mail resolves, to the placeholder."""

    def __getitem__(self, key: str) -> str:
        return NOT_CHECKED_ID

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0


@dataclass(frozen=True, eq=False)
class UncheckedLookups(Lookups):
    """`Lookups` in which the kinds in `unchecked` (organizations, users) accept any value."""

    unchecked: frozenset[str] = frozenset()

    @cached_property
    def org_index(self) -> Any:
        return _AnyOrganization() if "organizations" in self.unchecked else super().org_index

    def with_inline(
        self, groups: AbcMapping[str, str], options: AbcMapping[str, AbcMapping[str, str]]
    ) -> Lookups:
        merged = Lookups.with_inline(self, groups, options)
        return UncheckedLookups(
            organizations=merged.organizations,
            users=self.users,
            groups=merged.groups,
            attribute_options=merged.attribute_options,
            unknown_users=merged.unknown_users,
            unchecked=self.unchecked,
        )


def unchecked_lookups(base: Lookups, kinds: set[str]) -> UncheckedLookups:
    """`base` with the lookups of `kinds` ("organizations", "users") left unchecked."""
    return UncheckedLookups(
        organizations=base.organizations,
        users=_AnyUser() if "users" in kinds else base.users,
        groups=base.groups,
        attribute_options=base.attribute_options,
        unknown_users=base.unknown_users,
        unchecked=frozenset(kinds),
    )
