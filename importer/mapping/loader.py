"""`load_mapping`: YAML file → checked `Mapping`, or one `MappingError` with file:line + hint."""

from __future__ import annotations

import re
import types
import typing
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from importer.errors import MappingError
from importer.mapping import spec as spec_module
from importer.mapping.compiled import Mapping
from importer.mapping.matching import closest, did_you_mean
from importer.mapping.spec import DATE_FIELDS, MappingSpec, relative_date_problem
from importer.mapping.yamlnodes import YamlProblem, line_of, load_yaml

__all__ = ["load_mapping", "mapping_from_text", "suggest_field"]

_TAGS = {"str", "dict", "list", "bool", "int", "float", "OtherwiseValue", "RowFilter"}
_FIRST = {"extra_forbidden": 0, "literal_error": 0, "missing": 1, "value_error": 1}
MAX_MAPPING_BYTES = 4 << 20  # a mapping with value maps of thousands of entries is ~300 KB


def load_mapping(path: Path) -> Mapping:
    """Read and check a mapping file; raise MappingError (path, line, hint) if it is not valid."""
    try:
        size = Path(path).stat().st_size
        if size > MAX_MAPPING_BYTES:
            raise MappingError(
                f"the mapping file has {size:,} bytes, more than {MAX_MAPPING_BYTES:,}",
                path=str(path),
                hint="is it the right file? a mapping is a short YAML file",
            )
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"cannot read the mapping file: {exc}", path=str(path)) from None
    return mapping_from_text(text, Path(path))


def mapping_from_text(text: str, path: Path) -> Mapping:
    """Like `load_mapping` on text already read (`path` names it and anchors relative paths)."""
    try:
        data, root = load_yaml(text)
    except YamlProblem as problem:
        raise MappingError(
            f"not valid YAML: {problem.message}", path=str(path), line=problem.line
        ) from None
    _refuse_lone_surrogates(root, path)
    if not isinstance(data, dict):
        raise MappingError(
            "a mapping file is a YAML mapping with 'version: 1' and 'fields:'",
            path=str(path),
            line=1,
        )
    try:
        spec = MappingSpec.model_validate(data)
    except ValidationError as exc:
        raise _explain(exc, root, path) from None
    return _compile(spec, root, path)


def _refuse_lone_surrogates(root: Any, path: Path) -> None:
    """Raise MappingError at the first text holding a lone surrogate (YAML's `"\\ud800"`
    escape makes one): no UTF-8 request body, report or ledger can carry it, and it surfaced
    as an internal error mid-run."""
    nodes, walked = [root] if root is not None else [], set()
    while nodes:
        node = nodes.pop()
        if id(node) in walked:  # an alias: its node was walked where its anchor is
            continue
        walked.add(id(node))
        found = _SURROGATE.search(node.value) if isinstance(node, yaml.ScalarNode) else None
        if found is not None:
            raise MappingError(
                f"the text {node.value!a} holds a lone surrogate "
                f"({found.group()!a}), which is not a character",
                path=str(path),
                line=node.start_mark.line + 1,
                hint="write the character itself, or a surrogate pair's character as \\U0001F600",
            )
        if isinstance(node, yaml.MappingNode):
            nodes.extend(part for pair in reversed(node.value) for part in reversed(pair))
        elif isinstance(node, yaml.SequenceNode):
            nodes.extend(reversed(node.value))


_SURROGATE = re.compile("[\ud800-\udfff]")


def _explain(exc: ValidationError, root: Any, path: Path) -> MappingError:
    errors = exc.errors(include_url=False)
    best = min(errors, key=lambda e: (_FIRST.get(e["type"], 2), line_of(root, e["loc"]) or 0))
    loc = tuple(best["loc"])
    message, hint = _describe(best, loc)
    more = len({line_of(root, e["loc"]) for e in errors}) - 1
    if more > 0:
        message += f" (and {more} more problem{'s' if more > 1 else ''})"
    return MappingError(message, path=str(path), line=line_of(root, loc), hint=hint)


def _describe(error: ErrorDetails, loc: tuple[int | str, ...]) -> tuple[str, str | None]:
    where = _dotted(loc[:-1]) if error["type"] == "extra_forbidden" else _dotted(loc)
    if error["type"] == "extra_forbidden":
        name = str(loc[-1])
        allowed = _allowed_keys(loc[:-1])
        what = "API field" if loc[:-1] == ("fields",) else "directive"
        message = f"unknown {what} {name!r}" + (f" in {where}" if where else "")
        return message, did_you_mean(name, allowed) or _listing(allowed)
    if error["type"] == "literal_error":
        choices = _literal_choices(loc)
        given = error.get("input")
        return f"{where}: {given!r} is not one of {', '.join(choices)}", did_you_mean(
            str(given), choices
        )
    if error["type"] == "missing":
        return f"{where}: required but missing", None
    text = error["msg"].removeprefix("Value error, ")
    hint = None
    if "timezone" in text and isinstance(error.get("input"), str):
        from zoneinfo import available_timezones

        hint = did_you_mean(str(error["input"]), sorted(available_timezones()))
    return (f"{where}: {text}" if where else text), hint


