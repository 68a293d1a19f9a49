"""Edge cases of exactly-once delivery that a server cannot produce on demand.

Search down, repeated 500s: a small fake register client stands in for the network; the
ledger is real SQLite.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from importer.errors import AmbiguousSendError, RetryableSendError
from importer.ledger import EntryState, Ledger, body_fingerprint
from importer.rows import RowStatus, SourceRef
from importer.run.deliver import MAX_AMBIGUOUS_ROUNDS, Deliverer, Job
from importer.run.settle import SettleWindow
from importer.send import CreateResult

NO_WAIT = SettleWindow(request_timeout=0, search_lag=0, first_delay=0)
BODY = {
    "name": "x",
    "incidentTypeName": "Phishing",
    "orgGroupId": "d0a6e2ad-ce1e-469b-ab6f-0ff8c379b7d6",
}


class FakeRegister:
    """Scripted answers: each create pops the next outcome; search answers from `stored`."""

    def __init__(self, creates: list[Any], *, search_error: Exception | None = None) -> None:
        self.creates = creates
        self.search_error = search_error
        self.stored: list[dict[str, Any]] = []
        self.create_calls = 0

    async def create_incident(self, body: dict[str, Any]) -> CreateResult:
        self.create_calls += 1
        outcome = self.creates.pop(0)
        if outcome == "stored-then-500":
            self.stored.append({**body, "incidentId": f"id-{len(self.stored)}"})
            raise AmbiguousSendError(
                "HTTP 500 after the body was sent", status_code=500, attempts=1
            )
        if isinstance(outcome, Exception):
            raise outcome
        self.stored.append({**body, "incidentId": outcome})
        return CreateResult(outcome, 201, 1)

    async def search_incidents(self, full_text, filters=None, *, page=0, size=50, sort=None):
        if self.search_error is not None:
            raise self.search_error
        return self.stored if page == 0 else []


def _deliver(tmp_path, register: FakeRegister) -> tuple[Any, Ledger]:
    ledger = Ledger.open(tmp_path / "ledger.sqlite", command="test")
    run_id = ledger.start_run({})
    deliverer = Deliverer(register, ledger, run_id, window=NO_WAIT)  # type: ignore[arg-type]
    job = Job(SourceRef("log.csv", None, 2), "k:1", body_fingerprint(BODY), BODY)
    return asyncio.run(deliverer.deliver(job, None)), ledger


def test_ambiguous_create_found_in_the_register_is_adopted_not_resent(tmp_path):
    register = FakeRegister(["stored-then-500"])

    result, ledger = _deliver(tmp_path, register)

    assert (result.status, result.incident_id) == (RowStatus.CREATED, "id-0")
    assert result.note.startswith("reconciled")
    assert register.create_calls == 1
    assert ledger.get_many(["k:1"])["k:1"].state is EntryState.CREATED


def test_ambiguous_create_not_found_is_sent_again(tmp_path):
    lost = AmbiguousSendError("read timeout", attempts=1)
    register = FakeRegister([lost, "uuid-2"])

    result, _ = _deliver(tmp_path, register)

    assert (result.status, result.incident_id, result.attempts) == (RowStatus.CREATED, "uuid-2", 2)
    assert register.create_calls == 2


def test_when_the_register_cannot_be_searched_the_row_is_unknown_and_stays_unresolved(tmp_path):
    down = RetryableSendError("search answered 503 eight times", status_code=503)
    register = FakeRegister(["stored-then-500"], search_error=down)

    result, ledger = _deliver(tmp_path, register)

    assert result.status is RowStatus.UNKNOWN
    assert "may have been created" in result.message
    assert register.create_calls == 1
    assert ledger.get_many(["k:1"])["k:1"].state is EntryState.UNKNOWN


def test_repeated_server_errors_stop_resending_but_stay_unresolved_for_the_next_run(tmp_path):
    errors = [AmbiguousSendError("HTTP 500", status_code=500, attempts=1)] * MAX_AMBIGUOUS_ROUNDS
    register = FakeRegister(list(errors))

    result, ledger = _deliver(tmp_path, register)

    # The searches found nothing, but a register may index late: the next run searches first.
    assert result.status is RowStatus.UNKNOWN
    assert register.create_calls == MAX_AMBIGUOUS_ROUNDS
    assert ledger.get_many(["k:1"])["k:1"].state is EntryState.UNKNOWN


@pytest.mark.parametrize("found_elsewhere", [True, False], ids=["claimed", "unclaimed"])
def test_an_incident_owned_by_another_row_is_never_adopted(tmp_path, found_elsewhere):
    register = FakeRegister([AmbiguousSendError("HTTP 500", status_code=500, attempts=1), "own"])
    register.stored.append({**BODY, "incidentId": "twin"})  # an identical incident already there
    ledger = Ledger.open(tmp_path / "ledger.sqlite", command="test")
    run_id = ledger.start_run({})
    if found_elsewhere:
        ledger.mark_sending("k:0", fingerprint="f", body=BODY, source="row 1", run_id=run_id)
        ledger.mark_created("k:0", "twin", run_id=run_id)
    deliverer = Deliverer(register, ledger, run_id, window=NO_WAIT)  # type: ignore[arg-type]
    job = Job(SourceRef("log.csv", None, 2), "k:1", body_fingerprint(BODY), BODY)

    result = asyncio.run(deliverer.deliver(job, None))

    assert result.incident_id == ("own" if found_elsewhere else "twin")
