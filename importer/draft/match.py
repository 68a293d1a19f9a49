"""Headers → API fields for `init-mapping`: synonym tables scored with rapidfuzz.

A header is normalised (`"Incident_Title (short)"` → `title short`), scored against every
synonym of every target, and targets are then filled greedily, best score first, one column each.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

__all__ = [
    "ACCEPT_SCORE",
    "FIELD_SYNONYMS",
    "KEY_SYNONYMS",
    "SURE_SCORE",
    "Match",
    "Target",
    "assign",
    "attribute_targets",
    "field_targets",
    "normalise_header",
    "score_header",
]

ACCEPT_SCORE = 80  # below this a header is left unmatched
SURE_SCORE = 90  # below this the draft asks the user to check the match

# Synonym → weight (1.0 unless the word is a weaker hint for that field than for another).
FIELD_SYNONYMS: dict[str, dict[str, float]] = {
    "name": {
        "name": 1.0, "title": 1.0, "incident name": 1.0, "incident title": 1.0,
        "subject": 0.97, "headline": 0.95, "short description": 0.95, "summary": 0.95,
        "incident": 0.9,
    },
    "description": {
        "description": 1.0, "details": 1.0, "narrative": 1.0, "long description": 1.0,
        "what happened": 1.0, "detail": 1.0, "summary": 0.9, "desc": 0.9, "notes": 0.85,
        "comments": 0.85,
    },
    "incidentTypeName": {
        "type": 1.0, "incident type": 1.0, "type name": 1.0, "category": 1.0,
        "classification": 1.0, "incident category": 1.0, "kind": 0.95,
    },
    "orgGroupId": {
        "org": 1.0, "organization": 1.0, "organisation": 1.0, "org group": 1.0,
        "business unit": 1.0, "bu": 1.0, "department": 1.0, "dept": 1.0, "entity": 1.0,
        "division": 0.97, "org unit": 1.0, "legal entity": 1.0, "company": 0.95,
        "owning unit": 1.0, "unit": 0.9, "region": 0.9,
    },
    "dateOccurred": {
        "occurred": 1.0, "date occurred": 1.0, "occurred on": 1.0, "date of incident": 1.0,
        "incident date": 1.0, "occurrence": 1.0, "occurrence date": 1.0, "event date": 1.0,
        "date": 0.9, "when": 0.9, "opened": 0.9, "opened on": 0.9, "date opened": 0.9,
    },
    "dateDiscovered": {
        "discovered": 1.0, "date discovered": 1.0, "discovered on": 1.0, "discovery date": 1.0,
        "detected": 1.0, "detected on": 1.0, "detection date": 1.0, "date detected": 1.0,
        "reported on": 0.95, "date reported": 0.95, "reported date": 0.95, "identified on": 0.95,
    },
    "deadline": {"deadline": 1.0, "due": 1.0, "due date": 1.0, "due by": 1.0, "due on": 1.0},
    "rootCause": {"root cause": 1.0, "cause": 1.0, "root cause analysis": 1.0, "reason": 0.9},
    "notificationNeeded": {
        "notification needed": 1.0, "notification required": 1.0, "notify": 1.0,
        "notifiable": 1.0, "reportable": 1.0, "notification": 0.95, "notify regulator": 1.0,
        "breach notification": 0.95, "regulator notified": 1.0, "regulator": 0.9,
    },
    "sourceType": {
        "source type": 1.0, "creation source": 1.0, "source": 0.95, "origin": 0.9,
        "channel": 0.9, "reported via": 0.9,
    },
    "incidentAssigneeRequests": {
        "assignee": 1.0, "assignees": 1.0, "assigned to": 1.0, "owner": 1.0, "handler": 1.0,
        "handled by": 1.0, "investigator": 0.95, "responsible": 0.95, "case owner": 1.0,
    },
    "assigneeGroups": {
        "queue": 1.0, "team": 1.0, "group": 0.95, "assigned group": 1.0, "assignment group": 1.0,
        "resolver group": 1.0, "assigned team": 1.0,
    },
    "jurisdictions": {
        "country": 1.0, "countries": 1.0, "jurisdiction": 1.0, "jurisdictions": 1.0,
        "country code": 1.0, "nation": 0.9,
    },
    "state": {"state": 1.0, "province": 1.0, "state province": 1.0, "state code": 1.0},
    "autoAssessJurisdictions": {
        "auto assess": 1.0, "auto assess jurisdictions": 1.0, "assess jurisdictions": 1.0,
    },
    "assets": {
        "assets": 1.0, "asset": 1.0, "asset tags": 1.0, "cmdb": 1.0, "configuration items": 1.0,
        "cis": 0.9, "systems": 0.9,
    },
    "vendors": {"vendors": 1.0, "vendor": 1.0, "suppliers": 1.0, "third parties": 1.0},
    "processing-activities": {
        "processing activities": 1.0, "processing activity": 1.0, "ropa": 1.0,
    },
}  # fmt: skip

KEY_SYNONYMS: dict[str, float] = {
    "id": 1.0, "legacy id": 1.0, "ref": 1.0, "reference": 1.0, "ref number": 1.0,
    "ticket": 1.0, "ticket id": 1.0, "ticket number": 1.0, "number": 1.0, "key": 0.95,
    "case id": 1.0, "case number": 1.0, "record id": 1.0, "legacy ref": 1.0,
}  # fmt: skip

# Extra hints for attributes of the default sandbox tenant, beyond their own names.
ATTRIBUTE_SYNONYMS: dict[str, dict[str, float]] = {
    "Severity": {"sev": 1.0, "priority": 0.9, "prio": 0.9, "impact": 0.9, "risk level": 0.9},
    "Data Categories": {"data category": 1.0, "data types": 0.95, "categories of data": 1.0},
    "Records Affected": {
        "affected records": 1.0, "records": 0.9, "number of records": 1.0, "affected count": 1.0,
        "number affected": 1.0,
    },
    "Legacy Reference": {
        "legacy id": 1.0, "legacy ref": 1.0, "ref": 0.9, "reference": 0.9, "ext ref": 0.95,
        "external reference": 0.95,
    },
    "Reporter": {"reported by": 1.0, "reporter": 1.0, "raised by": 1.0, "submitted by": 1.0},
}  # fmt: skip

_NOISE = frozenset({"incident", "incidents", "inc", "the", "of", "a", "is", "was", "if", "any"})
_NUMBER_WORDS = {"no": "number", "nr": "number", "num": "number", "#": "number"}
# A synonym made only of these words must match the whole header: "date" is not "Date Closed".
_GENERIC = frozenset({"date", "id", "number", "name", "type", "code", "by", "on", "to", "ref"})
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


@dataclass(frozen=True, slots=True)
class Target:
    """Something a column can be mapped to: an API field, `state`, or an attribute."""

    name: str
    synonyms: dict[str, float]
    kind: str  # "field" | "attribute"


@dataclass(frozen=True, slots=True)
class Match:
    """One column chosen for one target, with the synonym that won and its score (0-100)."""

    target: str
    column: str
    score: int
    synonym: str


def field_targets() -> list[Target]:
    return [Target(name, synonyms, "field") for name, synonyms in FIELD_SYNONYMS.items()]


def attribute_targets(names: Iterable[str]) -> list[Target]:
    """Targets for tenant attributes: the attribute's own name plus the hints above."""
    return [
        Target(name, {name.lower(): 1.0, **ATTRIBUTE_SYNONYMS.get(name, {})}, "attribute")
        for name in names
    ]


