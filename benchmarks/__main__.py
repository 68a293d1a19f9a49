"""One entry point for the numbers the docs quote: `python -m benchmarks [--quick]`.

Generates its own data (a 10-column legacy log, see `benchmarks.data`), then prints one table:
dry-run rows/s, peak RSS and the ratio to the naive script (`benchmarks.naive`) at 100k and 1M
CSV rows, an XLSX of 100k rows, time to first request on the 1M-row CSV, the share of a quota
the sender holds (and its 429s), and its creates/s against a raw httpx loop. Each timed program
runs in a fresh process so one's memory peak cannot hide another's. Benchmarks, not tests.
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import tempfile
from pathlib import Path

from benchmarks import data, dryrun, sending, xlsx_readers
from benchmarks.measure import compile_once


def _machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, {memory:.0f} GiB, "
        f"Python {platform.python_version()}, load average before: {load}"
    )


def _note(text: str) -> None:
    print(f"... {text}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10k and 100k rows, fewer creates")
    args = parser.parse_args()
    sizes = [10_000, 100_000] if args.quick else [100_000, 1_000_000]
    xlsx_rows = 10_000 if args.quick else 100_000
    print(f"machine: {_machine()}", flush=True)
    compile_once()  # every timed process then starts from .pyc files, as an installed package
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        folder = Path(tmp)
        mapping = data.write_mapping(folder / "bench-legacy.yaml")
        lines: list[list[str]] = []
        for rows in sizes:
            _note(f"CSV {rows:,} rows: naive script, then dry run")
            path = data.write_csv(folder / f"log-{rows}.csv", rows)
            row = dryrun.DryRunRow(
                f"CSV {rows:,}", rows, dryrun.naive(path, rows), dryrun.product(path, mapping, rows)
            )
            lines.append(_dry_run_line(row))
        _note(f"XLSX {xlsx_rows:,} rows")
        workbook = data.write_xlsx(folder / f"log-{xlsx_rows}.xlsx", xlsx_rows)
        xlsx = dryrun.DryRunRow(
            f"XLSX {xlsx_rows:,}", xlsx_rows, None, dryrun.product(workbook, mapping, xlsx_rows)
        )
        lines.append(_dry_run_line(xlsx))
        sample_rows = xlsx_rows // 5
        sample = data.write_xlsx(folder / f"log-{sample_rows}.xlsx", sample_rows)
        readers = [
            xlsx_readers.cost(sample, "calamine", sample_rows),
            xlsx_readers.cost(workbook, "calamine", xlsx_rows),
            xlsx_readers.cost(sample, "openpyxl", sample_rows),  # streams, flat, but slow
        ]
        _note("time to first request, quota share, sender overhead")
        first = sending.first_request(folder / f"log-{sizes[-1]}.csv", mapping)
        quota = sending.quota_use(creates=300 if args.quick else 600)
        cost = sending.overhead(creates=500 if args.quick else 2000)
    _print_table(
        ["dry run (read, map, validate, results.csv, would_send.jsonl)", "rows/s", "s",
         "peak RSS", "naive rows/s", "naive RSS", "product/naive"],
        lines,
    )  # fmt: skip
    print()
    for reader in readers:
        print(
            f"XLSX reader alone, {reader.rows:,} rows: {reader.reader} "
            f"{reader.rows / reader.seconds:,.0f} rows/s, peak RSS {reader.peak_mb:.0f} MB"
        )
    print(f"time to first request, {sizes[-1]:,}-row CSV: {first:.2f} s")
    print(
        f"sender, paced at {quota.fraction:.0%} of {quota.quota} per 5 s: "
        f"{quota.share:.1%} of the quota held, "
        f"peak {quota.peak} in any window, {quota.throttled} × 429"
    )
    print(
        f"sender overhead, unlimited sandbox in another process, concurrency 4: "
        f"{cost.product:.0f} creates/s vs raw httpx {cost.raw:.0f}/s = {cost.ratio:.0%}; "
        f"client CPU {cost.product_cpu_ms:.2f} vs {cost.raw_cpu_ms:.2f} ms a create "
        f"= {cost.cpu_ratio:.0%}"
    )


def _dry_run_line(row: dryrun.DryRunRow) -> list[str]:
    product = row.product
    naive = row.naive
    return [
        row.label,
        f"{row.rows / product.seconds:,.0f}",
        f"{product.seconds:.2f}",
        f"{product.peak_mb:.0f} MB",
        f"{row.rows / naive.seconds:,.0f}" if naive else "",
        f"{naive.peak_mb:.0f} MB" if naive else "",
        f"{row.ratio:.2f}×" if row.ratio else "",
    ]


def _print_table(header: list[str], lines: list[list[str]]) -> None:
    widths = [max(len(cells[i]) for cells in [header, *lines]) for i in range(len(header))]
    for cells in [header, *lines]:
        print(" | ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(
            zip(cells, widths, strict=True))))  # fmt: skip


if __name__ == "__main__":
    main()
