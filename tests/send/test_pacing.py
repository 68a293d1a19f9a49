"""The endpoint pacer: evenly spaced slots from the start, and a pause shared by all callers."""

from __future__ import annotations

import asyncio
import time

import pytest

from importer.errors import ConfigError
from importer.send.pacing import EndpointPacer, Pacers

pytestmark = pytest.mark.anyio

# Timer slack: asyncio may wake a sleeper up to a clock tick early.
SLACK = 0.002


async def _turn_times(pacer: EndpointPacer, callers: int) -> list[float]:
    async def one() -> float:
        await pacer.wait_turn()
        return time.monotonic()

    return sorted(await asyncio.gather(*(one() for _ in range(callers))))


def _assert_never_early(times: list[float], first_slot: float, interval: float) -> None:
    """The n-th turn comes no earlier than n intervals after the first slot (it may be late)."""
    for n, moment in enumerate(times):
        assert moment >= first_slot + n * interval - SLACK, f"turn {n} came early"


async def test_concurrent_callers_get_evenly_spaced_slots():
    pacer = EndpointPacer("create", rate_per_minute=1200)  # one slot per 50 ms
    start = time.monotonic()
    times = await _turn_times(pacer, 8)
    _assert_never_early(times, start, pacer.interval)
    assert times[-1] - start < 7 * pacer.interval + 0.25  # and not needlessly slow


async def test_idle_time_earns_no_burst():
    pacer = EndpointPacer("create", rate_per_minute=1200)
    await pacer.wait_turn()
    await asyncio.sleep(0.3)  # six slots' worth of idle time
    start = time.monotonic()
    times = await _turn_times(pacer, 4)
    _assert_never_early(times, start, pacer.interval)


async def test_pause_holds_every_caller_then_resumes_spaced():
    pacer = EndpointPacer("create", rate_per_minute=6000)  # 10 ms slots
    await pacer.wait_turn()
    paused_at = time.monotonic()
    added = pacer.pause(0.2)
    times = await _turn_times(pacer, 5)
    assert added == pytest.approx(0.2, abs=0.01)
    _assert_never_early(times, paused_at + 0.2, pacer.interval)


async def test_pause_started_while_waiting_moves_the_slot_after_it():
    pacer = EndpointPacer("create", rate_per_minute=600)  # 100 ms slots
    await pacer.wait_turn()  # takes the first slot; the next is 100 ms away
    waiter = asyncio.create_task(pacer.wait_turn())
    await asyncio.sleep(0.02)
    pacer.pause(0.3)
    started = time.monotonic()
    await waiter
    assert time.monotonic() - started >= 0.28 - SLACK


def test_overlapping_pauses_count_once():
    now = [100.0]
    pacer = EndpointPacer("create", rate_per_minute=60, clock=lambda: now[0])
    assert pacer.pause(2.0) == pytest.approx(2.0)
    now[0] = 101.0
    assert pacer.pause(0.5) == 0.0  # inside the current pause: nothing added
    assert pacer.pause(3.0) == pytest.approx(2.0)  # extends 102 -> 104
    assert pacer.paused_seconds == pytest.approx(4.0)
    assert pacer.paused_until == pytest.approx(104.0)


def test_each_endpoint_has_its_own_pacer():
    pacers = Pacers(900)
    assert pacers["create"] is pacers["create"]
    assert pacers["create"] is not pacers["search"]
    pacers["create"].pause(1.0)
    assert pacers["search"].paused_until == 0.0


@pytest.mark.parametrize("rate", [0, -5, float("nan")], ids=["zero", "negative", "nan"])
def test_rate_must_be_positive(rate):
    with pytest.raises(ConfigError, match="rate must be > 0"):
        Pacers(rate)
