"""Fixtures for the mapping tests (helpers live in mapping_helpers.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from mapping_helpers import OFFLINE, REPO, chunk, mapping_text

from importer.mapping import Lookups, Mapping, apply_mapping, mapping_from_text
from importer.rows import MappedChunk
from importer.run.lookups import fetch_lookups


@pytest.fixture(scope="session")
def seed_lookups() -> Lookups:
    """Lookups of the sandbox's default tenant, from the sample offline CSV files."""
    probe = mapping_from_text("version: 1\nfields: {name: A}\n", REPO / "probe.yaml")
    return asyncio.run(fetch_lookups(probe, None, offline=OFFLINE))


@pytest.fixture
def load(tmp_path: Path) -> Callable[..., Mapping]:
    def build(fields: str, top: str = "") -> Mapping:
        return mapping_from_text(mapping_text(fields, top), tmp_path / "test.yaml")

    return build


@pytest.fixture
def run(load: Callable[..., Mapping], seed_lookups: Lookups) -> Callable[..., MappedChunk]:
    """Map columns with a mapping given as YAML text; lookups are the seed tenant's."""

    def apply(fields: str, columns: dict[str, list[Any]], top: str = "") -> MappedChunk:
        return apply_mapping(load(fields, top), chunk(columns), seed_lookups)

    return apply
