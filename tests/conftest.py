"""Fixtures shared by the end-to-end tests: a sandbox register, small sheets, the CLI."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e_helpers import SIMPLE_MAPPING
from hypothesis import settings
from typer.testing import CliRunner

# A loaded 2-core CI machine is slow now and then: property tests judge results, not speed.
settings.register_profile("suite", deadline=None)
settings.load_profile("suite")


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


@pytest.fixture
def simple_mapping(tmp_path: Path) -> Path:
    path = tmp_path / "test-log.yaml"
    path.write_text(SIMPLE_MAPPING, encoding="utf-8")
    return path


@pytest.fixture
def register() -> Iterator[object]:
    """A fresh sandbox register on loopback with a generous quota."""
    from importer.sandbox import running_sandbox

    with running_sandbox() as handle:
        yield handle


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch):
    """Invoke the CLI in-process; `cli(args, register=handle)` sets the credential variables."""

    def invoke(args: list[str], register: object | None = None) -> CliResult:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ONETRUST_")}
        if register is not None:
            env.update(
                ONETRUST_BASE_URL=register.base_url,  # type: ignore[attr-defined]
                ONETRUST_CLIENT_ID=register.client_id,  # type: ignore[attr-defined]
                ONETRUST_CLIENT_SECRET=register.client_secret,  # type: ignore[attr-defined]
            )
        for key in [k for k in os.environ if k.startswith("ONETRUST_")]:
            monkeypatch.delenv(key)
        from importer.cli import app

        result = CliRunner().invoke(app, args, env=env, catch_exceptions=False)
        return CliResult(result.exit_code, result.stdout, result.stderr)

    return invoke
