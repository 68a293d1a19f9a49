"""The samples: each row ends as documented; the ACME export imports into the sandbox over HTTP."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path
from typing import Any

import pytest
from mapping_helpers import OFFLINE, REPO

from importer.mapping import Lookups, Mapping, apply_mapping, load_mapping
from importer.models import body_errors
from importer.read import read_rows
from importer.rows import MappedChunk
from importer.run.lookups import add_users, fetch_lookups, organizations_from_tree


def _documented() -> tuple[dict[str, dict[str, str]], dict[str, dict[str, str]]]:
    spec = importlib.util.spec_from_file_location(
        "make_samples", REPO / "samples" / "make_samples.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.INVALID_ROWS, module.SKIPPED_ROWS


INVALID_ROWS, SKIPPED_ROWS = _documented()
SAMPLES = {
    "legacy_incidents.csv": "legacy_incidents",
    "incidents_two_sheets.xlsx": "incidents_two_sheets",
    "acme_legacy_export.csv": "acme_legacy_export",
}


def map_sample(sample: str, lookups: Lookups) -> list[tuple[str, MappedChunk]]:
    mapping = load_mapping(REPO / "mappings" / f"{SAMPLES[sample]}.yaml")
    results = []
    for part in read_rows(REPO / "samples" / sample, sheets=mapping.sheets, chunk_size=16):
        results.append((part.sheet or "", apply_mapping(mapping, part, lookups)))
    return results


def outcomes(results: list[tuple[str, MappedChunk]]) -> tuple[dict[str, Any], ...]:
    """Invalid rows (mapping errors or bodies the API models refuse), skipped rows, bodies."""
    invalid: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    bodies: dict[str, dict[str, Any]] = {}
    for sheet, mapped in results:

        def where(row: int, sheet: str = sheet) -> str:
            return f"{sheet}!{row}" if sheet else str(row)

        invalid |= {where(r): [e.describe() for e in errs] for r, errs in mapped.errors.items()}
        skipped |= {where(r): why for r, why in mapped.skipped.items()}
        for row, body in mapped.bodies.items():
            problems = body_errors(body)
            if problems:
                invalid[where(row)] = problems
            else:
                bodies[where(row)] = body
    return invalid, skipped, bodies


@pytest.mark.parametrize("sample", list(SAMPLES))
def test_sample_rows_end_as_documented(sample: str, seed_lookups: Lookups):
    invalid, skipped, bodies = outcomes(map_sample(sample, seed_lookups))
    assert set(invalid) == set(INVALID_ROWS[sample]), invalid
    assert set(skipped) == set(SKIPPED_ROWS.get(sample, {}))
    assert len(bodies) + len(invalid) + len(skipped) >= 40
    keys = [mapped.keys for _sheet, mapped in map_sample(sample, seed_lookups)]
    assert all(k for k in keys)


def test_sample_errors_say_what_was_expected(seed_lookups: Lookups):
    invalid, _skipped, _bodies = outcomes(map_sample("acme_legacy_export.csv", seed_lookups))
    assert invalid["8"] == [
        "column 'Owning Unit' (orgGroupId) value 'Global/EMEA/Frnace': expected a known "
        "organization name, externalId or path; did you mean 'Global/EMEA/France'?"
    ]
    assert invalid["19"] == [
        "column 'Region/State' (jurisdictions): a state or province is required for USA "
        "(country 'United States')"
    ]
    assert invalid["27"][0].startswith(
        "column 'Kind' (incidentTypeName) value 'COFFEE-SPILL': expected one of: PHISH-EMAIL, "
    )


def test_acme_sample_uses_every_kind_of_field(seed_lookups: Lookups):
    _invalid, _skipped, bodies = outcomes(map_sample("acme_legacy_export.csv", seed_lookups))
    used = {name for body in bodies.values() for name in body}
    from importer.models import field_names

    assert used == set(field_names())
    attributes = {name for body in bodies.values() for name in body.get("attributeValues", {})}
    assert attributes == {
        "Severity",
        "Data Categories",
        "Records Affected",
        "Reporter",
        "Legacy Reference",
    }


def _sandbox_client(sandbox: Any) -> Any:
    from importer.send import Credentials, RegisterClient

    creds = Credentials(sandbox.base_url, sandbox.client_id, sandbox.client_secret)
    return RegisterClient(creds, rate_per_minute=60_000, max_attempts=2, max_wait=0.1)


async def _lookups_from_register(mapping: Mapping, client: Any) -> Lookups:
    lookups = await fetch_lookups(mapping, client)
    emails: set[str] = set()
    for part in read_rows(REPO / "samples" / "acme_legacy_export.csv", sheets=None, chunk_size=16):
        emails |= mapping.user_emails(part)
    return await add_users(lookups, client, emails)


def test_acme_sample_imports_into_the_sandbox(register: Any, seed_lookups: Lookups):
    mapping = load_mapping(REPO / "mappings" / "acme_legacy_export.yaml")
    assert mapping.needs == frozenset({"organizations", "users"})

    async def scenario() -> tuple[Lookups, list[Any]]:
        async with _sandbox_client(register) as client:
            lookups = await _lookups_from_register(mapping, client)
            _invalid, _skipped, bodies = outcomes(map_sample("acme_legacy_export.csv", lookups))
            created = await asyncio.gather(*(client.create_incident(b) for b in bodies.values()))
            return lookups, created

    lookups, created = asyncio.run(scenario())
    assert dict(lookups.users) == dict(seed_lookups.users)
    assert lookups.unknown_users == frozenset({"zoe.unknown@example.com"})
    assert {(o.id, o.external_id, o.path) for o in lookups.organizations} == {
        (o.id, o.external_id, o.path) for o in seed_lookups.organizations
    }
    expected_ok = (
        40
        - len(INVALID_ROWS["acme_legacy_export.csv"])
        - len(SKIPPED_ROWS["acme_legacy_export.csv"])
    )
    assert [c.status_code for c in created] == [201] * expected_ok


def test_add_users_asks_only_new_emails():
    asked: list[str] = []

    class Directory:
        async def list_organizations(self) -> list[dict[str, Any]]:
            return []

        async def find_user(self, email: str) -> dict[str, Any] | None:
            asked.append(email)
            return {"id": "u-1"} if email == "a@x.org" else None

    async def scenario() -> Lookups:
        first = await add_users(Lookups(), Directory(), ["A@x.org", "b@x.org"])
        return await add_users(first, Directory(), ["a@x.org", "b@x.org", "c@x.org"])

    lookups = asyncio.run(scenario())
    assert sorted(asked) == ["a@x.org", "b@x.org", "c@x.org"]
    assert dict(lookups.users) == {"a@x.org": "u-1"}
    assert lookups.unknown_users == frozenset({"b@x.org", "c@x.org"})


@pytest.mark.parametrize(
    "payload",
    [
        {
            "organizationId": "g",
            "name": "Global",
            "children": [
                {
                    "organizationId": "e",
                    "externalId": "ORG-EMEA",
                    "name": "EMEA",
                    "children": [{"organizationId": "f", "name": "France"}],
                }
            ],
        },
        [
            {
                "organizationId": "g",
                "name": "Global",
                "children": [
                    {
                        "organizationId": "e",
                        "externalId": "ORG-EMEA",
                        "name": "EMEA",
                        "children": [{"organizationId": "f", "name": "France"}],
                    }
                ],
            }
        ],
        [
            {"organizationId": "f", "name": "France", "parentOrganizationId": "e"},
            {"organizationId": "g", "name": "Global"},
            {
                "organizationId": "e",
                "externalId": "ORG-EMEA",
                "name": "EMEA",
                "parentOrganizationId": "g",
            },
        ],
    ],
    ids=["one-root", "list-of-roots", "flat-with-parents"],
)
def test_organization_tree_shapes(payload: Any):
    records = {r.id: (r.external_id, r.name, r.path) for r in organizations_from_tree(payload)}
    assert records == {
        "g": (None, "Global", "Global"),
        "e": ("ORG-EMEA", "EMEA", "Global/EMEA"),
        "f": (None, "France", "Global/EMEA/France"),
    }


def test_offline_files_and_overrides(tmp_path: Path):
    mapping = load_mapping(REPO / "mappings" / "incidents_two_sheets.yaml")
    lookups = asyncio.run(fetch_lookups(mapping, None))
    assert len(lookups.organizations) == 9  # from the mapping's own lookups: entry
    other = tmp_path / "orgs.csv"
    other.write_text("ID,Name,ExternalId\nx-1,Solo,ORG-SOLO\n", encoding="utf-8")
    overridden = asyncio.run(fetch_lookups(mapping, None, offline={"organizations": other}))
    assert [(o.id, o.name, o.path, o.external_id) for o in overridden.organizations] == [
        ("x-1", "Solo", "Solo", "ORG-SOLO")
    ]


@pytest.mark.parametrize(
    ("kind", "text", "line", "message"),
    [
        ("organizations", "id,title\n", 1, r"needs the column\(s\) name"),
        ("users", "email,id\na@x.org,\n", 2, "id is empty"),
    ],
    ids=["missing-column", "empty-cell"],
)
def test_bad_offline_file(tmp_path: Path, kind: str, text: str, line: int, message: str):
    from importer.errors import MappingError

    path = tmp_path / f"{kind}.csv"
    path.write_text(text, encoding="utf-8")
    probe = load_mapping(REPO / "mappings" / "legacy_incidents.yaml")
    with pytest.raises(MappingError, match=message) as caught:
        asyncio.run(fetch_lookups(probe, None, offline={kind: path}))
    assert caught.value.line == line


def test_register_needed_without_offline_file():
    from importer.errors import ConfigError

    mapping = load_mapping(REPO / "mappings" / "acme_legacy_export.yaml")
    with pytest.raises(ConfigError, match="looks up organizations"):
        asyncio.run(fetch_lookups(mapping, None))
    lookups = asyncio.run(fetch_lookups(mapping, None, offline=OFFLINE))
    assert lookups.users["alice.martin@example.com"] == "bde33237-912d-4bbe-89f4-1f74000b13d3"
