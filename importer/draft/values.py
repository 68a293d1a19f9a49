"""Value maps and column traits that `init-mapping` proposes from a column's sample values.

Enum fields (`notificationNeeded`, `sourceType`) map legacy words through small synonym tables;
names (incident types, attribute options) map to the nearest known name with rapidfuzz.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from rapidfuzz import fuzz, process, utils

from importer.mapping import cell_text

__all__ = [
    "MAX_MAP_VALUES",
    "NOTIFICATION_WORDS",
    "SOURCE_TYPE_WORDS",
    "TYPE_HINTS",
    "ValueChoice",
    "abbreviates",
    "distinct_texts",
    "email_share",
    "enum_map",
    "is_unique_key",
    "looks_numeric",
    "nearest_map",
    "split_separator",
]

MAX_MAP_VALUES = 30  # a map longer than this is no longer a draft a person reviews
WEAK_SCORE = 70  # below this a proposed value is left out of the map
ABBREVIATION_SCORE = 85

NOTIFICATION_WORDS: dict[str, set[str]] = {
    "YES": {
        "yes", "y", "true", "t", "1", "x", "yes required", "required", "needed", "notify",
        "notifiable", "reportable", "must notify", "ja", "oui", "si", "sí",
    },
    "NO": {
        "no", "n", "false", "f", "0", "none", "not required", "not needed", "no notification",
        "not reportable", "n/a", "na", "nein", "non",
    },
    "UNKNOWN": {
        "unknown", "tbd", "tbc", "?", "maybe", "pending", "unsure", "not sure", "under review",
        "to be determined", "to be confirmed", "don't know", "dk", "unclear", "undecided",
    },
}  # fmt: skip

SOURCE_TYPE_WORDS: dict[str, set[str]] = {
    "MANUAL": {
        "manual", "manually", "hand", "phone", "call", "telephone", "email", "e-mail", "mail",
        "walk-in", "in person", "paper", "letter", "user", "staff", "employee",
    },
    "WEBFORM": {"webform", "web form", "form", "web", "portal", "online", "intake form", "website"},
    "ASSESSMENT": {"assessment", "audit", "review", "dpia", "pia", "questionnaire", "survey"},
    "INTEGRATION": {
        "integration", "api", "import", "siem", "automated", "automatic", "auto", "system",
        "alert", "monitoring", "tool", "scanner", "soc",
    },
}  # fmt: skip

# Words that point at the default tenant's incident types beyond their own names.
TYPE_HINTS: dict[str, list[str]] = {
    "Data Breach": ["breach", "leak", "data leak", "exposure", "disclosure"],
    "Lost or Stolen Device": ["lost", "stolen", "laptop", "device", "theft", "lost phone"],
    "Phishing": ["phish", "spoof", "spear phishing", "scam email"],
    "Unauthorized Access": ["unauthorised access", "unauthorized", "access", "intrusion"],
    "Misdirected Email": ["misdirected", "wrong recipient", "sent to wrong", "misaddressed"],
    "Ransomware": ["ransom", "malware", "crypto locker", "encrypted files"],
    "Vendor Incident": ["vendor", "supplier", "third party", "processor"],
    "Unknown": ["unknown", "other", "tbd"],
}

_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")
_ANGLE = re.compile(r"<([^<>]+)>")  # "Alice Martin <alice@example.com>"
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


@dataclass(frozen=True, slots=True)
class ValueChoice:
    """A proposed `map:` entry; `score` < 100 means it is a guess the user should check."""

    source: str
    target: str
    score: int
    count: int  # rows with this value in the sample

    @property
    def weak(self) -> bool:
        return self.score < WEAK_SCORE


def distinct_texts(values: Iterable[Any]) -> Counter[str]:
    """Non-empty cells as the mapping will see them (stripped text), counted; case kept."""
    counts: Counter[str] = Counter()
    for value in values:
        text = _text(value)
        if text:
            counts[text] += 1
    return counts


def _text(value: Any) -> str:
    return (cell_text(value) or "").strip()


def _case_distinct(counts: Counter[str]) -> list[tuple[str, int]]:
    # `ignore_case: true` makes "Yes" and "yes" one key: keep the most frequent spelling.
    merged: dict[str, tuple[str, int]] = {}
    for text, count in counts.most_common():
        key = text.casefold()
        spelling, total = merged.get(key, (text, 0))
        merged[key] = (spelling, total + count)
    return sorted(merged.values(), key=lambda item: -item[1])


def enum_map(counts: Counter[str], words: dict[str, set[str]], fallback: str) -> list[ValueChoice]:
    """Map each distinct value to an enum member: exact word, then first word, then fuzzy."""
    choices: list[ValueChoice] = []
    vocabulary = {word: member for member, group in words.items() for word in group}
    vocabulary.update({member.lower(): member for member in words})
    for text, count in _case_distinct(counts)[:MAX_MAP_VALUES]:
        target, score = _enum_target(text, vocabulary, fallback)
        choices.append(ValueChoice(text, target, score, count))
    return choices


def _enum_target(text: str, vocabulary: dict[str, str], fallback: str) -> tuple[str, int]:
    plain = " ".join(text.casefold().replace("_", " ").split()).strip("'\"").rstrip(".!")
    if plain in vocabulary:
        return vocabulary[plain], 100
    first = re.split(r"[\s,;:/()-]+", plain)[0]
    if first in vocabulary:
        return vocabulary[first], 85  # "Yes - regulator informed"
    best = process.extractOne(plain, list(vocabulary), scorer=fuzz.ratio, score_cutoff=85)
    if best is not None:
        return vocabulary[best[0]], round(best[1])
    return fallback, 0


def nearest_map(
    counts: Counter[str], choices: Sequence[str], hints: dict[str, list[str]] | None = None
) -> list[ValueChoice]:
    """Map each distinct value to the nearest of `choices` (plus `hints` words per choice)."""
    candidates: list[tuple[str, str]] = [(choice, choice) for choice in choices]
    for choice in choices:
        candidates.extend((word, choice) for word in (hints or {}).get(choice, []))
    texts = [text for text, _ in candidates]
    result: list[ValueChoice] = []
    for text, count in _case_distinct(counts)[:MAX_MAP_VALUES]:
        exact = next((c for c in choices if c.casefold() == text.casefold()), None)
        if exact is not None:
            result.append(ValueChoice(text, exact, 100, count))
            continue
        best = process.extractOne(text, texts, scorer=fuzz.WRatio, processor=utils.default_process)
        if best is None:  # only when there is no choice at all
            continue
        target, score = candidates[best[2]][1], round(best[1])
        if score < ABBREVIATION_SCORE:
            short = next((c for c in choices if abbreviates(text, c)), None)
            target, score = (short, ABBREVIATION_SCORE) if short else (target, score)
        result.append(ValueChoice(text, target, min(99, score), count))
    return result


def abbreviates(short: str, name: str) -> bool:
    """`SecOps` abbreviates `Security Operations`: each piece starts a word of the name and
    takes some of its letters in order; words are used in order, only the first is required."""
    letters = re.sub(r"[\W_]", "", short.casefold())
    words = re.findall(r"[^\W_]+", name.casefold())
    if len(letters) < 3 or len(words) < 2 or not letters.startswith(words[0][0]):
        return False

    @cache
    def fits(start: int, word: int) -> bool:
        if start == len(letters):
            return True
        for index in range(word, len(words)):
            text = words[index]
            size = 1
            while start + size <= len(letters) and _starts_word(
                letters[start : start + size], text
            ):
                if fits(start + size, index + 1):
                    return True
                size += 1
            if index == 0:
                return False  # the first word cannot be skipped
        return False

    return fits(0, 0)


def _starts_word(piece: str, word: str) -> bool:
    """`ops` for `operations`: the first letter, then the rest in order (a subsequence)."""
    if piece[0] != word[0]:
        return False
    rest = iter(word[1:])
    return all(letter in rest for letter in piece[1:])


def is_unique_key(values: Sequence[Any]) -> bool:
    """Every row has a value and no value repeats: fit to identify a row across runs."""
    texts = [_text(v) for v in values]
    return len(texts) >= 2 and all(texts) and len(set(texts)) == len(texts)


def split_separator(counts: Counter[str]) -> str | None:
    """The separator a multi-value column uses, if any: `;` first, then `,`."""
    for separator in (";", ","):
        if any(separator in text for text in counts):
            return separator
    return None


def email_share(counts: Counter[str], separator: str | None) -> float:
    """Share of the (split) items that are e-mail addresses."""
    items = [
        item.strip()
        for text in counts
        for item in (text.split(separator) if separator else [text])
        if item.strip()
    ]
    found = sum(bool(_EMAIL.match(_address(item))) for item in items)
    return found / len(items) if items else 0.0


def _address(item: str) -> str:
    angled = _ANGLE.search(item)
    return angled.group(1).strip() if angled else item


def looks_numeric(values: Iterable[Any]) -> bool:
    """All non-empty cells are numbers or numeric text ("17", "17.0", "1.7E+01")."""
    seen = False
    for value in values:
        if isinstance(value, bool):
            return False
        if isinstance(value, int | float):
            seen = True
        elif value is not None and str(value).strip():
            if not _NUMBER.match(str(value).strip()):
                return False
            seen = True
    return seen
