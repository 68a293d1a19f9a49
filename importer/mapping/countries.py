"""Countries and states through pycountry (ISO 3166-1 and 3166-2), cached per distinct value.

`resolve_country("United States")` → `("USA", None)`;
`resolve_state("USA", "California")` → `("CA", None)`.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, lru_cache
from typing import Any

from importer.mapping.lookups import Resolution
from importer.mapping.matching import did_you_mean

__all__ = ["STATE_REQUIRED", "resolve_country", "resolve_state"]

STATE_REQUIRED = frozenset({"USA", "CAN"})
_NOISE = re.compile(r"[^a-z0-9]+")


def _key(text: str) -> str:
    """Case, accents and punctuation ignored: "Côte d'Ivoire" ≈ "cote divoire"."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOISE.sub(" ", plain.casefold()).strip()


@cache
def _country_table() -> dict[str, str]:
    import pycountry  # its tables load only for a mapping that resolves countries

    table: dict[str, str] = {}
    for country in pycountry.countries:
        names = [country.name, getattr(country, "official_name", None)]
        names.append(getattr(country, "common_name", None))
        for name in filter(None, names):
            table.setdefault(_key(name), country.alpha_3)
            if "," in name:  # "Korea, Republic of" → "Republic of Korea"
                head, _, tail = name.partition(",")
                table.setdefault(_key(f"{tail} {head}"), country.alpha_3)
    for country in pycountry.countries:  # codes win over names
        table[_key(country.alpha_2)] = country.alpha_3
        table[_key(country.alpha_3)] = country.alpha_3
    return table


def _typo_match(key: str, table: dict[str, str]) -> str | None:
    """The code of the one name within 1 typo (2 for long names) of `key`; never guess codes."""
    if len(key) < 5 or not table:
        return None
    from rapidfuzz import process
    from rapidfuzz.distance import DamerauLevenshtein

    edits = 1 if len(key) < 9 else 2
    found = process.extract(
        key, list(table), scorer=DamerauLevenshtein.distance, score_cutoff=edits, limit=5
    )
    codes = {table[name] for name, _score, _i in found if len(name) > 3}
    return codes.pop() if len(codes) == 1 else None


@cache
def _country_names() -> list[str]:
    import pycountry

    return [c.name for c in pycountry.countries]


@lru_cache(maxsize=4096)
def resolve_country(value: str) -> Resolution:
    """Name, official/common name, alpha-2 or alpha-3 (typos ≥ 90% similar) → alpha-3 code."""
    key = _key(value)
    table = _country_table()
    if key in table:
        return table[key], None
    guess = _typo_match(key, table)
    if guess:
        return guess, None
    hint = did_you_mean(value, _country_names()) if len(key) > 3 else None
    return None, "expected a country name or ISO 3166 code (FR, FRA)" + (
        f"; {hint}" if hint else ""
    )


@cache
def _state_table(alpha_3: str) -> tuple[dict[str, str], list[str]]:
    alpha_2 = _alpha_2(alpha_3)
    table: dict[str, str] = {}
    names: list[str] = []
    for sub in _subdivisions(alpha_2):
        short = sub.code.split("-", 1)[1]
        table.setdefault(_key(sub.name), short)
        names.append(sub.name)
    for sub in _subdivisions(alpha_2):
        short = sub.code.split("-", 1)[1]
        table[_key(sub.code)] = short
        table[_key(short)] = short
    return table, names


def _alpha_2(alpha_3: str) -> str:
    import pycountry

    return {c.alpha_3: c.alpha_2 for c in pycountry.countries}[alpha_3]


def _subdivisions(alpha_2: str) -> list[Any]:
    import pycountry

    found = pycountry.subdivisions.get(country_code=alpha_2) or []  # type: ignore[no-untyped-call]
    # pycountry returns a set ordered by object ids: sorted, a refusal's example and its "did
    # you mean" are the same in every run (results.csv must not change between two runs).
    return sorted(found, key=lambda sub: str(sub.code))


@lru_cache(maxsize=8192)
def resolve_state(alpha_3: str, value: str) -> Resolution:
    """State/province name or code ("California", "CA", "US-CA") → the code after the dash."""
    table, names = _state_table(alpha_3)
    key = _key(value)
    if key in table:
        return table[key], None
    guess = _typo_match(key, table)
    if guess:
        return guess, None
    if not table:
        return None, f"{alpha_3} has no states or provinces in ISO 3166-2"
    hint = did_you_mean(value, names)
    example = f"{names[0]} or {next(iter(table.values()))}" if names else "a code"
    return None, f"expected a state/province of {alpha_3} like {example}" + (
        f"; {hint}" if hint else ""
    )
