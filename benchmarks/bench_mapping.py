"""Mapping throughput: 200k synthetic rows through a sample mapping, in chunks like a run.

    .venv/bin/python benchmarks/bench_mapping.py [--rows 200000] [--chunk 50000]
        [--mapping acme_legacy_export|legacy_incidents] [--repeated]

Rows are drawn from the sample file with unique keys and, unless --repeated, unique titles,
texts and timestamps (the worst case for per-distinct-value work; categories still repeat).
Lookups come from the offline sample files (no I/O inside the timed part).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

import pandas as pd

from importer.mapping import apply_mapping, load_mapping
from importer.read import read_rows
from importer.rows import SheetChunk
from importer.run.lookups import fetch_lookups

REPO = Path(__file__).resolve().parents[1]
SAMPLES = {
    "acme_legacy_export": "acme_legacy_export.csv",
    "legacy_incidents": "legacy_incidents.csv",
}
OFFLINE = {k: REPO / "mappings" / "lookups" / f"{k}.csv" for k in ("organizations", "users")}


# Columns a real log has a fresh value for on (nearly) every row: titles, texts, timestamps.
UNIQUE = {
    "acme_legacy_export": {
        "Subject": "text",
        "Narrative": "text",
        "Opened": "serial",
        "Detected": "dotted",
    },
    "legacy_incidents": {"Title": "text", "Details": "text", "Occurred": "slashed"},
}


def synthetic(name: str, rows: int, unique: bool) -> pd.DataFrame:
    sample = pd.concat(c.frame for c in read_rows(REPO / "samples" / SAMPLES[name], sheets=None))
    frame = sample.sample(n=rows, replace=True, random_state=1).reset_index(drop=True)
    key = "Ticket" if "Ticket" in frame.columns else "Legacy ID"
    frame[key] = [f"K-{n:07d}" for n in range(rows)]
    if unique:
        start = pd.Timestamp("2020-01-01")
        moments = [start + pd.Timedelta(minutes=7 * n) for n in range(rows)]
        for column, kind in UNIQUE[name].items():
            if kind == "text":
                frame[column] = [f"Incident {n} reported by site {n % 97}" for n in range(rows)]
            elif kind == "serial":
                frame[column] = [
                    f"{(m - pd.Timestamp('1899-12-30')).total_seconds() / 86400:.6f}"
                    for m in moments
                ]
            else:
                fmt = "%d.%m.%Y %H:%M" if kind == "dotted" else "%d/%m/%Y %H:%M"
                frame[column] = [m.strftime(fmt) for m in moments]
    frame.index = pd.RangeIndex(2, 2 + rows)
    return frame.astype(object)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--chunk", type=int, default=50_000)
    parser.add_argument("--mapping", default="acme_legacy_export", choices=sorted(SAMPLES))
    parser.add_argument(
        "--repeated",
        action="store_true",
        help="keep the sample's repeated titles and dates (best case)",
    )
    args = parser.parse_args()
    mapping = load_mapping(REPO / "mappings" / f"{args.mapping}.yaml")
    lookups = asyncio.run(fetch_lookups(mapping, None, offline=OFFLINE))
    frame = synthetic(args.mapping, args.rows, unique=not args.repeated)
    counts = {"bodies": 0, "errors": 0, "skipped": 0}
    started = time.perf_counter()
    for start in range(0, len(frame), args.chunk):
        part = SheetChunk("synthetic.csv", None, frame.iloc[start : start + args.chunk])
        mapped = apply_mapping(mapping, part, lookups)
        counts["bodies"] += len(mapped.bodies)
        counts["errors"] += len(mapped.errors)
        counts["skipped"] += len(mapped.skipped)
    elapsed = time.perf_counter() - started
    shape = "repeated values" if args.repeated else "unique titles, texts and dates"
    print(
        f"mapping {args.mapping} ({shape}): {args.rows:,} rows in {elapsed:.2f} s "
        f"= {args.rows / elapsed:,.0f} rows/s (chunks of {args.chunk:,}); {counts}"
    )


if __name__ == "__main__":
    main()
