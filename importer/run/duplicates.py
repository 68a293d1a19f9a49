"""After the run: find the second incident a late commit made, and name both ids.

The register offers no idempotency key and no delete. When an ambiguous create was resent
because the register did not show it in time (a commit or an index slower than the settle
window, see run/settle.py), two incidents exist. The run cannot prevent that, but it can see
it: once every ambiguous send of the run has settled, each such row's incident is searched
for again, and any other unclaimed incident that matches the row and was created after its
first send is reported as a copy, so a person can remove one.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from importer.errors import SendError
from importer.ledger import EntryState, Ledger, find_matching
from importer.report import ReportWriter, write_duplicates
from importer.rows import RowStatus, SourceRef
from importer.run.deliver import CLOCK_SKEW, Deliverer, Suspect

if TYPE_CHECKING:
    from importer.send import RegisterClient

__all__ = ["LateCopy", "after_the_last_chunk", "find_late_copies"]

log = logging.getLogger("importer.duplicates")


@dataclass(frozen=True, slots=True)
class LateCopy:
    """Row `source` (ledger `key`) is incident `incident_id`; `copy_id` matches it too."""

    source: SourceRef
    key: str
    incident_id: str
    copy_id: str


async def find_late_copies(
    client: RegisterClient,
    ledger: Ledger,
    suspects: list[Suspect],
    run_id: int,
    *,
    margin: float = 0.0,
) -> list[LateCopy]:
    """Wait until every suspect has settled plus `margin` seconds, then search each created
    one for copies. The margin (one more settle window) gives a register that is slower
    than promised - the case that makes copies - the time to show them.

    Each copy found is also written to the ledger's audit trail ("duplicate <id>"). A row
    whose search fails is logged and skipped: the check is a report, not a guarantee.
    """
    if not suspects:
        return []
    settled = max(s.settled_at for s in suspects) + timedelta(seconds=margin)
    wait = (settled - datetime.now(UTC)).total_seconds()
    if wait > 0:
        log.info("waiting %.1f s for ambiguous sends to settle before the duplicate check", wait)
        await asyncio.sleep(wait)
    jobs = {s.job.key: s.job for s in suspects}
    entries = ledger.get_many(jobs)
    copies: list[LateCopy] = []
    for key, job in jobs.items():
        entry = entries.get(key)
        if entry is None or entry.state is not EntryState.CREATED or entry.incident_id is None:
            continue
        since = ledger.sending_since(key)
        after = since - CLOCK_SKEW if since is not None else datetime.now(UTC) - timedelta(days=1)
        try:
            matches = await find_matching(client, entry.body, created_after=after)
        except SendError as exc:
            log.warning("%s: could not check for a duplicate: %s", job.source, exc)
            continue
        others = [m for m in matches if m != entry.incident_id]
        owned = ledger.claimed_among(others)
        for copy_id in others:
            if copy_id in owned:
                continue
            ledger.note_duplicate(key, copy_id, run_id=run_id)
            log.warning("%s: incident %s has a copy %s", job.source, entry.incident_id, copy_id)
            copies.append(LateCopy(job.source, key, entry.incident_id, copy_id))
    return copies


async def after_the_last_chunk(
    deliverer: Deliverer, report: ReportWriter, run_id: int
) -> list[LateCopy]:
    """Close a run that read every row: remember that adoption mode checked the register for
    each (when no row failed), then look for late copies and write `duplicates.csv`."""
    ledger = deliverer.ledger
    unsure = report.counts[RowStatus.FAILED] + report.counts[RowStatus.UNKNOWN]
    if deliverer.check_register and deliverer.identity and not unsure:
        ledger.mapping_checked(deliverer.identity)
    copies = await find_late_copies(
        deliverer.client, ledger, deliverer.suspects, run_id, margin=deliverer.window.seconds
    )
    if copies:
        lines = [
            (c.source.file, c.source.sheet, c.source.row, c.key, c.incident_id, c.copy_id)
            for c in copies
        ]
        write_duplicates(report.folder, lines)
    return copies
