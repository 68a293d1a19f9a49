"""Build `Lookups` before mapping: from the register (organizations tree, SCIM users) or CSV files.

It lives in `run/`, not `mapping/` or `send/`: the mapping core is pure (no I/O) and the client
knows nothing of mappings, so only the orchestration, which knows both, may join them.
Users are resolved in two phases, because only rows name them: `Mapping.user_emails(chunk)`
collects a chunk's e-mails (pure), then `add_users(lookups, client, emails)` asks the register
for the ones not asked for yet.
"""

from __future__ import annotations

import asyncio
import csv
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from importer.errors import ConfigError, MappingError
from importer.mapping import Lookups, Mapping, OrgRecord

__all__ = [
    "LOOKUP_COLUMNS",
    "RegisterLookupSource",
    "add_users",
    "fetch_lookups",
    "organizations_from_tree",
    "read_lookup_file",
]

# Offline CSV formats (header names are case-insensitive; the first alias is the documented one).
LOOKUP_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "organizations": {
        "id": ("id", "organizationid", "orggroupid"),
        "name": ("name",),
        "externalId": ("externalid", "external_id"),
        "path": ("path",),
    },
    "users": {"email": ("email", "e-mail", "username"), "id": ("id", "userid")},
    "groups": {"name": ("name",), "id": ("id", "groupid")},
    "options": {"attribute": ("attribute",), "option": ("option", "name"), "id": ("id",)},
    "stages": {"name": ("name", "stage", "stagename")},
}
_REQUIRED = {
    "organizations": ("id", "name"),
    "users": ("email", "id"),
    "groups": ("name", "id"),
    "options": ("attribute", "option", "id"),
    "stages": ("name",),
}


class RegisterLookupSource(Protocol):
    """What the register client offers for lookups."""

    async def list_organizations(self) -> list[dict[str, Any]]: ...

    async def find_user(self, email: str) -> dict[str, Any] | None: ...


async def fetch_lookups(
    mapping: Mapping,
    client: RegisterLookupSource | None,
    *,
    offline: dict[str, Path] | None = None,
    emails: Iterable[str] = (),
    concurrency: int = 4,
) -> Lookups:
    """Once per run: organizations (register or CSV), groups/options (CSV), users for `emails`."""
    files = {**mapping.lookup_files, **(offline or {})}
    organizations: list[OrgRecord] = []
    if "organizations" in files:
        organizations = _organizations_csv(files["organizations"])
    elif "organizations" in mapping.needs:
        source = _require(client, "organizations", mapping)
        organizations = organizations_from_tree(await source.list_organizations())
    users = _pairs(files["users"], "users", "email", "id") if "users" in files else {}
    groups = _pairs(files["groups"], "groups", "name", "id") if "groups" in files else {}
    options: dict[str, dict[str, str]] = {}
    if "options" in files:
        for row in read_lookup_file(files["options"], "options"):
            options.setdefault(row["attribute"], {})[row["option"]] = row["id"]
    lookups = Lookups(
        organizations=organizations,
        users={k.lower(): v for k, v in users.items()},
        groups={k.casefold(): v for k, v in groups.items()},
        attribute_options=options,
        stages=frozenset(r["name"] for r in read_lookup_file(files["stages"], "stages"))
        if "stages" in files
        else frozenset(),
    )
    wanted = list(emails)
    if "users" in files or not wanted:
        return lookups
    return await add_users(
        lookups, _require(client, "users", mapping), wanted, concurrency=concurrency
    )


async def add_users(
    lookups: Lookups, client: RegisterLookupSource, emails: Iterable[str], *, concurrency: int = 4
) -> Lookups:
    """Lookups plus the users found for e-mails not asked for before (found or not: cached)."""
    asked = set(lookups.users) | lookups.unknown_users
    todo = sorted({e.strip().lower() for e in emails} - asked)
    if not todo:
        return lookups
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(email: str) -> tuple[str, str | None]:
        async with gate:
            found = await client.find_user(email)
        ident = found.get("id") if isinstance(found, dict) else None
        return email, str(ident) if ident else None

    answers = await asyncio.gather(*(one(email) for email in todo))
    found = {email: ident for email, ident in answers if ident}
    return Lookups(
        organizations=lookups.organizations,
        users={**lookups.users, **found},
        groups=lookups.groups,
        attribute_options=lookups.attribute_options,
        unknown_users=lookups.unknown_users | {e for e, ident in answers if not ident},
        stages=lookups.stages,
    )


def _require(
    client: RegisterLookupSource | None, kind: str, mapping: Mapping
) -> RegisterLookupSource:
    if client is None:
        raise ConfigError(
            f"the mapping {mapping.path} looks up {kind}, but there is no register to ask",
            hint=f"give credentials (or --sandbox), or a file under 'lookups: {{{kind}: …}}'",
        )
    return client


def organizations_from_tree(payload: Any) -> list[OrgRecord]:
    """The organizations endpoint's JSON (one root, a list of roots, or a flat list) → records."""
    nodes: dict[str, tuple[dict[str, Any], str | None]] = {}

    def walk(node: Any, parent: str | None) -> None:
        if not isinstance(node, dict) or not node.get("organizationId", node.get("id")):
            return
        ident = str(node.get("organizationId") or node.get("id"))
        nodes[ident] = (node, parent or node.get("parentOrganizationId"))
        for child in node.get("children") or []:
            walk(child, ident)

    for root in payload if isinstance(payload, list) else [payload]:
        walk(root, None)
    records = []
    for ident, (node, _parent) in nodes.items():
        names, step, seen = [], ident, set()
        while step in nodes and step not in seen:
            seen.add(step)
            names.append(str(nodes[step][0].get("name") or step))
            step = nodes[step][1]  # type: ignore[assignment]
        external = node.get("externalId")
        records.append(
            OrgRecord(
                ident, str(external) if external else None, names[0], "/".join(reversed(names))
            )
        )
    return records


def read_lookup_file(path: Path, kind: str) -> list[dict[str, str]]:
    """Rows of an offline lookup CSV with documented column names; MappingError names file:line."""
    aliases = LOOKUP_COLUMNS[kind]
    try:
        with Path(path).open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            header = {(h or "").strip().lower(): h for h in reader.fieldnames or []}
            columns = {
                name: next((header[a] for a in alias if a in header), None)
                for name, alias in aliases.items()
            }
            missing = [name for name in _REQUIRED[kind] if columns[name] is None]
            if missing:
                raise MappingError(
                    f"{kind} lookup file needs the column(s) {', '.join(missing)}",
                    path=str(path),
                    line=1,
                    hint=f"header: {','.join(aliases)}",
                )
            rows = []
            for row in reader:
                values = {n: (row.get(c) or "").strip() for n, c in columns.items() if c}
                empty = [n for n in _REQUIRED[kind] if not values.get(n)]
                if empty:
                    raise MappingError(
                        f"{', '.join(empty)} is empty", path=str(path), line=reader.line_num
                    )
                rows.append(values)
            return rows
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise MappingError(f"cannot read the {kind} lookup file: {exc}", path=str(path)) from None


def _organizations_csv(path: Path) -> list[OrgRecord]:
    return [
        OrgRecord(
            row["id"], row.get("externalId") or None, row["name"], row.get("path") or row["name"]
        )
        for row in read_lookup_file(path, "organizations")
    ]


def _pairs(path: Path, kind: str, key: str, value: str) -> dict[str, str]:
    return {row[key]: row[value] for row in read_lookup_file(path, kind)}
