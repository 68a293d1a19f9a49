"""Find out whether an ambiguous create reached the register, before anything is resent.

Create Incident has no idempotency key, so after a 500, a read timeout or a crash between
`mark_sending` and the answer, the only way to know is to search for the incident and
compare it field by field with the body we sent. Only incidents created after the row was
first sent, and not owned by another ledger key, may be adopted.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from importer.errors import AmbiguousSendError
from importer.models import parse_api_datetime

__all__ = [
    "COMPARED_FIELDS",
    "SEARCH_SORT",
    "IncidentSearch",
    "find_created",
    "lookalike_key",
    "same_incident",
]

# The body fields `same_incident` compares (see its docstring for why these and how).
COMPARED_FIELDS: tuple[str, ...] = (
    "name",
    "incidentTypeName",
    "orgGroupId",
    "dateOccurred",
    "dateDiscovered",
    "deadline",
    "description",
    "rootCause",
    "sourceType",
    "notificationNeeded",
    "attributeValues",
)
_DATE_FIELDS = frozenset({"dateOccurred", "dateDiscovered", "deadline"})
# Fields the register fills with a default when the body leaves them out.
_REGISTER_DEFAULTS = {"sourceType": "MANUAL", "notificationNeeded": "UNKNOWN"}
SEARCH_SORT = "createdDate,desc"  # newest first: the incident we look for is recent
SEARCH_PAGE_SIZE = 200
MAX_SEARCH_PAGES = 25  # 5,000 candidates; past that we cannot tell, and say so


class IncidentSearch(Protocol):
    """What reconciliation needs from the register client."""

    async def search_incidents(
        self,
        full_text: str | None,
        filters: dict[str, Any] | None = None,
        *,
        page: int = 0,
        size: int = 50,
        sort: str | None = None,
    ) -> list[dict[str, Any]]: ...


def same_incident(body: dict[str, Any], found: dict[str, Any]) -> bool:
    """True when the register's `found` incident carries what `body` asked to create.

    Compared (`COMPARED_FIELDS`): every scalar field a create body sets that the register
    echoes back unchanged in search results, plus the custom attributes, so that two rows
    differing in any of them are never mistaken for one another:
    - name, incidentTypeName, description, rootCause: exactly (case and spaces matter);
      blank and missing are the same, because the register stores both as null.
    - orgGroupId as a UUID (any case); dateOccurred, dateDiscovered, deadline as instants
      (`Z`, `+00:00`, other offsets, milli- or microseconds all equal when the instant is).
    - sourceType, notificationNeeded: a missing or None value on either side stands for the
      default the register fills in (MANUAL, UNKNOWN), so body None matches found default.
    - attributeValues: only the attributes the body names (the tenant may fill others), each
      as a multiset of option ids (UUIDs) or of trimmed text values.
    Not compared: assignees, jurisdictions and linked inventories, which the vendor does not
    list among search results, and the register's own fields (incidentId, createdDate, ...).
    A field the search result leaves out altogether (the vendor documents its result fields
    only in part) is not compared either, except name, type and organization: treating an
    unlisted field as empty would never match, and a missed match means a duplicate.
    """
    attributes_listed = "attributeValues" in found
    return _scalars_match(body, found) and (
        not attributes_listed
        or _attributes_match(body.get("attributeValues"), found.get("attributeValues"))
    )


def lookalike_key(body: dict[str, Any]) -> str:
    """Equal for any two bodies whose incidents `same_incident` could confuse.

    The compared scalar fields in normalized form (instants in UTC, UUIDs, defaults filled),
    without attributeValues: a body naming fewer attributes matches an incident that has more,
    so rows differing only in attributes must still share a key. Coarser is safe here.
    """
    parts = []
    for name in COMPARED_FIELDS:
        value = _normalized(name, body.get(name)) if name != "attributeValues" else None
        parts.append(value.astimezone(UTC).isoformat() if isinstance(value, datetime) else value)
    return json.dumps(parts, default=str)


_ALWAYS_LISTED = frozenset({"name", "incidentTypeName", "orgGroupId"})


def _scalars_match(body: dict[str, Any], found: dict[str, Any]) -> bool:
    return all(
        _normalized(name, body.get(name)) == _normalized(name, found.get(name))
        for name in COMPARED_FIELDS
        if name != "attributeValues" and (name in found or name in _ALWAYS_LISTED)
    )


def _normalized(field: str, value: Any) -> Any:
    """A comparable form: blanks are None, dates are UTC instants, ids are UUIDs."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return _REGISTER_DEFAULTS.get(field)
    if field in _DATE_FIELDS and isinstance(value, str):
        return _instant(value)
    if field == "orgGroupId":
        return _uuid_or_text(value)
    return value


