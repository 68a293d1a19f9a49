"""`report.html`: one self-contained page a person reads first (no scripts, no external assets).

Verdict first, then the counts, a bar chart (inline SVG) of problems by field and kind, the most
common problems with example rows, the failing rows and what changed since the import. Written
with `html.escape` on every value rather than a template engine: one fixed page, and adding
Jinja2 for it would be a new dependency for forty lines of markup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from pathlib import Path
from typing import Any

from importer.report.files import write_private
from importer.rows import RowResult
from importer.validate import Problem, ProblemTally, Severity, example_text

__all__ = ["FailingRow", "write_html"]

_COLOURS = {"error": "#c0392b", "warning": "#d68910", "info": "#2e86c1"}
_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:2rem auto;
max-width:72rem;padding:0 1rem;color:#222;line-height:1.4}
h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.15rem;margin-top:2rem}
.verdict{padding:1rem 1.25rem;border-radius:.5rem;font-size:1.2rem;font-weight:600}
.bad{background:#fdecea;border-left:.5rem solid #c0392b}
.warn{background:#fff4e0;border-left:.5rem solid #d68910}
.good{background:#e8f6ec;border-left:.5rem solid #1e8449}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}
th,td{border:1px solid #ddd;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f2f2f2}td.n{text-align:right;font-variant-numeric:tabular-nums}
.sev{font-weight:600}.error{color:#c0392b}.warning{color:#b9770e}.info{color:#2e86c1}
.muted{color:#666;font-size:.85rem}code{background:#f4f4f4;padding:0 .2rem}
"""


@dataclass
class FailingRow:
    """A row listed on the page, with its problems."""

    result: RowResult
    problems: list[Problem] = field(default_factory=list)


def write_html(
    path: Path,
    *,
    summary: dict[str, Any],
    tally: ProblemTally,
    rows_with: dict[Severity, int],
    failing: list[FailingRow],
    changed: list[FailingRow],
) -> None:
    """Write the page; every value from the sheet is escaped."""
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width,initial-scale=1'>",
        f"<title>Validation report: {escape(', '.join(summary.get('inputs', [])))}</title>",
        f"<style>{_CSS}</style></head><body>",
        "<h1>Validation report</h1>",
        f"<p class='muted'>{escape(_subtitle(summary))}</p>",
        _verdict(summary, rows_with),
        _counts(summary, rows_with),
        _chart(tally),
        _common(tally),
        _rows("Failing rows", failing, summary),
        _changed(changed),
        "</body></html>",
    ]
    write_private(path, "\n".join(p for p in parts if p) + "\n")


def _subtitle(summary: dict[str, Any]) -> str:
    inputs = ", ".join(summary.get("inputs", []))
    return f"{inputs} · mapping {summary.get('mapping', '')} · {summary.get('started_at', '')}"


def _verdict(summary: dict[str, Any], rows_with: dict[Severity, int]) -> str:
    counts = summary.get("counts", {})
    total = summary.get("rows", 0)
    bad = sum(counts.get(s, 0) for s in ("invalid", "rejected", "failed", "unknown"))
    acknowledged = summary.get("acknowledged", 0)
    warnings = rows_with.get(Severity.WARNING, 0)
    if summary.get("aborted"):
        css, text = "bad", f"Stopped: {summary['aborted']}. {bad} of {total} rows have errors."
    elif bad > acknowledged:
        css = "bad"
        text = f"Not ready: {bad} of {total} rows have errors and would not be imported."
        if acknowledged:
            text += f" ({acknowledged} of them acknowledged.)"
    elif total == 0:  # a header-only export is a broken feed more often than a quiet day
        css, text = "warn", "Nothing to import: the file has no data rows."
    elif bad:  # every row with errors acknowledged: still not imported, so not "all pass"
        css = "warn"
        text = (
            f"Ready, with {bad} acknowledged rows that have errors and would not be imported:"
            f" no new problem out of {total}."
        )
    elif warnings:
        css = "warn"
        text = f"Ready, with {warnings} rows to look at: no row has an error out of {total}."
    else:
        css, text = "good", f"Ready: all {total} rows pass validation."
    return f"<div class='verdict {css}' id='verdict'>{escape(text)}</div>"


def _counts(summary: dict[str, Any], rows_with: dict[Severity, int]) -> str:
    rows = "".join(
        f"<tr><td>{escape(status)}</td><td class='n'>{n:,}</td></tr>"
        for status, n in summary.get("counts", {}).items()
        if n
    )
    sev = "".join(
        f"<tr><td class='sev {s.value}'>rows with {s.value}s</td>"
        f"<td class='n'>{rows_with[s]:,}</td></tr>"
        for s in Severity
    )
    total = f"<tr><th>total rows</th><th class='n'>{summary.get('rows', 0):,}</th></tr>"
    return f"<h2>Counts</h2><table id='counts'>{rows}{total}{sev}</table>"


