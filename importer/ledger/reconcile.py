"""Find out whether an ambiguous create reached the register, before anything is resent.

Create Incident has no idempotency key, so after a 500, a read timeout or a crash between
`mark_sending` and the answer, the only way to know is to search for the incident and
compare it field by field with the body we sent. Only incidents created after the row was
first sent, and not owned by another ledger key, may be adopted. Nothing about the register's
answer is trusted that can be checked: the requested newest-first order is never relied
on (every page is read and each result's createdDate checked), and a result that leaves out
a field is fetched whole before it is compared.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import AsyncIterator, Callable, Collection
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from importer.errors import AmbiguousSendError
from importer.models import parse_api_datetime

__all__ = [
    "COMPARED_FIELDS",
    "COMPARED_LISTS",
    "SEARCH_SORT",
    "IncidentSearch",
    "find_created",
    "find_matching",
    "lookalike_key",
    "same_incident",
    "same_occurrence",
    "unlisted_fields",
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
# Lists a body may set, compared as multisets when the register's incident carries them (the
# vendor publishes no read shape for them; a register that never echoes them is compared on
# the rest). Not part of `lookalike_key`: coarser is safe there.
COMPARED_LISTS: tuple[str, ...] = ("incidentAssigneeRequests", "jurisdictions")
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

    async def get_incident(self, incident_id: str) -> dict[str, Any] | None: ...


def same_incident(
    body: dict[str, Any], found: dict[str, Any], *, only_listed: bool = False
) -> bool:
    """True when the register's `found` incident carries what `body` asked to create.

    Compared (`COMPARED_FIELDS`): every scalar field a create body sets that the register
    echoes back unchanged, plus the custom attributes, so that two rows differing in any of
    them are never mistaken for one another:
    - name, incidentTypeName, description, rootCause: exactly (case and spaces matter);
      blank and missing are the same, because the register stores both as null.
    - orgGroupId as a UUID (any case); dateOccurred, dateDiscovered, deadline as instants
      (`Z`, `+00:00`, other offsets, milli- or microseconds all equal when the instant is).
    - sourceType, notificationNeeded: a missing or None value on either side stands for the
      default the register fills in (MANUAL, UNKNOWN), so body None matches found default.
    - attributeValues: only the attributes the body names (the tenant may fill others), each
      as a multiset of option ids (UUIDs) or of trimmed text values.
    A field `found` leaves out counts as empty - so when the body sets it (see
    `unlisted_fields`) this is False, and the caller fetches the whole incident (GET) before
    deciding: a search result that omits empty fields must never make two rows look alike.
    With `only_listed`, fields `found` leaves out are skipped (a cheap pre-filter only).
    - incidentAssigneeRequests (assignee id as a UUID, type with USER as default; not the
      e-mail) and jurisdictions (id as a UUID, country and state codes in any case), each as a
      multiset, when `found` carries the field (`COMPARED_LISTS`): search results may leave them
      out - `unlisted_fields` names them, so the caller fetches the incident - and the vendor
      publishes no read shape for them, so an incident that never carries them is compared on
      the rest rather than never found.
    Not compared: linked inventories (the update body cannot even set them) and the register's
    own fields (incidentId, createdDate, ...).
    """
    return (
        _scalars_match(body, found, only_listed)
        and (
            (only_listed and "attributeValues" not in found)
            or _attributes_match(body.get("attributeValues"), found.get("attributeValues"))
        )
        and all(
            _entries(name, body.get(name)) == _entries(name, found.get(name))
            for name in COMPARED_LISTS
            if name in found
        )
    )


def unlisted_fields(body: dict[str, Any], found: dict[str, Any]) -> list[str]:
    """The compared fields `body` sets that the search result `found` does not list at all."""
    return [
        name
        for name in (*COMPARED_FIELDS, *COMPARED_LISTS)
        if name not in found and not _is_blank(body.get(name))
    ]


def _entries(field: str, values: Any) -> Counter[tuple[Any, ...]]:
    """The multiset of an assignee or jurisdiction list in comparable form."""
    counted: Counter[tuple[Any, ...]] = Counter()
    for item in values if isinstance(values, list) else []:
        entry = item if isinstance(item, dict) else {}
        if field == "incidentAssigneeRequests":
            kind = entry.get("type") or "USER"
            counted[(_uuid_or_text(entry.get("assigneeId")), str(kind).upper())] += 1
        else:
            place = entry.get("jurisdictionId")
            counted[
                (
                    None if _is_blank(place) else _uuid_or_text(place),
                    _code(entry.get("countryCode")),
                    _code(entry.get("stateProvinceCode")),
                )
            ] += 1
    return counted


def _code(value: Any) -> str | None:
    return None if _is_blank(value) else str(value).strip().upper()


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | dict | list) and not _has_content(value))


def _has_content(value: str | dict[str, Any] | list[Any]) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    if isinstance(value, dict):
        return any(not _is_blank(v) for v in value.values())
    return bool(value)


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


def _scalars_match(body: dict[str, Any], found: dict[str, Any], only_listed: bool) -> bool:
    return all(
        _normalized(name, body.get(name)) == _normalized(name, found.get(name))
        for name in COMPARED_FIELDS
        if name != "attributeValues"
        and (not only_listed or name in found or name in _ALWAYS_LISTED)
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

    Searches the body's name within its organization, asking for newest first. `claimed(ids)`
    returns those of `ids` that a ledger key already owns (never adopted); an incident whose
    createdDate is before `created_after` (naive means UTC) is skipped. A result that leaves
    out a field the body sets is fetched whole (`get_incident`) before it is compared.
    Search errors (`SendError` subclasses) propagate untouched. When the answer cannot be
    complete - more than `max_pages` full pages, or a server that ignores paging on a full
    page - raise `AmbiguousSendError`: "not found" would be a guess.
    """
    async for incident_id in _matches(search, body, claimed, created_after, page_size, max_pages):
        return incident_id
    return None


