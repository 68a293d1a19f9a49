"""`init-mapping`: read the first rows of a sheet and draft a mapping file for it.

The draft is YAML with comments that `load_mapping` accepts as is: matched columns with their
scores, guessed date formats and value maps, and a `TODO` wherever the user has to decide.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import pandas as pd

from importer.draft.fields import SampleColumns
from importer.draft.match import Match
from importer.draft.plan import Plan, plan_mapping
from importer.draft.render import comment, flow, render_fields, scalar
from importer.draft.values import distinct_texts
from importer.errors import ReadError
from importer.read import hidden_sheets, list_sheets, read_rows
from importer.rows import SheetChunk
from importer.sandbox import Tenant, load_seed

__all__ = ["draft_mapping"]


@dataclass(slots=True)
class _Sample:
    """First rows of each sheet read, and notes about sheets left out."""

    frames: dict[str | None, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def draft_mapping(
    path: Path,
    *,
    sheets: list[str] | None = None,
    sample_rows: int = 2000,
    known_types: Sequence[str] | None = None,
    encoding: str | None = None,
) -> str:
    """YAML text (with comments) of a draft mapping for `path`, from its first `sample_rows` rows.

    `known_types` are the tenant's incident type names (default: the sandbox's default tenant).
    `encoding` (CSV text) is used to read the sample and written into the draft.
    """
    tenant = _default_tenant()
    sample = _read_sample(Path(path), sheets, max(1, sample_rows), encoding)
    frame, sheet_line = _choose_sheets(sample, explicit=sheets)
    columns = SampleColumns(
        frame,
        known_types=list(known_types) if known_types is not None else tenant.incident_types,
        group_names=[group.name for group in tenant.groups],
    )
    plan = plan_mapping(columns, tenant)
    lines = _head(Path(path), len(frame), sheet_line, plan.key, sample.notes)
    if encoding:
        lines.append(f"encoding: {scalar(encoding)}  # of the CSV text, as given to init-mapping")
    lines += _tenant_names(columns.known_types, [a.name for a in tenant.attributes])
    lines += render_fields(plan.drafts)
    lines += _tail(columns, plan)
    return "\n".join(lines) + "\n"


def _tenant_names(types: Sequence[str], attributes: Sequence[str]) -> list[str]:
    """The tenant's names a dry run checks rows against (the register lists neither)."""
    lines = [
        "# The tenant's incident types and custom attributes, as the register spells them: a row",
        "# with another type fails before anything is sent. Check them in the Incident Register.",
        f"incident_types: {flow(list(types))}",
    ]
    if attributes:
        lines.append(f"attributes: {flow(list(attributes))}")
    return lines


@cache
def _default_tenant() -> Tenant:
    return load_seed()


def _read_sample(
    path: Path, sheets: list[str] | None, sample_rows: int, encoding: str | None = None
) -> _Sample:
    sample = _Sample()
    workbook_sheets = list_sheets(path)
    if not workbook_sheets:  # CSV: one sheet, no name
        chunks = read_rows(path, chunk_size=sample_rows, encoding=encoding)
        sample.frames[None] = _first_rows(chunks, sample_rows)
        return sample
    problems: list[ReadError] = []
    hidden = hidden_sheets(path) if sheets is None else []
    if hidden and len(hidden) < len(workbook_sheets):  # a run skips them unless named: so here
        workbook_sheets = [name for name in workbook_sheets if name not in hidden]
        sample.notes += [
            f"left out: sheet {name!r} is hidden (name it to use it)" for name in hidden
        ]
    for name in sheets if sheets is not None else workbook_sheets:
        try:
            sample.frames[name] = _first_rows(
                read_rows(path, sheets=[name], chunk_size=sample_rows), sample_rows
            )
        except ReadError as exc:
            if sheets is not None:
                raise
            problems.append(exc)  # an empty sheet beside the data: say so in the draft
            sample.notes.append(f"left out: {exc.message.split(': ', 1)[-1]}")
    if not sample.frames:
        raise problems[0]
    return sample


def _first_rows(chunks: Iterator[SheetChunk], limit: int) -> pd.DataFrame:
    frames: list[pd.DataFrame] = []
    count = 0
    try:
        for chunk in chunks:
            frames.append(chunk.frame.iloc[: limit - count])
            count += len(frames[-1])
            if count >= limit:
                break
    finally:
        getattr(chunks, "close", lambda: None)()  # stop the reader: the rest is not needed
    if not frames:
        return pd.DataFrame()
    return pd.concat(frames) if len(frames) > 1 else frames[0]


def _choose_sheets(sample: _Sample, *, explicit: list[str] | None) -> tuple[pd.DataFrame, str]:
    """One frame to draft from, and the `sheets:` line (a comment when every sheet is used)."""
    frames = sample.frames
    if None in frames:
        return frames[None], ""
    if explicit is not None:
        return _stack(list(frames.values())), f"sheets: {flow(explicit)}"
    # The sheet with the most rows sets the columns; sheets headed the same way come along.
    main = max(frames, key=lambda name: (len(frames[name]), len(frames[name].columns)))
    same = [n for n, f in frames.items() if set(f.columns) == set(frames[main].columns)]
    others = [str(n) for n in frames if n not in same]
    if len(frames) == 1 or not others:
        names = ", ".join(repr(n) for n in same)
        return _stack([frames[n] for n in same]), f"# sheets: all ({names})"
    sample.notes.append(f"sheets {', '.join(map(repr, others))} left out: other columns")
    return _stack([frames[n] for n in same]), f"sheets: {flow([str(n) for n in same])}"


def _stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
    non_empty = [f for f in frames if len(f)]
    if not non_empty:
        return frames[0]
    return pd.concat(non_empty, ignore_index=True) if len(non_empty) > 1 else non_empty[0]


def _head(path: Path, rows: int, sheet_line: str, key: Match | None, notes: list[str]) -> list[str]:
    lines = [
        f"# Draft mapping for {comment(path.name)}, from its first {rows} rows "
        "(incident-import init-mapping).",
        "# Review it: a TODO needs your decision; 'check' marks a guess worth a second look.",
        *(f"# {comment(note)}" for note in notes),
        "version: 1",
        f"name: {scalar(_slug(path.stem))}",
    ]
    if sheet_line:
        lines.append(sheet_line)
    if key is not None:
        lines.append(f"key: {flow([key.column])}  # unique in every sample row; identifies a row")
    else:
        lines.append(
            "# TODO key: no id-like column with unique values; name the column(s) that identify "
            "a row across runs, e.g. key: [Legacy ID]"
        )
    lines.append("timezone: UTC  # of naive date-times: set the legacy system's, e.g. Europe/Paris")
    return lines


def _slug(stem: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "mapping"


def _tail(columns: SampleColumns, plan: Plan) -> list[str]:
    left = [str(c) for c in columns.frame.columns if str(c) not in plan.used_columns]
    if not left:
        return ["# Every column is mapped."]
    lines = ["# Columns not mapped (add them above if they matter):"]
    for column in left:
        examples = [repr(text) for text, _ in distinct_texts(columns.values(column)).most_common(3)]
        said = f"e.g. {', '.join(examples)}" if examples else "empty in the sample"
        if column in {m.column for m in plan.matches if m.target == "state"}:
            said += "; a state needs a country column"
        lines.append(f"#   {comment(repr(column))}: {comment(said)}")
    return lines
