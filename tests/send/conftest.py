"""Fixtures for the sender's tests."""

from __future__ import annotations

import pytest
from send_fakes import FakeRegister


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def fake() -> FakeRegister:
    return FakeRegister()
