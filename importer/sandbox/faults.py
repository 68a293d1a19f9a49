"""Fault injection: seeded dice for each knob of `Faults`, changeable while the server runs."""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter
from dataclasses import fields, replace
from typing import Any

from importer.sandbox.config import PROBABILITY_KNOBS, Faults, SandboxConfigError

__all__ = ["FaultInjector"]

_KNOBS = frozenset(f.name for f in fields(Faults))


class FaultInjector:
    """Decides, request by request, whether a fault fires; counts the faults it injected."""

    def __init__(self, faults: Faults) -> None:
        self._lock = threading.Lock()
        self._faults = faults
        self._rng = random.Random(faults.random_seed)
        self.injected: Counter[str] = Counter()

    @property
    def faults(self) -> Faults:
        return self._faults

    def update(self, knobs: dict[str, Any]) -> Faults:
        """Change some knobs; a new `random_seed` restarts the dice. Raises on unknown knobs."""
        unknown = sorted(set(knobs) - _KNOBS)
        if unknown:
            raise SandboxConfigError(
                f"unknown fault knob(s) {', '.join(unknown)}; known: {', '.join(sorted(_KNOBS))}"
            )
        with self._lock:
            self._faults = replace(self._faults, **knobs)  # __post_init__ checks the values
            if "random_seed" in knobs:
                self._rng = random.Random(self._faults.random_seed)
            return self._faults

    def fires(self, knob: str) -> bool:
        """Roll the dice for one probability knob, e.g. `fires("drop_after_commit")`."""
        if knob not in PROBABILITY_KNOBS:
            raise KeyError(knob)
        with self._lock:
            probability: float = getattr(self._faults, knob)
            hit = probability > 0 and self._rng.random() < probability
            if hit:
                self.injected[knob] += 1
        return hit

    async def delay(self) -> None:
        """Sleep for the configured added latency, without blocking other requests."""
        latency = self._faults.latency_ms
        if latency > 0:
            await asyncio.sleep(latency / 1000)

    async def commit_delay(self) -> None:
        """Sleep before a create stores its incident; the request goes on if the client leaves."""
        delay = self._faults.commit_delay_ms
        if delay > 0:
            self.injected["commit_delay_ms"] += 1
            await asyncio.sleep(delay / 1000)

    def reset_counts(self) -> None:
        with self._lock:
            self.injected.clear()
