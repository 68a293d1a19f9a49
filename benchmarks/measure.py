"""Run a command in a fresh process and note its wall time and peak RSS (from `wait4`)."""

from __future__ import annotations

import os
import subprocess
import sys
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


def measure(command: list[str], *, env: dict[str, str] | None = None) -> Measured:
    """Wall seconds from start to exit, and the child's own peak resident set in MB."""
    started = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert child.stdout is not None
    stdout = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    seconds = time.perf_counter() - started
    child.returncode = os.waitstatus_to_exitcode(status)
    return Measured(seconds, usage.ru_maxrss / 1024, stdout, child.returncode)
