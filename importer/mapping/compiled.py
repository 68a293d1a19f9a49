"""`Mapping`: a loaded, checked mapping file, as the pipeline uses it."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from importer.errors import MappingError
from importer.mapping.lookups import is_uuid, normalise_email
from importer.mapping.matching import did_you_mean
from importer.mapping.spec import DATE_FIELDS, DateSpec, MappingSpec
from importer.mapping.spec_blocks import Source
from importer.mapping.values import ChunkColumns, cell_items, template_columns
from importer.rows import SheetChunk

__all__ = ["Mapping"]

_SPACES = re.compile(r"\s+")


@dataclass(frozen=True, eq=False)
class Mapping:
    """What `load_mapping` returns; frozen, built from the validated `MappingSpec`."""

    name: str
    path: Path
    sheets: list[str] | None
    key_columns: list[str]
    needs: frozenset[str]  # lookups to fetch from the register: "organizations", "users"
    spec: MappingSpec = field(repr=False)
    lookup_files: dict[str, Path] = field(default_factory=dict)  # offline CSVs, absolute
    # Free-form date columns: the order (day or month first) decided from the first unambiguous
    # values this run, so that every later chunk reads the column the same way (mapping.dates).
    date_orders: dict[str, tuple[str, str]] = field(default_factory=dict, compare=False, repr=False)

    @cached_property
    def columns(self) -> list[str]:
        """Every source column the mapping reads, in file order."""
        found = list(self.key_columns) + [rule.column for rule in self.spec.skip_rows]
        found += _columns_in(self.spec.fields) + _columns_in(self.spec.stage)
        return list(dict.fromkeys(found))

    @cached_property
    def _read_names(self) -> frozenset[str]:
        return frozenset(" ".join(column.casefold().split()) for column in self.columns)

    def may_read(self, column: str) -> bool:
        """Whether source column `column` may feed a body or a decision: it is one of `columns`,
        compared casefolded with runs of spaces made one (a near name counts: when in doubt,
        it is read)."""
        return " ".join(column.casefold().split()) in self._read_names

    def columns_for(self, field: str) -> list[str]:
        """Source columns feeding an API field; `jurisdictions.0.countryCode` works too."""
        top, _, rest = field.partition(".")
        if top == "stage":
            return _columns_in(self.spec.stage)
        spec = (
            getattr(self.spec.fields, top, None)
            if top in type(self.spec.fields).model_fields
            else None
        )
        if spec is None:
            return []
        if top in ("attributeValues", "linkedInventories") and rest:
            inner = rest.split(".")[0]
            part = (
                spec.get(inner)
                if isinstance(spec, dict)
                else getattr(spec, inner.replace("-", "_"), None)
            )
            if part is not None:
                spec = part
        found = _columns_in(spec)
        if isinstance(spec, DateSpec) and spec.relative_to:
            found += self.columns_for(spec.relative_to)
        return list(dict.fromkeys(found))

    @cached_property
    def fields_by_column(self) -> dict[str, str]:
        """Source column → the first field it feeds (`key` for key columns); dates left out."""
        found = {column: "key" for column in self.key_columns}
        dates = {c for name in DATE_FIELDS for c in self.columns_for(name)}
        for name in type(self.spec.fields).model_fields:
            for column in self.columns_for(name):
                if column not in dates:
                    found.setdefault(column, name)
        return found

    @cached_property
    def serial_columns(self) -> list[str]:
        """Columns whose workbook number cells the mapping reads only as Excel serial dates:
        a date field's `column`/`coalesce` (excel_serial not off) that feeds nothing else. A
        report writes such a cell as the date it was read as, so it re-imports from a CSV."""
        fields = self.spec.fields
        dates: list[str] = []
        for name in DATE_FIELDS:
            spec = getattr(fields, name, None)
            if isinstance(spec, DateSpec) and spec.excel_serial is not False:
                dates += ([spec.column] if spec.column else []) + list(spec.coalesce or [])
        rest = fields.model_copy(update=dict.fromkeys(DATE_FIELDS))
        others = set(self.key_columns) | {rule.column for rule in self.spec.skip_rows}
        others |= set(_columns_in(rest))
        return [c for c in dict.fromkeys(dates) if c not in others]

    def serial_headers(self, header: Iterable[Any]) -> set[str]:
        """The sheet headers of `serial_columns` (none when the header lacks a column)."""
        try:
            resolved = self.resolve_columns(header)
        except MappingError:
            return set()
        return {resolved[c] for c in self.serial_columns if c in resolved}

    def resolve_columns(self, header: Iterable[Any]) -> dict[str, str]:
        """Mapping column → sheet header (exact, else loosely); MappingError if one is absent."""
        names = [str(h) for h in header]
        exact = set(names)
        loose: dict[str, list[str]] = {}
        for name in names:
            loose.setdefault(_loose(name), []).append(name)
        resolved: dict[str, str] = {}
        for column in self.columns:
            if column in exact:
                resolved[column] = column
            elif len(loose.get(_loose(column), [])) == 1:
                resolved[column] = loose[_loose(column)][0]
            else:
                raise _missing_column(column, names, self.path)
        return resolved

    def user_emails(self, chunk: SheetChunk) -> set[str]:
        """Distinct e-mails that `lookup: user` blocks will look up in this chunk (pure)."""
        specs = [s for s in self.spec.fields.incidentAssigneeRequests or [] if s.lookup == "user"]
        if not specs or chunk.hidden:  # a hidden sheet's rows are skipped, its columns unread
            return set()
        cols = ChunkColumns(chunk.frame, self.resolve_columns(chunk.frame.columns))
        found: set[str] = set()
        for spec in specs:
            for value in cell_items(spec, cols, "").items.unique():
                if not is_uuid(value.strip()):
                    found.add(normalise_email(value))
        return {email for email in found if "@" in email}

    @cached_property
    def date_specs(self) -> dict[str, DateSpec]:
        """Column → the date field block reading it (the first such field wins)."""
        found: dict[str, DateSpec] = {}
        for name in DATE_FIELDS:
            spec: DateSpec | None = getattr(self.spec.fields, name)
            if spec is not None and spec.column:
                found.setdefault(spec.column, spec)
        return found

    @property
    def inline_groups(self) -> dict[str, str]:
        return {name: str(gid) for name, gid in self.spec.groups.items()}

    @property
    def inline_options(self) -> dict[str, dict[str, str]]:
        return {a: {o: str(i) for o, i in opts.items()} for a, opts in self.spec.options.items()}


def _missing_column(column: str, names: list[str], path: Path) -> MappingError:
    copies = [n for n in names if re.fullmatch(re.escape(column) + r" \(\d+\)", n)]
    if len(copies) > 1:
        listed = ", ".join(repr(c) for c in copies)
        return MappingError(
            f"column {column!r} appears {len(copies)} times in the sheet's header; "
            f"the reader names the copies {listed}",
            path=str(path),
            hint=f"name the copy you mean, e.g. {copies[0]!r}, or rename the headers in the sheet",
        )
    hint = did_you_mean(column, names)
    garbled = [n for n in names if _MOJIBAKE.search(n)]
    if garbled:
        hint = (
            f"the header looks mis-decoded ({garbled[0]!r}): give the file's encoding with "
            "--encoding (or `encoding:` in the mapping), e.g. cp1250, cp1252 or utf-8"
        )
    return MappingError(
        f"column {column!r} is not in the sheet (its columns: {', '.join(names[:15])})",
        path=str(path),
        hint=hint or "fix the column name in the mapping or the sheet's header row",
    )


# UTF-8 read as a single-byte page (Ã©, Å¡, Ä), a replacement character, C1 controls, or
# letters of one page next to symbols of another (Pøíjem, Z³oty).
_MOJIBAKE = re.compile(
    r"[ÃÅÄÂ][\x80-\xbf\u0152-\u2122]|\ufffd|[\x80-\x9f]|\w[³¹¿¼¾ºª¦]|[øìù][a-zíáé]"
)


def _loose(name: str) -> str:
    return _SPACES.sub(" ", name).strip().casefold()


def _columns_in(node: Any) -> list[str]:
    """Columns referenced anywhere inside a spec block (recursive over models, lists, dicts)."""
    found: list[str] = []
    if isinstance(node, Source):
        if node.column:
            found.append(node.column)
        found += node.coalesce or []
        if node.template:
            found += [name for name, _optional in template_columns(node.template)]
    if isinstance(node, BaseModel):
        condition = getattr(node, "when_present", None)
        if isinstance(condition, str):
            found.append(condition)
        for name in type(node).model_fields:
            found += _columns_in(getattr(node, name))
    elif isinstance(node, dict):
        for value in node.values():
            found += _columns_in(value)
    elif isinstance(node, Sequence) and not isinstance(node, str):
        for value in node:
            found += _columns_in(value)
    return found
