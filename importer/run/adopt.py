"""Adoption mode: before creating a row the ledger cannot vouch for, look for it in the register.

A ledger that is new (deleted, moved, another host spelling) or that never ran the mapping's
`name` and `key:` knows nothing of what earlier imports created; sending its rows blindly
would create every one of them again. See docs/exactly-once.md, "Adoption".
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from importer.errors import SendError
from importer.ledger import Ledger, find_matching
from importer.rows import RowError, RowResult, RowStatus, SourceRef

if TYPE_CHECKING:
    from importer.send import RegisterClient

__all__ = ["Job", "adopt_existing", "adoption_mode", "mapping_identity"]

log = logging.getLogger("importer.run")


def mapping_identity(name: str, key_columns: list[str]) -> str:
    """What makes a mapping's row keys comparable across runs: its name and key columns."""
    return f"{name}|{','.join(key_columns)}"


def adoption_mode(ledger: Ledger, identity: str, setting: str) -> bool:
    """Whether this run searches before creating new rows (`--check-register auto|always|never`):
    `auto` does while the ledger has never completed a checked run of this mapping identity."""
    first = not ledger.knows_mapping(identity)
    check = setting == "always" or (setting == "auto" and first)
    if check:
        log.info(
            "checking the register before creating each new row (--check-register %s%s)",
            setting,
            ": this ledger has not yet checked this mapping name and key" if first else "",
        )
    return check


@dataclass(slots=True)
class Job:
    """One valid row on its way to the register."""

    source: SourceRef
    key: str
    fingerprint: str
    body: dict[str, Any]
    stage: str | None = None  # the workflow stage the incident must end in (run/stages.py)


async def adopt_existing(
    client: RegisterClient,
    ledger: Ledger,
    job: Job,
    *,
    identity: str | None,
    run_id: int,
    started: datetime | None = None,
) -> RowResult | None:
    """A row new to the ledger whose incident the register already holds: adopt it.

    For a ledger that cannot vouch for the register (new, renamed mapping, lost file):
    an unclaimed incident matching the row on every compared field, created at any time.
    An incident that a key of another mapping name/key owns is not adopted and not
    duplicated: the row fails, naming that key. An unclaimed incident created before the run
    `started` with the row's name, organization and dates but other values (the row was
    edited since an import whose ledger is lost) is not duplicated either: the row fails,
    naming it. A search error fails only this row.
    """
    near: list[str] = []
    try:
        matches = await find_matching(client, job.body, near=near, near_before=started)
    except SendError as exc:
        message = f"not sent: could not check the register first ({exc})"
        ledger.mark_failed_unsent(
            job.key,
            message,
            fingerprint=job.fingerprint,
            body=job.body,
            source=str(job.source),
            run_id=run_id,
        )
        return _refused(job, message)
    owners = ledger.owners(matches)
    found = next((m for m in matches if m not in owners), None)
    if found is None:
        foreign = [(m, owners[m][0]) for m in matches if owners[m][1] != identity]
        if not foreign:
            return _earlier_version(ledger, job, near)
        incident_id, key = foreign[0]
        return _refused(
            job,
            f"not sent: the register already holds this row as incident {incident_id}, "
            f"recorded in this ledger under key {key!r} (did the mapping's name or key "
            "change?); restore them, or import with --check-register never to create a copy",
        )
    ledger.adopt(
        job.key,
        found,
        fingerprint=job.fingerprint,
        body=job.body,
        source=str(job.source),
        run_id=run_id,
    )
    return RowResult(
        job.source,
        RowStatus.CREATED,
        incident_id=found,
        note="adopted: the register already held this incident; not sent",
        key=job.key,
        reconciled=True,
    )


def _earlier_version(ledger: Ledger, job: Job, near: list[str]) -> RowResult | None:
    """None (create the row) unless the register holds an unclaimed earlier version of it."""
    owned = ledger.owners(near) if near else {}
    earlier = [n for n in dict.fromkeys(near) if n not in owned]
    if not earlier:
        return None
    return _refused(
        job,
        f"not sent: the register already holds incident {earlier[0]} with this row's name, "
        "organization and dates but other values, which no key of this ledger owns (was the "
        "row edited since an import whose ledger is lost?); update that incident by hand, or "
        "import with --check-register never to create another one",
    )


def _refused(job: Job, message: str) -> RowResult:
    return RowResult(job.source, RowStatus.FAILED, errors=[RowError(message)], key=job.key)
