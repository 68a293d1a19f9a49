"""Reader throughput and memory: `python benchmarks/bench_read.py [--rows 200000]`.

Writes a CSV and an XLSX of `--rows` incident-like rows (8 columns) into a temp dir, then reads
each in a fresh process (so one's peak does not hide another's) at a quarter of the rows and at
all of them, and prints rows/s and peak RSS. Flat memory shows as the same peak at both sizes.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from openpyxl import Workbook

COLUMNS = ["Ref", "Title", "Description", "Type", "Org", "Occurred", "Cost", "Notify"]
TYPES = ["Phishing", "Data Breach", "Lost or Stolen Device", "Misdirected Email"]


def row(n: int) -> list[object]:
    occurred = dt.datetime(2020, 1, 1) + dt.timedelta(minutes=37 * n)
    return [
        f"T-{n:07d}",
        f"Incident {n}",
        f"Reported by branch {n % 97}: details of what happened, who noticed it and when. #{n}",
        TYPES[n % len(TYPES)],
        f"ORG-{n % 13}",
        occurred,
        round(n * 1.37, 2),
        n % 3 == 0,
    ]


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as fp:
        writer = csv.writer(fp)
        writer.writerow(COLUMNS)
        for n in range(rows):
            cells = row(n)
            cells[5] = cells[5].strftime("%Y-%m-%d %H:%M")  # type: ignore[attr-defined]
            writer.writerow(cells)


def write_xlsx(path: Path, rows: int) -> None:
    workbook = Workbook(write_only=True)  # streams rows to disk
    sheet = workbook.create_sheet("Incidents")
    sheet.append(COLUMNS)
    for n in range(rows):
        sheet.append(row(n))
    workbook.save(path)


def measure(path: Path, chunk_size: int) -> dict[str, float]:
    """Read `path` once in this process; what a child reports to the parent."""
    from importer.read import read_rows

    baseline = _peak_rss_mib()
    start = time.perf_counter()
    count = sum(len(chunk.frame) for chunk in read_rows(path, chunk_size=chunk_size))
    seconds = time.perf_counter() - start
    return {
        "rows": count,
        "seconds": seconds,
        "rows_per_s": count / seconds,
        "peak_rss_mib": _peak_rss_mib(),
        "baseline_rss_mib": baseline,
    }


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--chunk-size", type=int, default=5000)
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)  # child mode
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.chunk_size)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for rows in (args.rows // 4, args.rows):
            for suffix, write in ((".csv", write_csv), (".xlsx", write_xlsx)):
                path = Path(tmp) / f"incidents-{rows}{suffix}"
                started = time.perf_counter()
                write(path, rows)
                size = path.stat().st_size / 2**20
                took = time.perf_counter() - started
                print(f"wrote {path.name}: {size:.1f} MiB in {took:.1f} s", file=sys.stderr)
                files.append(path)
        print(f"{'file':<26}{'rows':>9}{'seconds':>9}{'rows/s':>10}{'peak RSS':>11}{'base':>8}")
        for path in files:
            child = [sys.executable, __file__, "--measure", str(path)]
            child += ["--chunk-size", str(args.chunk_size)]
            out = subprocess.run(child, check=True, capture_output=True, text=True).stdout
            m = json.loads(out)
            print(
                f"{path.name:<26}{m['rows']:>9}{m['seconds']:>9.2f}{m['rows_per_s']:>10.0f}"
                f"{m['peak_rss_mib']:>8.0f} MiB{m['baseline_rss_mib']:>5.0f} MiB"
            )


if __name__ == "__main__":
    main()
