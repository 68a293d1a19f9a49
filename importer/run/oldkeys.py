"""Rows a ledger knows only by the key an earlier version wrote for them.

Up to this version, number-like key cells were keyed as numbers: `0042` as `42`, `17.0` as `17`,
`9007199254740993` as `9007199254740992`. Keys are now the text as written (docs/cells.md). A
row whose new key the ledger does not know, but whose old key it does, may be that imported row
or another one the old form collapsed into it: it is refused, never created a second time and
never matched by a guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from importer.ledger import LedgerEntry
from importer.mapping import legacy_key_text
from importer.rows import RowError, RowResult, RowStatus
from importer.run.deliver import Job

__all__ = ["held_by_old_keys"]


class _Entries(Protocol):
    def get_many(self, keys: Iterable[str]) -> dict[str, LedgerEntry]: ...


def held_by_old_keys(
    jobs: list[Job], mapping_name: str, store: _Entries | None
) -> tuple[list[Job], list[RowResult]]:
    """(jobs to go on with, `invalid` results for the rows held back); `store` is the ledger or
    a dry run's read-only view of it (None: nothing to compare with)."""
    if store is None:  # nothing to compare with: skip the per-key text work
        return jobs, []
    prefix = f"{mapping_name}:"
    old = {
        job.key: prefix + legacy_key_text(job.key[len(prefix) :])
        for job in jobs
        if job.key.startswith(prefix) and not job.key.startswith(prefix + "sha256:")
    }
    old = {key: legacy for key, legacy in old.items() if legacy != key}
    if not old:
        return jobs, []
    known = store.get_many(old)
    found = store.get_many(v for k, v in old.items() if k not in known)
    kept, held = [], []
    for job in jobs:
        legacy = old.get(job.key)
        entry = found.get(legacy) if legacy is not None and job.key not in known else None
        if entry is None:
            kept.append(job)
            continue
        error = RowError(
            f"an earlier version of the importer keyed a row {legacy!r} (incident "
            f"{entry.incident_id or 'unknown'}); keys are now read as written ({job.key!r}), "
            "so this may be that row or another one: check it in the register, not sent"
        )
        held.append(RowResult(job.source, RowStatus.INVALID, errors=[error], key=job.key))
    return kept, held
