"""What a person (or cron's mail) sees while a run goes: progress, log lines, the summary table."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from functools import cache
from typing import TYPE_CHECKING, Any

from importer.rows import RowResult, RowStatus

if TYPE_CHECKING:  # rich is imported where it draws: `--help` and JSON logs never need it
    from rich.console import Console
    from rich.progress import TaskID
    from rich.table import Table

__all__ = [
    "JsonLogFormatter",
    "LogProgress",
    "RichProgress",
    "configure_logging",
    "print_outcome",
    "progress_for",
    "stderr_console",
    "stdout_console",
    "summary_table",
]

log = logging.getLogger("importer.progress")


@cache
def stdout_console() -> Console:
    """stdout's console, made on first use: `--help` never loads rich."""
    from rich.console import Console

    return Console()


@cache
def stderr_console() -> Console:
    """stderr's console, made on first use."""
    from rich.console import Console

    return Console(stderr=True)


class RichProgress:
    """A progress bar with rate and ETA, for a terminal."""

    def __init__(self, console: Console) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self._progress = Progress(
            TextColumn("[bold]importing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]:>7.1f} rows/s"),
            TextColumn("{task.fields[problems]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._task: TaskID | None = None
        self._t0 = time.monotonic()
        self._done = 0
        self._counts: Counter[RowStatus] = Counter()

    def start(self, total: int | None) -> None:
        self._t0 = time.monotonic()
        self._progress.start()
        self._task = self._progress.add_task("rows", total=total, rate=0.0, problems="")

    def estimate(self, total: int | None) -> None:
        """A better guess at the total (from the share of the input read so far)."""
        if self._task is not None and total is not None:
            self._progress.update(self._task, total=total)

    def advance(self, results: list[RowResult]) -> None:
        assert self._task is not None
        self._done += len(results)
        self._counts.update(r.status for r in results)
        rate = self._done / max(time.monotonic() - self._t0, 1e-6)
        bad = sum(n for s, n in self._counts.items() if not s.is_ok)
        problems = f"[red]{bad} need attention" if bad else ""
        self._progress.update(self._task, advance=len(results), rate=rate, problems=problems)

    def finish(self) -> None:
        self._progress.stop()


class LogProgress:
    """Plain progress lines for cron and pipes: one every `every` seconds, and one at the end."""

    def __init__(self, every: float = 30.0) -> None:
        self.every = every
        self._done = 0
        self._counts: Counter[RowStatus] = Counter()
        self._t0 = self._last = time.monotonic()
        self._total: int | None = None

    def start(self, total: int | None) -> None:
        self._total = total
        self._t0 = self._last = time.monotonic()

    def estimate(self, total: int | None) -> None:
        self._total = total

    def advance(self, results: list[RowResult]) -> None:
        self._done += len(results)
        self._counts.update(r.status for r in results)
        if time.monotonic() - self._last >= self.every:
            self._emit()

    def finish(self) -> None:
        self._emit()

    def _emit(self) -> None:
        self._last = time.monotonic()
        elapsed = max(self._last - self._t0, 1e-6)
        counts = {s.value: n for s, n in self._counts.items()}
        log.info(
            "processed %d%s rows (%.1f rows/s): %s",
            self._done,
            f" of about {self._total}" if self._total else "",
            self._done / elapsed,
            ", ".join(f"{n} {s}" for s, n in counts.items()) or "nothing yet",
            extra={"event": "progress", "rows": self._done, "counts": counts},
        )


def progress_for(log_format: str) -> RichProgress | LogProgress:
    """A progress bar on a terminal with text logs; plain log lines otherwise."""
    interactive = stderr_console().is_terminal and log_format == "text"
    return RichProgress(stderr_console()) if interactive else LogProgress()


def print_outcome(summary: dict[str, Any], log_format: str, report: str) -> None:
    """The end of a run on stdout: its summary as JSON, or a table and the report's path."""
    if log_format == "json":
        stdout_console().print_json(json.dumps(summary))
        return
    stdout_console().print(summary_table(summary))
    common = problems_table(summary)
    if common is not None:
        stdout_console().print(common)
    stdout_console().print(f"Report: {report}")


def summary_table(summary: dict[str, Any]) -> Table:
    """The table printed at the end of a run."""
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="incident-import: " + ("dry run" if summary["dry_run"] else "run"))
    table.add_column("outcome")
    table.add_column("rows", justify="right")
    for status, count in summary["counts"].items():
        if count:
            style = "green" if RowStatus(status).is_ok else "red"
            table.add_row(f"[{style}]{status}[/]", str(count))
    table.add_section()
    table.add_row("total rows", str(summary["rows"]))
    if summary.get("reconciled"):
        table.add_row("reconciled after ambiguous sends", str(summary["reconciled"]))
    for stage, count in (summary.get("stages") or {}).items():
        table.add_row(f"in stage {escape(stage)}", str(count))  # sheet text: never markup
    if not summary["dry_run"]:
        table.add_row("requests / retries / 429s", _requests(summary))
    for field, (order, example) in (summary.get("date_orders") or {}).items():
        table.add_row(f"{field}: dates read", f"{order} first (from {example!r})")
    table.add_row("duration", f"{summary['duration_seconds']:.1f} s")
    return table


def problems_table(summary: dict[str, Any]) -> Table | None:
    """The most common problems (kind, field, rows, an example row), or None when there are none."""
    common = summary.get("problems") or []
    if not common:
        return None
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="most common problems")
    for name in ("severity", "kind", "field", "count", "example row"):
        table.add_column(name, justify="right" if name == "count" else "left")
    styles = {"error": "red", "warning": "yellow", "info": "blue"}
    for item in common:
        style = styles.get(item["severity"], "")
        table.add_row(
            f"[{style}]{item['severity']}[/]",
            escape(item["kind"]),
            escape(item["field"] or "(whole row)"),
            str(item["count"]),
            escape(item.get("example_row", item["example"])[:100]),
        )
    return table


def _requests(summary: dict[str, Any]) -> str:
    return f"{summary['requests']} / {summary['retries']} / {summary['throttled_429']}"


class JsonLogFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and any structured extras."""

    _STANDARD = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}

    def format(self, record: logging.LogRecord) -> str:
        data: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        data.update({k: v for k, v in vars(record).items() if k not in self._STANDARD})
        if record.exc_info:
            data["traceback"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str)


def configure_logging(*, log_format: str, verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonLogFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger("importer")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    root.propagate = False