def _chart(tally: ProblemTally) -> str:
    groups = tally.counts.most_common(15)
    if not groups:
        return "<h2>Problems by field and kind</h2><p>No problems.</p>"
    top = groups[0][1]
    bar_h, label_w, width = 22, 400, 860
    bars = []
    for i, ((severity, kind, field_name), n) in enumerate(groups):
        y = i * bar_h
        w = max(2, int((width - label_w - 60) * n / top))
        label = f"{field_name or '(whole row)'} · {kind}"
        label = label if len(label) <= 58 else label[:57] + "…"
        bars.append(
            f"<text x='{label_w - 8}' y='{y + 15}' text-anchor='end'>{escape(label)}</text>"
            f"<rect x='{label_w}' y='{y + 3}' width='{w}' height='{bar_h - 6}' "
            f"fill='{_COLOURS[severity]}'><title>{escape(severity)}: {n}</title></rect>"
            f"<text x='{label_w + w + 6}' y='{y + 15}'>{n:,}</text>"
        )
    height = bar_h * len(groups)
    return (
        "<h2>Problems by field and kind</h2>"
        f"<svg id='chart' role='img' aria-label='problems by field and kind' width='{width}' "
        f"height='{height}' font-size='13' font-family='sans-serif'>{''.join(bars)}</svg>"
        "<p class='muted'>Red: errors (the row is not imported). Amber: warnings (imported; "
        "look at them). Blue: information.</p>"
    )


def _common(tally: ProblemTally) -> str:
    if not tally.counts:
        return ""
    lines = []
    for item in tally.most_common(12):
        group = (item["severity"], item["kind"], item["field"])
        examples = "<br>".join(escape(example_text(p)) for p in tally.examples[group])
        lines.append(
            f"<tr><td class='sev {item['severity']}'>{escape(item['severity'])}</td>"
            f"<td>{escape(item['kind'])}</td><td>{escape(item['field'] or '(whole row)')}</td>"
            f"<td class='n'>{item['count']:,}</td><td>{examples}</td></tr>"
        )
    head = "<tr><th>severity</th><th>kind</th><th>field</th><th>count</th><th>examples</th></tr>"
    return f"<h2>Most common problems</h2><table id='common'>{head}{''.join(lines)}</table>"


def _rows(title: str, rows: list[FailingRow], summary: dict[str, Any]) -> str:
    if not rows:
        return ""
    lines = []
    for row in rows:
        r = row.result
        problems = "<br>".join(
            f"<span class='sev {p.severity.value}'>{escape(p.severity.value)}</span> "
            + escape(_located(p))
            for p in row.problems
        ) or escape(r.message)
        lines.append(
            f"<tr><td>{escape(r.source.file)}</td><td>{escape(r.source.sheet or '')}</td>"
            f"<td class='n'>{r.source.row}</td><td>{escape(r.key or '')}</td>"
            f"<td>{escape(r.status.value)}</td><td>{problems}</td></tr>"
        )
    head = "".join(f"<th>{h}</th>" for h in ("file", "sheet", "row", "key", "status", "problems"))
    head = f"<tr>{head}</tr>"
    shown = len(rows)
    bad = sum(
        summary.get("counts", {}).get(s, 0) for s in ("invalid", "rejected", "failed", "unknown")
    )
    more = (
        f"<p class='muted'>First {shown} of {bad}; all are in problems.csv.</p>"
        if bad > shown
        else ""
    )
    return f"<h2>{escape(title)}</h2><table id='failing'>{head}{''.join(lines)}</table>{more}"


def _located(p: Problem) -> str:
    where = f"column {p.column!r}" if p.column else (p.field or "")
    value = f" value {str(p.value)[:80]!r}" if p.value not in (None, "") else ""
    tip = f" ({p.suggestion})" if p.suggestion else ""
    return f"{where}{value}: {p.message}{tip}".lstrip(": ")


def _changed(rows: list[FailingRow]) -> str:
    if not rows:
        return ""
    lines = "".join(
        f"<tr><td>{escape(str(r.result.source))}</td><td>{escape(r.result.key or '')}</td>"
        f"<td>{escape(r.result.incident_id or '')}</td>"
        f"<td>{'<br>'.join(escape(c) for c in _changes(r.result.note))}</td></tr>"
        for r in rows
    )
    head = "<tr><th>row</th><th>key</th><th>incident</th><th>changed fields (old → new)</th></tr>"
    return f"<h2>Changed since import</h2><table id='changed'>{head}{lines}</table>"


def _changes(note: str) -> list[str]:
    text = note.removeprefix("changed: ").split("; use --update-changed", 1)[0]
    return [part for part in text.split(" | ") if part]