async def find_matching(
    search: IncidentSearch,
    body: dict[str, Any],
    *,
    created_after: datetime | None = None,
    page_size: int = SEARCH_PAGE_SIZE,
    max_pages: int = MAX_SEARCH_PAGES,
    near: list[str] | None = None,
    near_before: datetime | None = None,
) -> list[str]:
    """Every incident created after `created_after` that matches `body`, claimed or not.

    For the duplicate check after a run: more than one id means a late commit made a copy.
    Same search, comparison and errors as `find_created`. With `near`, the ids of incidents
    that are the same occurrence (`same_occurrence`) but differ in another field are appended
    to it - only those created before `near_before`, when given: what an earlier import of a
    since-edited row looks like.
    """
    return [
        incident_id
        async for incident_id in _matches(
            search, body, lambda ids: (), created_after, page_size, max_pages, near, near_before
        )
    ]


_OCCURRENCE = ("name", "orgGroupId", "dateOccurred", "dateDiscovered")


def same_occurrence(body: dict[str, Any], found: dict[str, Any]) -> bool:
    """True when `found` has the body's name, organization and dates, and the body sets a date:
    the same event, perhaps with other values (a row edited since it was imported)."""
    if all(_is_blank(body.get(name)) for name in ("dateOccurred", "dateDiscovered")):
        return False
    return all(
        _normalized(name, body.get(name)) == _normalized(name, found.get(name))
        for name in _OCCURRENCE
    )


async def _matches(
    search: IncidentSearch,
    body: dict[str, Any],
    claimed: Callable[[Collection[str]], Collection[str]],
    created_after: datetime | None,
    page_size: int,
    max_pages: int,
    near: list[str] | None = None,
    near_before: datetime | None = None,
) -> AsyncIterator[str]:
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
            r for r in fresh if _recent(r, cutoff) and same_incident(body, r, only_listed=True)
        ]
        owned = set(claimed([str(r["incidentId"]) for r in candidates])) if candidates else set()
        for result in candidates:
            incident_id = str(result["incidentId"])
            if incident_id not in owned and await _confirmed(search, body, result, cutoff):
                yield incident_id
            elif near is not None and _earlier_version(body, result, near_before):
                near.append(incident_id)
        if near is not None:
            near.extend(
                str(r["incidentId"])
                for r in fresh
                if r not in candidates
                and _recent(r, cutoff)
                and _earlier_version(body, r, near_before)
            )
        if len(results) < page_size:
            return  # a short page is the last one
        if not fresh:
            break  # a full page with nothing new: the server ignores paging
        # No page ends the search early for being old: a register may ignore the requested
        # order (and equal createdDates could never prove it kept it), so each result's
        # createdDate is checked here and every page is read.
    raise AmbiguousSendError(
        f"cannot tell whether {body.get('name')!r} was created: more than "
        f"{len(seen)} incidents match its name and the register's pages cannot all be read",
        hint="check the register by hand, then re-run",
    )


async def _confirmed(
    search: IncidentSearch, body: dict[str, Any], result: dict[str, Any], cutoff: datetime | None
) -> bool:
    """Compare on every field the body sets, fetching the incident when the result omits one."""
    if not unlisted_fields(body, result):
        return same_incident(body, result)
    details = await search.get_incident(str(result["incidentId"]))
    return details is not None and _recent(details, cutoff) and same_incident(body, details)


def _earlier_version(body: dict[str, Any], found: dict[str, Any], before: datetime | None) -> bool:
    created = _created(found)
    old = before is None or created is None or created < _aware(before)
    return old and same_occurrence(body, found)


def _recent(found: dict[str, Any], cutoff: datetime | None) -> bool:
    created = _created(found)
    return cutoff is None or created is None or created >= cutoff
