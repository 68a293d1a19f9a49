"""The README and docs/ say what the tool does: every link resolves, every command line shown
names a real command with real options.

The reference moved from the README into docs/ (one page per topic); these tests keep the pages
linked together and in step with the CLI when a page, a heading, a command or an option moves.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from importer.cli import app

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
IDS = [str(page.relative_to(ROOT)) for page in PAGES]

LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.S | re.M)
SPAN = re.compile(r"`([^`\n]+)`")
# not after a word: "Run incident-import every night" is prose, "$ incident-import run" a command
COMMAND_LINE = re.compile(
    r"(?<![A-Za-z] )(?:incident-import|python3? -m importer)\s+([a-z][a-z-]*)(.*)"
)
OPTION = re.compile(r"(?<![\w-])(--?[a-zA-Z][\w-]*)")


def _cli() -> Any:
    """The click group typer builds from the app (its `.commands` by name)."""
    return typer.main.get_command(app)


def _options(command: Any) -> set[str]:
    names = {"--help"}
    for param in command.params:
        names.update(param.opts)
        names.update(getattr(param, "secondary_opts", []))
    return names


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text(encoding="utf-8"))
    return {_slug(h) for h in re.findall(r"^#{1,6}\s+(.*?)\s*#*$", text, re.M)}


def _code(page: Path) -> list[str]:
    """Each line of code on the page (fenced blocks, inline spans), continuation lines joined."""
    text = page.read_text(encoding="utf-8")
    lines: list[str] = []
    for block in FENCE.findall(text):
        lines.extend(block.replace("\\\n", " ").splitlines())
    lines.extend(SPAN.findall(FENCE.sub("", text)))
    return lines


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_every_relative_link_and_anchor_resolves(page):
    broken = []
    for target in LINK.findall(FENCE.sub("", page.read_text(encoding="utf-8"))):
        if re.match(r"[a-z]+:", target):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        if not linked.exists():
            broken.append(f"{target}: no such file")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            broken.append(f"{target}: no heading #{anchor} in {linked.name}")
    assert not broken, f"{page.name}: " + "; ".join(broken)


def test_every_docs_page_is_listed_in_the_readme_and_the_docs_index():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    index = (ROOT / "docs" / "README.md").read_text(encoding="utf-8")
    for page in PAGES[1:]:
        assert f"](docs/{page.name})" in readme, f"README.md does not link docs/{page.name}"
        if page.name != "README.md":
            assert f"]({page.name})" in index, f"docs/README.md does not list {page.name}"


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_every_command_line_shown_names_a_real_command_and_its_options(page):
    cli = _cli()
    wrong = []
    for line in _code(page):
        for name, rest in COMMAND_LINE.findall(line):
            command = cli.commands.get(name)
            if command is None:
                wrong.append(f"`{line.strip()}`: no command {name!r}")
                continue
            rest = rest.split("#", 1)[0]  # a shell comment after the command
            unknown = set(OPTION.findall(rest)) - _options(command)
            if unknown:
                wrong.append(f"`{line.strip()}`: {name} has no {sorted(unknown)}")
    assert not wrong, f"{page.name}: " + "; ".join(wrong)


@pytest.mark.parametrize("page", PAGES, ids=IDS)
def test_every_option_in_an_options_table_exists(page):
    known = set().union(*(_options(command) for command in _cli().commands.values()))
    rows = re.findall(r"^\| `(--?[\w-]+)", page.read_text(encoding="utf-8"), re.M)
    unknown = sorted(set(rows) - known)
    assert not unknown, f"{page.name} documents options the CLI does not have: {unknown}"
