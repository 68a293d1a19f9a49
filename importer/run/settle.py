"""Waiting out a send that may still commit, before "not in the register" is believed.

The exactly-once contract (docs/exactly-once.md) rests on two assumptions about the register:

- A1: a create request the register received is stored within `request_timeout` seconds of
  arriving, or never (the client would have waited that long for its answer);
- A2: a stored incident shows in Search Incidents within `search_lag` seconds.

So a send that began at `s` has settled - its incident, if any, is searchable - by
`s + request_timeout + search_lag` (the *settle window*). Before that moment an empty search
proves nothing; after it, several empty searches spaced out, plus a check that the search
finds an incident the ledger knows exists, prove the row was not created.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from importer.errors import AmbiguousSendError
from importer.ledger import Ledger, find_matching

if TYPE_CHECKING:
    from importer.send import RegisterClient

__all__ = ["SettleWindow", "search_finds_known_incident", "settled_search"]

# Empty answers needed after the settle deadline, each spaced by a growing backoff.
CONFIRMATIONS = 3
_MIN_BACKOFF = 0.1
_MAX_BACKOFF = 30.0  # seconds between two searches before the deadline, at most


@dataclass(frozen=True)
class SettleWindow:
    """The register's assumed bounds, in seconds (see the module docstring)."""

    request_timeout: float = 30.0
    search_lag: float = 30.0
    first_delay: float = 2.0  # --reconcile-delay: the first search waits this long

    @property
    def seconds(self) -> float:
        return self.request_timeout + self.search_lag

    def deadline(self, sent_by: datetime) -> datetime:
        """When a send that began no later than `sent_by` has certainly settled."""
        return sent_by + timedelta(seconds=self.seconds)


async def settled_search(
    search: Callable[[], Awaitable[str | None]],
    *,
    deadline: datetime,
    window: SettleWindow,
    pause: Callable[[], AbstractAsyncContextManager[None]],
    search_works: Callable[[], Awaitable[bool]],
) -> str | None:
    """The id `search()` finds, or None once the send has settled and the register agrees.

    Searches at once (after `window.first_delay`), then with a doubling backoff until
    `deadline`, then until `CONFIRMATIONS` empty answers after it, evenly spaced; every wait
    happens inside `pause()` (which frees the caller's seat). Before None is returned,
    `search_works()` must confirm that the search finds an incident known to exist; if not,
    `AmbiguousSendError`.
    Search errors propagate.
    """
    spacing = max(_MIN_BACKOFF, min(window.seconds / 8, 5.0))
    backoff = spacing
    await _sleep(window.first_delay, pause)
    empties = 0
    while True:
        found = await search()
        if found is not None:
            return found
        now = datetime.now(UTC)
        if now >= deadline:
            empties += 1
            if empties >= CONFIRMATIONS:
                break
            wait = spacing  # the deadline has passed: confirm, without growing waits
        else:
            wait = min(backoff, (deadline - now).total_seconds())
        await _sleep(wait, pause)
        backoff = min(backoff * 2, _MAX_BACKOFF)
    if not await search_works():
        raise AmbiguousSendError(
            "the register's search does not find an incident it holds, so 'not found' "
            "cannot be believed"
        )
    return None


async def _sleep(seconds: float, pause: Callable[[], AbstractAsyncContextManager[None]]) -> None:
    if seconds > 0:
        async with pause():
            await asyncio.sleep(seconds)


async def search_finds_known_incident(
    client: RegisterClient, ledger: Ledger, window: SettleWindow
) -> bool:
    """True when Search Incidents finds a created incident of this ledger old enough to be
    indexed (or when the ledger has none yet: nothing to check against)."""
    settled_before = datetime.now(UTC) - timedelta(seconds=window.seconds)
    known = ledger.a_created_entry(before=settled_before)
    if known is None or known.incident_id is None:
        return True
    # The same search reconciliation makes (name within the organization), so that a register
    # whose search forgets is caught by exactly the query that would have been believed.
    return known.incident_id in await find_matching(client, known.body)
