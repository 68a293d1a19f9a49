"""YAML reading that keeps each node's line number, with YAML 1.2 scalars.

PyYAML's composer gives us the node tree (with marks); we build plain Python data from it
ourselves so that duplicate keys are errors and `NO`/`Y`/`on`/`1:30` stay strings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

__all__ = ["MAX_DEPTH", "MAX_NODES", "YamlProblem", "line_of", "load_yaml"]

# Values built from the YAML, aliases counted each time they are used: a real mapping has a
# few thousand; nested aliases ("billion laughs") would otherwise expand a 1 KB file to GBs.
MAX_NODES = 200_000
# Nesting: a real mapping goes five or six levels deep; PyYAML's composer and our constructor
# recurse, so 100,000 `[` in a 200 KB file ran out of Python's stack (an internal error).
MAX_DEPTH = 64
_TOO_DEEP = f"nested more than {MAX_DEPTH} levels deep"


class _Yaml12Loader(yaml.SafeLoader):
    """SafeLoader with the YAML 1.2 core schema's booleans, ints and floats, and no timestamps."""


_Yaml12Loader.yaml_implicit_resolvers = {}
for _tag, _regexp, _first in [
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("tag:yaml.org,2002:int", r"^[-+]?[0-9]+$", "-+0123456789"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    ("tag:yaml.org,2002:null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
]:
    _Yaml12Loader.add_implicit_resolver(_tag, re.compile(_regexp), list(_first))


@dataclass
class YamlProblem(Exception):
    """The text is not YAML we accept; `line` is 1-based."""

    message: str
    line: int | None


def load_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """Return (data, root node); raise YamlProblem with a line number."""
    try:
        loader = _Yaml12Loader(text)  # its reader refuses control characters here, at once
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        shown = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        raise YamlProblem(
            f"the character {shown} is not allowed in YAML (a control character: "
            "delete it, or write it as an escape inside double quotes)",
            line,
        ) from None
    try:
        root = loader.get_single_node()
        data = _construct(loader, root, [MAX_NODES]) if root is not None else None
    except RecursionError:  # the composer, before any depth could be counted
        raise YamlProblem(_TOO_DEEP, None) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise YamlProblem(str(exc.problem or exc), mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise YamlProblem(str(exc), None) from None
    finally:
        loader.dispose()
    return data, root


def _construct(loader: yaml.SafeLoader, node: yaml.Node, budget: list[int], depth: int = 0) -> Any:
    if depth > MAX_DEPTH:
        raise YamlProblem(_TOO_DEEP, node.start_mark.line + 1)
    budget[0] -= 1
    if budget[0] < 0:
        raise YamlProblem(
            f"more than {MAX_NODES:,} values once aliases are expanded (nested '*' aliases?)",
            node.start_mark.line + 1,
        )
    if isinstance(node, yaml.MappingNode):
        result: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise YamlProblem("'<<' merge keys are not supported", key_node.start_mark.line + 1)
            key = _construct(loader, key_node, budget, depth + 1)
            if not isinstance(key, str | int | float | bool) and key is not None:
                raise YamlProblem("a key must be a plain value", key_node.start_mark.line + 1)
            if key in result:
                raise YamlProblem(f"duplicate key {key!r}", key_node.start_mark.line + 1)
            result[key] = _construct(loader, value_node, budget, depth + 1)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(loader, item, budget, depth + 1) for item in node.value]
    try:
        return loader.construct_object(node, deep=True)
    except yaml.constructor.ConstructorError as exc:
        raise YamlProblem(str(exc.problem), node.start_mark.line + 1) from None


def line_of(root: yaml.Node | None, loc: tuple[int | str, ...]) -> int | None:
    """1-based line of the node at `loc` (for a mapping entry: the line of its key).

    Unknown path parts (pydantic's union tags, a block wrapped into a list) are skipped, so the
    answer is the deepest node that exists.
    """
    node, line = root, root.start_mark.line + 1 if root else None
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if _key_text(key_node) == str(part):
                    line = key_node.start_mark.line + 1
                    node = value_node
                    break
        elif (
            isinstance(node, yaml.SequenceNode)
            and isinstance(part, int)
            and 0 <= part < len(node.value)
        ):
            node = node.value[part]
            line = node.start_mark.line + 1
    return line


def _key_text(node: yaml.Node) -> str:
    value = node.value if isinstance(node, yaml.ScalarNode) else ""
    return str(value)