def _listing(allowed: list[str]) -> str | None:
    return f"valid names here: {', '.join(allowed)}" if allowed else None


def _dotted(loc: tuple[int | str, ...]) -> str:
    parts = [str(p) for p in loc if not _is_tag(p)]
    return ".".join(parts)


def _is_tag(part: int | str) -> bool:
    """pydantic adds union-member and validator names to `loc`; they are not in the file."""
    if not isinstance(part, str):
        return False
    return "[" in part or part in _TAGS or (part.endswith("Spec") and part in vars(spec_module))


def _unwrap(tp: Any) -> list[Any]:
    """The concrete types behind Annotated/Optional/Union."""
    origin = get_origin(tp)
    if origin is typing.Annotated:
        return _unwrap(get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return [t for arg in get_args(tp) for t in _unwrap(arg)]
    return [tp]


def _step(tp: Any, part: int | str) -> list[Any]:
    found: list[Any] = []
    for candidate in _unwrap(tp):
        origin = get_origin(candidate)
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            if isinstance(part, str) and part == candidate.__name__:
                found.append(candidate)
            for name, info in candidate.model_fields.items():
                if part in (name, info.alias):
                    found.append(info.annotation)
        elif origin is list and isinstance(part, int):
            found.append(get_args(candidate)[0])
        elif origin is dict and isinstance(part, str):
            found.append(get_args(candidate)[1])
    return found


def _types_at(loc: tuple[int | str, ...]) -> list[Any]:
    current: list[Any] = [MappingSpec]
    for part in loc:
        following = [t for tp in current for t in _step(tp, part)]
        if following:
            current = following
        elif isinstance(part, int):
            continue  # a single block the model wrapped into a list
        elif not _is_tag(part):
            return []
    return current


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    names: list[str] = []
    for tp in _types_at(loc):
        for candidate in _unwrap(tp):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                names += [info.alias or name for name, info in candidate.model_fields.items()]
    return list(dict.fromkeys(names))


def _literal_choices(loc: tuple[int | str, ...]) -> list[str]:
    choices: list[str] = []
    for tp in _types_at(loc):
        for candidate in _unwrap(tp):
            if get_origin(candidate) is Literal:
                choices += [str(a) for a in get_args(candidate)]
    return choices


def _compile(spec: MappingSpec, root: Any, path: Path) -> Mapping:
    base = path.parent
    files: dict[str, Path] = {}
    if spec.lookups is not None:
        for kind, relative in spec.lookups.model_dump(exclude_none=True).items():
            target = (base / relative).resolve()
            if not target.is_file():
                names = (
                    [p.name for p in target.parent.glob("*.csv")] if target.parent.is_dir() else []
                )
                raise MappingError(
                    f"lookups.{kind}: no such file {str(target)!r}",
                    path=str(path),
                    line=line_of(root, ("lookups", kind)),
                    hint=did_you_mean(Path(relative).name, names),
                )
            files[kind] = target
    fields = spec.fields
    for name in DATE_FIELDS:
        problem = relative_date_problem(fields, name)
        if problem:
            line = line_of(root, ("fields", name, "relative_to"))
            raise MappingError(problem, path=str(path), line=line)
    _check_attribute_names(spec, root, path)
    needs = set()
    if fields.orgGroupId is not None and fields.orgGroupId.lookup and "organizations" not in files:
        needs.add("organizations")
    if (
        any(a.lookup == "user" for a in fields.incidentAssigneeRequests or [])
        and "users" not in files
    ):
        needs.add("users")
    return Mapping(
        name=spec.name or path.stem,
        path=path,
        sheets=spec.sheets,
        key_columns=list(spec.key),
        needs=frozenset(needs),
        spec=spec,
        lookup_files=files,
    )


def _check_attribute_names(spec: MappingSpec, root: Any, path: Path) -> None:
    """With `attributes:` (the tenant's custom attribute names), attributeValues may name only
    those, so a misspelt attribute fails at start, not as 400s from the register."""
    declared = spec.attributes
    if declared is None or not spec.fields.attributeValues:
        return
    for name in spec.fields.attributeValues:
        if name not in declared:
            raise MappingError(
                f"fields.attributeValues.{name}: not one of the tenant's attributes listed in "
                f"`attributes` ({', '.join(declared) or 'none'})",
                path=str(path),
                line=line_of(root, ("fields", "attributeValues", name)),
                hint=did_you_mean(name, declared),
            )


def suggest_field(name: str) -> list[str]:
    """Nearest API field names (used by tests and by init-mapping)."""
    return closest(name, _allowed_keys(("fields",)))
