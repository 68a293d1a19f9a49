"""YAML text of a draft mapping, written by hand so that it can carry comments.

`FieldDraft`s come from `importer.draft.init_mapping`; this module only lays them out in the
order of the mapping format, quoting every scalar the way the loader (YAML 1.2) reads it back.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import yaml

from importer.draft.values import ValueChoice

__all__ = ["FieldDraft", "comment", "flow", "render_fields", "scalar"]

_PLAIN = re.compile(r"[^\W\d][\w .\-/&()']*", re.UNICODE)
_RESERVED = frozenset(
    {"true", "false", "null", "yes", "no", "y", "n", "on", "off", "~", "nan", "inf"}
)
_FIELD_ORDER = [
    "name", "description", "incidentTypeName", "orgGroupId", "dateOccurred", "dateDiscovered",
    "deadline", "sourceType", "rootCause", "notificationNeeded", "attributeValues",
    "incidentAssigneeRequests", "jurisdictions", "linkedInventories", "autoAssessJurisdictions",
]  # fmt: skip
_LIST_FIELDS = {"incidentAssigneeRequests", "jurisdictions"}
_GROUPED_FIELDS = {"attributeValues", "linkedInventories"}
_INDENT = "  "


@dataclass(slots=True)
class FieldDraft:
    """One proposed field block; `sub_key` names an `attributeValues`/`linkedInventories` entry."""

    api_field: str
    spec: dict[str, Any]
    comment: str = ""  # on the block's first line
    notes: list[str] = field(default_factory=list)  # comment lines above the block
    value_map: list[ValueChoice] | None = None  # rendered as `map:` between source and options
    sub_key: str | None = None
    disabled: bool = False  # written as a comment: a suggestion, not part of the mapping


def scalar(value: Any) -> str:
    """A YAML scalar that reads back as the same text (or bool/int) under YAML 1.2 and 1.1."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if _PLAIN.fullmatch(text) and text == text.strip() and text.lower() not in _RESERVED:
        return text
    dumped = yaml.safe_dump(text, default_style='"', allow_unicode=True, width=1 << 30)
    return dumped.rstrip("\n")


def flow(value: Any) -> str:
    """Flow style: `{column: Title, formats: ["%d/%m/%Y"]}`."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{scalar(k)}: {flow(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(flow(v) for v in value) + "]"
    return scalar(value)


def comment(text: str) -> str:
    """One comment line's text: no line breaks can escape it."""
    return " ".join(text.split())


def render_fields(drafts: Sequence[FieldDraft]) -> list[str]:
    """The `fields:` section, fields in the format's order, attributes grouped."""
    lines = ["fields:"]
    by_field: dict[str, list[FieldDraft]] = {}
    for draft in drafts:
        by_field.setdefault(draft.api_field, []).append(draft)
    for name in _FIELD_ORDER:
        group = by_field.get(name, [])
        if not group:
            continue
        if name in _GROUPED_FIELDS:
            lines.extend(_grouped_lines(name, group))
        elif name in _LIST_FIELDS:
            lines.extend(_list_lines(name, group))
        else:
            lines.extend(_block_lines(group[0], name, 1))
    return lines


def _grouped_lines(name: str, group: list[FieldDraft]) -> list[str]:
    live = [d for d in group if not d.disabled]
    lines = [f"{_INDENT}{name}:" if live else f"{_INDENT}# {name}:"]
    for draft in group:
        lines.extend(_block_lines(draft, draft.sub_key or "", 2))
    return lines


def _list_lines(name: str, group: list[FieldDraft]) -> list[str]:
    live = [d for d in group if not d.disabled]
    lines = [f"{_INDENT}{name}:" if live else f"{_INDENT}# {name}:"]
    for draft in group:
        lines.extend(f"{_INDENT * 2}# {comment(note)}" for note in draft.notes)
        item = _with_comment(f"{_INDENT * 2}- {flow(draft.spec)}", draft.comment)
        lines.append(_disable(item) if draft.disabled else item)
    return lines


def _block_lines(draft: FieldDraft, key: str, depth: int) -> list[str]:
    pad = _INDENT * depth
    notes = [f"{pad}# {comment(note)}" for note in draft.notes]
    if draft.value_map is None:
        body = [f"{pad}{scalar(key)}: {flow(draft.spec)}"]
    else:
        body = [f"{pad}{scalar(key)}:"]
        inner = pad + _INDENT
        for directive, value in draft.spec.items():
            if directive == "map":
                body.extend(_map_lines(inner, draft.value_map))
            else:
                body.append(f"{inner}{directive}: {flow(value)}")
    body[0] = _with_comment(body[0], draft.comment)
    return notes + ([_disable(line) for line in body] if draft.disabled else body)


def _map_lines(pad: str, choices: list[ValueChoice]) -> list[str]:
    """`map:` with a line per value; a weak guess is commented out, so its rows fail until
    the user decides (the block's `otherwise: error`)."""
    live = any(not choice.weak for choice in choices)
    lines = [f"{pad}map:" if live else f"{pad}map: {{}}"]
    for choice in choices:
        rows = f"{choice.count} row{'s' if choice.count != 1 else ''}"
        if choice.score >= 100:
            note = rows
        elif choice.weak:
            note = f"TODO: weak guess (score {choice.score}), left out; {rows}"
        else:
            note = f"check (score {choice.score}); {rows}"
        entry = f"{scalar(choice.source)}: {scalar(choice.target)}  # {comment(note)}"
        lines.append(f"{pad}{_INDENT}{'# ' if choice.weak else ''}{entry}")
    return lines


def _with_comment(line: str, text: str) -> str:
    return f"{line}  # {comment(text)}" if text else line


def _disable(line: str) -> str:
    stripped = line.lstrip(" ")
    return f"{line[: len(line) - len(stripped)]}# {stripped}"
