"""Nearest-name suggestions ("did you mean …") shared by the loader and the row errors."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

__all__ = ["closest", "did_you_mean", "expected_one_of"]

_LISTED = 12


def closest(value: str, choices: Iterable[str], *, limit: int = 3, cutoff: float = 60) -> list[str]:
    """Up to `limit` choices that look like `value`, best first (case and punctuation ignored)."""
    return [choice for choice, _score in _scored(value, choices, limit=limit, cutoff=cutoff)]


def _scored(
    value: str, choices: Iterable[str], *, limit: int, cutoff: float
) -> list[tuple[str, float]]:
    """WRatio finds candidates (it tolerates prefixes and word order); the plain ratio then
    breaks ties so that 'nam' suggests 'name' before 'incidentTypeName'."""
    from rapidfuzz import fuzz, process, utils  # only a value that does not match gets here

    pool = list(dict.fromkeys(c for c in choices if c))
    if not pool or not value:
        return []
    query = utils.default_process(value[:200])
    found = process.extract(
        query,
        pool,
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=limit + 8,
        score_cutoff=cutoff,
    )
    ranked = sorted(
        (
            (choice, (score + fuzz.ratio(query, utils.default_process(choice))) / 2)
            for choice, score, _index in found
        ),
        key=lambda pair: -pair[1],
    )
    return ranked[:limit]


def did_you_mean(value: str, choices: Iterable[str], *, cutoff: float = 60) -> str | None:
    """`"did you mean 'France'?"` or None when nothing is close."""
    scored = _scored(value, choices, limit=2, cutoff=cutoff)
    if not scored:
        return None
    best = scored[0][1]
    found = [choice for choice, score in scored if score >= best - 5]
    return "did you mean " + " or ".join(repr(name) for name in found) + "?"


def expected_one_of(value: str, choices: Sequence[str]) -> str:
    """`expected one of: Data Breach, Phishing, … (did you mean 'Phishing'?)`."""
    shown = ", ".join(choices[:_LISTED]) + (", …" if len(choices) > _LISTED else "")
    hint = did_you_mean(value, choices)
    return f"expected one of: {shown}" + (f" ({hint})" if hint else "")