def normalise_header(header: str) -> str:
    """`"Incident_Title (short)"` → `"title short"`; `"Ref #"` → `"ref number"`."""
    text = _CAMEL.sub(" ", header).replace("#", " # ").lower()
    words = [_NUMBER_WORDS.get(w, w) for w in re.findall(r"[^\W_]+|#", text)]
    kept = [w for w in words if w not in _NOISE]
    return " ".join(kept or words)


def score_header(header: str, synonyms: dict[str, float]) -> tuple[int, str]:
    """Best (score, synonym) of a header against one synonym table."""
    text = normalise_header(header)
    best = (0, "")
    for synonym, weight in synonyms.items():
        score = round(_similarity(text, normalise_header(synonym)) * weight)
        if score > best[0]:
            best = (score, synonym)
    return best


def _similarity(header: str, synonym: str) -> float:
    if not header or not synonym:
        return 0.0
    score = max(fuzz.ratio(header, synonym), fuzz.token_sort_ratio(header, synonym))
    header_words, synonym_words = set(header.split()), set(synonym.split())
    if synonym_words <= header_words and not synonym_words <= _GENERIC:
        # "Owner E-mail" is an owner column: the synonym is all there, with a qualifier.
        score = max(score, 80 + 15 * len(synonym) / len(header))
    return float(score)


def assign(
    columns: Sequence[str],
    targets: Sequence[Target],
    *,
    plausible: Callable[[str, str], bool] = lambda target, column: True,
) -> list[Match]:
    """Greedy one-to-one assignment, best score first; ties go to the earlier column.

    `plausible(target, column)` vetoes a pairing by content (a date field without dates).
    """
    candidates: list[tuple[int, int, int, Match]] = []
    for t_index, target in enumerate(targets):
        for c_index, column in enumerate(columns):
            score, synonym = score_header(column, target.synonyms)
            if score >= ACCEPT_SCORE:
                match = Match(target.name, column, score, synonym)
                candidates.append((-score, c_index, t_index, match))
    candidates.sort(key=lambda item: item[:3])
    matches: list[Match] = []
    taken_targets: set[str] = set()
    taken_columns: set[str] = set()
    for _, _, _, match in candidates:
        if match.target in taken_targets or match.column in taken_columns:
            continue
        if not plausible(match.target, match.column):
            continue
        matches.append(match)
        taken_targets.add(match.target)
        taken_columns.add(match.column)
    return matches
