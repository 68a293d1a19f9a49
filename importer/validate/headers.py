"""Header drift: a sheet whose header no longer matches the columns the mapping reads."""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["header_drift"]


def header_drift(expected: Iterable[str], header: Iterable[object]) -> str | None:
    """One message listing every missing column (with its closest matches among the unexpected
    ones) and every unexpected column, or None when nothing the mapping reads is missing.

    `header_drift(["Title", "Occurred"], ["Titel", "Occurred", "Notes"])` →
    `"missing column 'Title' (closest: 'Titel'); unexpected columns: 'Titel', 'Notes'"`.
    """
    names = [str(h) for h in header]
    folded = {_loose(n) for n in names}
    missing = [c for c in dict.fromkeys(expected) if c not in names and _loose(c) not in folded]
    if not missing:
        return None
    used = {_loose(c) for c in expected}
    unexpected = [n for n in names if _loose(n) not in used]
    parts = []
    for column in missing:
        near = closest(column, unexpected or names, limit=2)
        shown = f" (closest: {', '.join(map(repr, near))})" if near else ""
        parts.append(f"{column!r}{shown}")
    text = f"missing column{'s' if len(missing) > 1 else ''} " + ", ".join(parts)
    if unexpected:
        text += "; unexpected columns: " + ", ".join(map(repr, unexpected[:20]))
        text += ", …" if len(unexpected) > 20 else ""
    return text


def closest(value: str, choices: list[str], *, limit: int) -> list[str]:
    """Up to `limit` choices that look like `value` (case and punctuation ignored), best first."""
    from rapidfuzz import fuzz, process, utils  # only a drifted header gets here

    found = process.extract(
        value,
        choices,
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=60,
    )
    return [choice for choice, _score, _index in found]


def _loose(name: str) -> str:
    # The same looseness as `Mapping.resolve_columns`: spaces collapsed, case ignored.
    return " ".join(name.split()).casefold()
