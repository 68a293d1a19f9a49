"""Waiting out a send that may still commit: when is "not found" believed?"""

from __future__ import annotations

import asyncio
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from importer.errors import AmbiguousSendError
from importer.run.settle import CONFIRMATIONS, SettleWindow, settled_search

WINDOW = SettleWindow(request_timeout=0.2, search_lag=0.1, first_delay=0)


class Script:
    """A search that answers from a list (None = not found), recording when it was asked."""

    def __init__(self, answers: list[str | None]) -> None:
        self.answers = answers
        self.asked: list[datetime] = []
        self.paused = 0

    async def search(self) -> str | None:
        self.asked.append(datetime.now(UTC))
        return self.answers.pop(0) if self.answers else None

    @asynccontextmanager
    async def pause(self):
        self.paused += 1
        yield


def _run(script: Script, deadline: datetime, works: bool = True) -> str | None:
    async def search_works() -> bool:
        return works

    return asyncio.run(
        settled_search(
            script.search,
            deadline=deadline,
            window=WINDOW,
            pause=script.pause,
            search_works=search_works,
        )
    )


def test_a_match_found_late_is_adopted():
    script = Script([None, None, "late"])
    deadline = datetime.now(UTC) + timedelta(seconds=WINDOW.seconds)

    assert _run(script, deadline) == "late"
    assert len(script.asked) == 3
    assert script.paused == 2  # every wait frees the seat


def test_not_found_is_believed_only_after_the_deadline_and_repeated_answers():
    script = Script([])
    deadline = datetime.now(UTC) + timedelta(seconds=WINDOW.seconds)

    assert _run(script, deadline) is None
    after = [t for t in script.asked if t >= deadline]
    assert len(after) == CONFIRMATIONS
    assert len(script.asked) > CONFIRMATIONS  # it also searched while waiting


def test_a_search_that_cannot_find_a_known_incident_is_not_believed():
    script = Script([])
    with pytest.raises(AmbiguousSendError, match="cannot be believed"):
        _run(script, datetime.now(UTC), works=False)


def test_the_settle_deadline_is_timeout_plus_lag_after_the_send():
    sent = datetime(2026, 1, 1, tzinfo=UTC)
    window = SettleWindow(request_timeout=30, search_lag=12)
    assert window.deadline(sent) == sent + timedelta(seconds=42)
