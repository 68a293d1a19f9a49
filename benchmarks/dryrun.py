"""Dry runs of the product against the naive script, on the same file, in fresh processes."""

from __future__ import annotations

import csv
import tempfile
from dataclasses import dataclass
from pathlib import Path

from benchmarks.measure import Measured, measure, python


@dataclass
class DryRunRow:
    label: str
    rows: int
    naive: Measured | None
    product: Measured

    @property
    def ratio(self) -> float | None:
        if self.naive is None:
            return None
        return self.naive.seconds / self.product.seconds


def naive(path: Path, rows: int) -> Measured:
    measured = measure(python("-m", "benchmarks.naive", str(path)))
    if measured.returncode != 0 or f'"valid": {rows}' not in measured.stdout:
        raise RuntimeError(f"the naive script failed on {path}: {measured.stdout!r}")
    return measured


def product(path: Path, mapping: Path, rows: int) -> Measured:
    """`incident-import run --dry-run`, including results.csv and would_send.jsonl."""
    with tempfile.TemporaryDirectory(prefix="bench-report-") as reports:
        command = python(
            "-m",
            "importer",
            "run",
            str(path),
            "--mapping",
            str(mapping),
            "--dry-run",
            "--report-dir",
            reports,
            "--log-format",
            "json",
        )
        measured = measure(command)
        _check_report(Path(reports), rows, measured)
    return measured


def _check_report(reports: Path, rows: int, measured: Measured) -> None:
    """The run did the work: one result per row, one body per row, every row would be created."""
    (folder,) = [p for p in reports.iterdir() if p.is_dir()]
    with (folder / "results.csv").open(encoding="utf-8", newline="") as fp:
        statuses = [r["status"] for r in csv.DictReader(fp)]
    with (folder / "would_send.jsonl").open(encoding="utf-8") as fp:
        bodies = sum(1 for _ in fp)
    if measured.returncode != 0 or statuses != ["would create"] * rows or bodies != rows:
        raise RuntimeError(
            f"the dry run did not predict {rows} creates (exit {measured.returncode}, "
            f"{len(statuses)} results, {bodies} bodies)"
        )
