"""Find out whether an ambiguous create reached the register, before anything is resent.

Create Incident has no idempotency key, so after a 500, a read timeout or a crash between
`mark_sending` and the answer, the only way to know is to search for the incident and
compare it field by field with the body we sent.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID

from importer.errors import AmbiguousSendError
from importer.models import parse_api_datetime

__all__ = ["COMPARED_FIELDS", "IncidentSearch", "find_created", "same_incident"]

# The fields the register echoes back in search results and a row's body decides.
COMPARED_FIELDS = (
    "name",
    "incidentTypeName",
    "orgGroupId",
    "dateOccurred",
    "dateDiscovered",
    "deadline",
    "description",
)
_DATE_FIELDS = frozenset({"dateOccurred", "dateDiscovered", "deadline"})
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
    ) -> list[dict[str, Any]]: ...


def _normalized(field: str, value: Any) -> Any:
    """A comparable form: blanks are None, dates are UTC instants, ids are UUIDs."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if field in _DATE_FIELDS and isinstance(value, str):
        return _instant(value)
    if field == "orgGroupId":
        try:
            return UUID(str(value))
        except ValueError:
            return str(value)
    return value


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


def same_incident(body: dict[str, Any], found: dict[str, Any]) -> bool:
    """True when the register's `found` incident carries what `body` asked to create."""
    return all(
        _normalized(name, body.get(name)) == _normalized(name, found.get(name))
        for name in COMPARED_FIELDS
    )


async def find_created(
    search: IncidentSearch,
    body: dict[str, Any],
    *,
    exclude_ids: set[str],
    page_size: int = SEARCH_PAGE_SIZE,
    max_pages: int = MAX_SEARCH_PAGES,
) -> str | None:
    """Id of an incident in the register that matches `body` and is not in `exclude_ids`, or None.

    Search errors (`SendError` subclasses) propagate untouched. If `max_pages` full pages match
    the name without a hit, raise `AmbiguousSendError`: "not found" would be a guess.
    """
    org = body.get("orgGroupId")
    filters = {"orgGroupId": str(org)} if org else None
    seen: set[str] = set()
    for page in range(max_pages):
        results = await search.search_incidents(
            body.get("name"), filters, page=page, size=page_size
        )
        fresh = [r for r in results if r.get("incidentId") and str(r["incidentId"]) not in seen]
        for found in fresh:
            incident_id = str(found["incidentId"])
            seen.add(incident_id)
            if incident_id not in exclude_ids and same_incident(body, found):
                return incident_id
        # A short page is the last one; a page with nothing new means the server ignores paging.
        if len(results) < page_size or not fresh:
            return None
    raise AmbiguousSendError(
        f"cannot tell whether {body.get('name')!r} was created: more than "
        f"{max_pages * page_size} incidents match its name",
        hint="check the register by hand, then re-run",
    )
