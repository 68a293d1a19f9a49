"""The package layout keeps its promises: each stage's `__all__` is real and is its only door.

docs/architecture.md: one package per stage, each with a public face in `__init__.__all__`; the
top level keeps only the shared modules and the entry points. import-linter checks which package
may import which; these tests check *how*: from outside a package, only through its public face.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import pkgutil
import sys
from pathlib import Path

import pytest

import importer

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "importer"
STAGES = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
TOP_LEVEL = {  # besides __init__
    "__main__",
    "cli",
    "cli_errors",
    "cli_options",
    "cli_tools",
    "console",
    "digests",
    "errors",
    "formulas",
    "models",
    "redact",
    "rows",
}


def test_the_stage_packages_are_the_documented_ones():
    documented = {"draft", "ledger", "mapping", "read", "report", "run", "sandbox", "send"}
    assert set(STAGES) == documented | {"validate"}


def test_the_top_level_keeps_only_shared_modules_and_entry_points():
    modules = {info.name for info in pkgutil.iter_modules(importer.__path__) if not info.ispkg}
    assert modules == TOP_LEVEL


@pytest.mark.parametrize("stage", STAGES)
def test_tests_mirror_the_packages(stage):
    assert list((ROOT / "tests" / stage).glob("test_*.py")), f"no tests/{stage}/test_*.py"


@pytest.mark.parametrize("stage", STAGES)
def test_every_name_in_a_public_face_exists(stage):
    module = importlib.import_module(f"importer.{stage}")
    names = module.__all__
    assert names, f"importer.{stage} has an empty __all__"
    assert len(names) == len(set(names))
    missing = [name for name in names if not hasattr(module, name)]
    assert not missing, f"importer.{stage}.__all__ names what it does not define: {missing}"


def _imports(path: Path) -> list[tuple[int, str, list[str]]]:
    found: list[tuple[int, str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module, [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name, []) for alias in node.names)
    return found


def test_no_module_reaches_into_another_package_past_its_public_face():
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).parts
        own = relative[0] if len(relative) > 1 else None
        for line, module, names in _imports(path):
            parts = module.split(".")
            if parts[0] != "importer" or len(parts) < 2 or parts[1] not in STAGES:
                continue
            if parts[1] == own:
                continue
            public = importlib.import_module(f"importer.{parts[1]}").__all__
            if len(parts) > 2:
                wrong.append(f"importer/{'/'.join(relative)}:{line}: imports {module}")
            else:
                wrong.extend(
                    f"importer/{'/'.join(relative)}:{line}: {name} is not in {module}.__all__"
                    for name in names
                    if name not in public
                )
    assert not wrong, "use the package's public face (its __init__.__all__):\n" + "\n".join(wrong)


@pytest.mark.parametrize("script", sorted((ROOT / "benchmarks").glob("*.py")), ids=lambda p: p.name)
def test_every_benchmark_still_imports(script):
    """Benchmarks are not tests, so a moved module would break them unnoticed: import each."""
    spec = importlib.util.spec_from_file_location(f"benchmark_{script.stem}", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    # Registered while it runs, as an import would: dataclasses look their module up by name.
    sys.modules[spec.name] = module
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules[spec.name]
