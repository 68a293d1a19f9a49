"""Parsing of `POST /api/incident/v1/incidents/search`: query page/size/sort and the JSON body.

Body: `{"fullText": "text" | null, "filters": {"orgGroupId": id | [ids], "incidentId": ...,
"incidentTypeName": ..., "number": ...}}`; each filter takes one value or a list (any matches).
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from importer.sandbox.checks import FieldProblem
from importer.sandbox.faults import FaultInjector
from importer.sandbox.store import FILTER_COLUMNS, SORTABLE, SearchQuery

__all__ = ["MAX_PAGE_SIZE", "answer", "page_body", "parse_search", "with_faults"]

MAX_PAGE_SIZE = 2000
_UUID_FILTERS = {"incidentId", "orgGroupId"}


def parse_search(params: Mapping[str, str], body: Any) -> SearchQuery | list[FieldProblem]:
    """A checked query, or every problem found in the query string and body."""
    problems: list[FieldProblem] = []
    page = _integer(params, "page", 0, 0, None, problems)
    size = _integer(params, "size", 20, 1, MAX_PAGE_SIZE, problems)
    sort, descending = _sort(params.get("sort", "number,asc"), problems)
    body = {} if body is None else body
    if not isinstance(body, dict):
        return [*problems, FieldProblem("(body)", "expected a JSON object")]
    for key in sorted(set(body) - {"fullText", "filters"}):
        problems.append(FieldProblem(key, "unknown field; the body takes fullText and filters"))
    full_text = body.get("fullText")
    if full_text is not None and not isinstance(full_text, str):
        problems.append(FieldProblem("fullText", "expected a string or null"))
    filters = _filters(body.get("filters"), problems)
    if problems:
        return problems
    return SearchQuery(full_text or None, filters, page, size, sort, descending)


def with_faults(query: SearchQuery, faults: FaultInjector) -> SearchQuery:
    """The query a lagging or careless register really runs: recent creates hidden, sort lost."""
    knobs = faults.faults
    if knobs.search_lag_ms > 0:
        cutoff = datetime.now(UTC) - timedelta(milliseconds=knobs.search_lag_ms)
        text = cutoff.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        query = dataclasses.replace(query, created_before=text)
    if faults.fires("search_ignore_sort"):
        query = dataclasses.replace(query, sort="number", descending=False)
    return query


def answer(
    content: list[dict[str, Any]], total: int, query: SearchQuery, faults: FaultInjector
) -> Any:
    """The search's JSON answer: the vendor's bare array, or a page (`search_answer`)."""
    if faults.fires("search_empty"):
        content, total = [], 0
    if faults.fires("search_omit_empty"):
        content = [{k: v for k, v in i.items() if v not in (None, "", [], {})} for i in content]
    if faults.faults.search_answer == "page":
        return page_body(content, total, query)
    return content


def page_body(content: list[dict[str, Any]], total: int, query: SearchQuery) -> dict[str, Any]:
    """A Spring-style page, as the vendor's list endpoints answer."""
    return {
        "content": content,
        "totalElements": total,
        "totalPages": math.ceil(total / query.size),
        "number": query.page,
        "size": query.size,
        "numberOfElements": len(content),
        "first": query.page == 0,
        "last": (query.page + 1) * query.size >= total,
    }


def _integer(
    params: Mapping[str, str],
    name: str,
    default: int,
    low: int,
    high: int | None,
    problems: list[FieldProblem],
) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if value < low or (high is not None and value > high):
        bounds = f"{low}..{high}" if high is not None else f">= {low}"
        problems.append(FieldProblem(name, f"expected an integer {bounds}, got {raw!r}"))
        return default
    return value


def _sort(raw: str, problems: list[FieldProblem]) -> tuple[str, bool]:
    field, _, direction = (part.strip() for part in raw.partition(","))
    if field not in SORTABLE or direction.lower() not in {"", "asc", "desc"}:
        problems.append(
            FieldProblem(
                "sort", f"expected FIELD[,asc|desc] with FIELD one of {', '.join(SORTABLE)}"
            )
        )
        return "number", False
    return field, direction.lower() == "desc"


def _filters(raw: Any, problems: list[FieldProblem]) -> dict[str, list[Any]]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(FieldProblem("filters", "expected a JSON object"))
        return {}
    filters: dict[str, list[Any]] = {}
    for name, value in raw.items():
        if name not in FILTER_COLUMNS:
            known = ", ".join(FILTER_COLUMNS)
            problems.append(FieldProblem(f"filters.{name}", f"unknown filter; known: {known}"))
            continue
        values = value if isinstance(value, list) else [value]
        try:
            filters[name] = [_filter_value(name, v) for v in values]
        except (TypeError, ValueError) as exc:
            problems.append(FieldProblem(f"filters.{name}", str(exc)))
    return filters


def _filter_value(name: str, value: Any) -> Any:
    if name in _UUID_FILTERS:
        if not isinstance(value, str):
            raise TypeError(f"expected a UUID, got {value!r}")
        try:
            return str(UUID(value))
        except ValueError:
            raise ValueError(f"expected a UUID, got {value!r}") from None
    if name == "number":
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"expected an integer, got {value!r}")
        return value
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {value!r}")
    return value