def _uuid_or_text(value: Any) -> UUID | str:
    try:
        return UUID(str(value))
    except ValueError:
        return str(value)


def _instant(text: str) -> datetime | str:
    try:
        return parse_api_datetime(text)
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return text  # not a date at all: compare as written
    # A register that drops the offset still means UTC (the API speaks UTC only).
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _attributes_match(wanted: Any, found: Any) -> bool:
    if not isinstance(wanted, dict):
        return True  # the body sets no custom attribute
    found_attributes = found if isinstance(found, dict) else {}
    for name, values in wanted.items():
        expected = _attribute_values(values)
        # An option the register echoes as {id, value (its label)} is matched on its id when
        # the body gave ids, on its text when the body gave text.
        by_id = any(kind == "id" for kind, _ in expected)
        if expected != _attribute_values(found_attributes.get(name), by_id=by_id):
            return False
    return True


def _attribute_values(values: Any, *, by_id: bool = True) -> Counter[tuple[str, Any]]:
    """The multiset of an attribute's values: ("id", UUID) for options, ("value", text)."""
    counted: Counter[tuple[str, Any]] = Counter()
    for value in values if isinstance(values, list) else []:
        item = value if isinstance(value, dict) else {"value": value}
        option, text = item.get("id"), item.get("value")
        if option is not None and (by_id or text is None):
            counted[("id", _uuid_or_text(option))] += 1
        elif text is not None:
            counted[("value", str(text).strip())] += 1
    return counted


def _created(found: dict[str, Any]) -> datetime | None:
    """The incident's createdDate as an aware instant, or None when absent or unreadable."""
    text = found.get("createdDate")
    moment = _instant(text) if isinstance(text, str) and text.strip() else None
    return moment if isinstance(moment, datetime) else None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


async def find_created(
    search: IncidentSearch,
    body: dict[str, Any],
    *,
    claimed: Callable[[Collection[str]], Collection[str]],
    created_after: datetime | None = None,
    page_size: int = SEARCH_PAGE_SIZE,
    max_pages: int = MAX_SEARCH_PAGES,
) -> str | None:
    """Id of an unclaimed incident created after `created_after` that matches `body`, or None.

    Searches the body's name within its organization, newest first. `claimed(ids)` returns
    those of `ids` that a ledger key already owns (they are skipped); an incident whose
    createdDate is before `created_after` (naive means UTC) is skipped, and once a whole page
    is that old the search stops. Search errors (`SendError` subclasses) propagate untouched.
    If `max_pages` full pages pass without a hit, raise `AmbiguousSendError`: "not found"
    would be a guess.
    """
    cutoff = _aware(created_after) if created_after is not None else None
    org = body.get("orgGroupId")
    filters = {"orgGroupId": str(org)} if org else None
    seen: set[str] = set()
    for page in range(max_pages):
        results = await search.search_incidents(
            body.get("name"), filters, page=page, size=page_size, sort=SEARCH_SORT
        )
        fresh = [r for r in results if r.get("incidentId") and str(r["incidentId"]) not in seen]
        seen.update(str(r["incidentId"]) for r in fresh)
        candidates = [
            str(r["incidentId"]) for r in fresh if _recent(r, cutoff) and same_incident(body, r)
        ]
        if candidates:
            owned = set(claimed(candidates))
            adoptable = [c for c in candidates if c not in owned]
            if adoptable:
                return adoptable[0]
        # A short page is the last one; a page with nothing new means the server ignores
        # paging; a page all older than the cutoff means every later page is older still.
        if len(results) < page_size or not fresh or _all_older(fresh, cutoff):
            return None
    raise AmbiguousSendError(
        f"cannot tell whether {body.get('name')!r} was created: more than "
        f"{max_pages * page_size} incidents match its name",
        hint="check the register by hand, then re-run",
    )


def _recent(found: dict[str, Any], cutoff: datetime | None) -> bool:
    created = _created(found)
    return cutoff is None or created is None or created >= cutoff


def _all_older(results: list[dict[str, Any]], cutoff: datetime | None) -> bool:
    return cutoff is not None and all(not _recent(r, cutoff) for r in results)
