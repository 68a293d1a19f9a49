"""Run a command in a fresh process and note its wall time and peak RSS (from `wait4`)."""

from __future__ import annotations

import compileall
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


@dataclass
class Measured:
    seconds: float
    peak_mb: float
    stdout: str
    returncode: int


def python(*args: str) -> list[str]:
    return [sys.executable, *args]


def bytecode_env() -> dict[str, str]:
    """This environment with Python's bytecode cache on, as in an installed package (a
    machine that sets PYTHONDONTWRITEBYTECODE would recompile every module in every run)."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def compile_once() -> None:
    """Write the `.pyc` files of the project once, before anything is timed."""
    for folder in ("importer", "benchmarks"):
        compileall.compile_dir(REPO / folder, quiet=1)


def measure(command: list[str], *, env: dict[str, str] | None = None) -> Measured:
    """Wall seconds from start to exit, and the child's own peak resident set in MB (through
    `benchmarks.spawn`, so this process's size does not leak into the child's figure)."""
    with tempfile.TemporaryDirectory(prefix="bench-rss-") as folder:
        result = Path(folder) / "rusage"
        launcher = python("-m", "benchmarks.spawn", str(result), *command)
        started = time.perf_counter()
        environment = bytecode_env() if env is None else env
        child = subprocess.run(launcher, cwd=REPO, env=environment, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        if child.returncode != 0 or not result.exists():
            raise RuntimeError(f"could not measure {command}: {child.stderr[-2000:]}")
        max_rss_kib, returncode = map(int, result.read_text(encoding="utf-8").split())
    return Measured(seconds, max_rss_kib / 1024, child.stdout, returncode)
