"""The audit manifest: written, read back, hashes checked against hashlib."""

from __future__ import annotations

import hashlib
import json
import platform
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

import importer
from importer.errors import ConfigError, ReadError
from importer.report.manifest import file_sha256, write_manifest


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "csv": _write(tmp_path / "log.csv", b"Ref,Title\nT-1,Lost laptop\n"),
        "xlsx": _write(tmp_path / "old.xlsx", bytes(range(256)) * 100),
        "mapping": _write(tmp_path / "map.yaml", b"version: 1\n"),
        "results": _write(tmp_path / "results.csv", b"row,status\n2,created\n"),
    }


def test_a_manifest_reads_back_with_hashes_that_match_hashlib(tmp_path, files, monkeypatch):
    monkeypatch.setenv("ONETRUST_CLIENT_SECRET", "env-secret-value")
    started = datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
    path = tmp_path / "out" / "manifest.json"
    write_manifest(
        path,
        inputs=[files["csv"], files["xlsx"]],
        mapping=files["mapping"],
        started_at=started,
        ended_at=started + timedelta(seconds=90, milliseconds=250),
        counts={"created": 1, "failed": 0},
        results_file=files["results"],
        exit_code=0,
        extra={
            "ledger": tmp_path / "l.sqlite",
            "run_id": 7,
            "client_secret": "x",
            "n": ["env-secret-value"],
        },
        argv=["incident-import", "run", "log.csv", "--client-secret", "opt-secret-value"],
    )

    manifest = json.loads(path.read_text(encoding="utf-8"))
    for record, source in [
        (manifest["inputs"][0], files["csv"]),
        (manifest["inputs"][1], files["xlsx"]),
        (manifest["mapping"], files["mapping"]),
        (manifest["results_file"], files["results"]),
    ]:
        assert record["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
        assert (record["size"], record["name"]) == (len(source.read_bytes()), source.name)
    assert manifest["tool"] == {"name": "incident-import", "version": importer.__version__}
    assert manifest["python"] == platform.python_version()
    assert manifest["command"] == ["incident-import", "run", "log.csv", "--client-secret", "***"]
    assert (manifest["started_at"], manifest["ended_at"]) == (
        "2024-05-01T12:00:00.000Z", "2024-05-01T12:01:30.250Z"
    )  # fmt: skip
    assert manifest["duration_seconds"] == 90.25
    assert (manifest["counts"], manifest["exit_code"]) == ({"created": 1, "failed": 0}, 0)
    assert manifest["extra"] == {
        "ledger": str(tmp_path / "l.sqlite"), "run_id": 7, "client_secret": "***", "n": ["***"]
    }  # fmt: skip
    text = path.read_text(encoding="utf-8")
    assert "opt-secret-value" not in text and "env-secret-value" not in text
    assert [p.name for p in path.parent.iterdir()] == ["manifest.json"]  # no temporary file left


def test_file_sha256_streams_in_chunks(tmp_path):
    data = bytes(range(256)) * 1000
    path = _write(tmp_path / "big.bin", data)
    assert file_sha256(path, chunk_size=1000) == hashlib.sha256(data).hexdigest()


def test_a_missing_input_is_a_read_error(tmp_path):
    with pytest.raises(ReadError, match=r"missing\.csv: cannot read for its checksum"):
        file_sha256(tmp_path / "missing.csv")


def test_an_unwritable_manifest_path_is_a_config_error(tmp_path, files):
    blocker = _write(tmp_path / "not-a-folder", b"")
    now = datetime.now(UTC)
    with pytest.raises(ConfigError, match="cannot write the manifest"):
        write_manifest(
            blocker / "manifest.json",
            inputs=[files["csv"]],
            mapping=files["mapping"],
            started_at=now,
            ended_at=now,
            counts={},
            results_file=files["results"],
            exit_code=1,
            extra={},
            argv=["incident-import"],
        )


def test_each_file_is_hashed_once_though_named_twice(tmp_path, monkeypatch):
    # results.csv is both `results_file` and one of `files_written`: at a million rows each
    # hash of it took 0.6 s.
    import importer.report.manifest as manifest_module

    results = tmp_path / "results.csv"
    results.write_text("file,row\n", encoding="utf-8")
    bodies = tmp_path / "would_send.jsonl"
    bodies.write_text("{}\n", encoding="utf-8")
    mapping = tmp_path / "m.yaml"
    mapping.write_text("version: 1\n", encoding="utf-8")
    hashed: list[Path] = []
    real = manifest_module.file_sha256

    def counting(path: Path, **kwargs: int) -> str:
        hashed.append(path)
        return real(path, **kwargs)

    monkeypatch.setattr(manifest_module, "file_sha256", counting)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    write_manifest(
        tmp_path / "manifest.json",
        inputs=[mapping],
        mapping=mapping,
        started_at=now,
        ended_at=now,
        counts={},
        results_file=results,
        exit_code=0,
        extra={},
        argv=["incident-import"],
        written=[results, bodies],
    )
    assert sorted(hashed) == sorted([mapping, results, bodies])
    written = json.loads((tmp_path / "manifest.json").read_text(encoding="utf-8"))
    assert written["results_file"]["sha256"] == hashlib.sha256(b"file,row\n").hexdigest()
    assert [f["sha256"] for f in written["files_written"]] == [
        hashlib.sha256(b"file,row\n").hexdigest(),
        hashlib.sha256(b"{}\n").hexdigest(),
    ]
