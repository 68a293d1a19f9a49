"""manifest.json says where the incidents went: register host, client id, ledger, files written."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from e2e_helpers import incident_row, run_args, write_sheet


def _manifest(tmp_path: Path) -> tuple[Path, dict]:
    (folder,) = (tmp_path / "reports").iterdir()
    return folder, json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def test_a_real_run_names_the_register_the_ledger_and_hashes_every_file_it_wrote(
    tmp_path, simple_mapping, register, cli
):
    rows = [incident_row(1), incident_row(2, Title="")]  # one invalid: failed_rows.csv too
    sheet = write_sheet(tmp_path / "log.csv", rows)

    result = cli(run_args(sheet, simple_mapping, tmp_path), register)
    folder, manifest = _manifest(tmp_path)

    assert result.exit_code == 1
    assert manifest["manifest_version"] == 2
    host = register.base_url.removeprefix("http://")
    assert manifest["register"] == {
        "host": host,
        "base_url": register.base_url,
        "client_id": register.client_id,
    }
    assert manifest["ledger"] == {"path": str((tmp_path / "ledger.sqlite").resolve())}
    written = {Path(f["path"]).name: f for f in manifest["files_written"]}
    assert set(written) == {"results.csv", "failed_rows.csv", "summary.json"}
    for name, record in written.items():
        data = (folder / name).read_bytes()
        assert record["sha256"] == hashlib.sha256(data).hexdigest(), name
        assert record["size"] == len(data)
    text = (folder / "manifest.json").read_text(encoding="utf-8")
    assert register.client_secret not in text


def test_a_dry_run_hashes_its_would_send_file(tmp_path, simple_mapping, register, cli, monkeypatch):
    import importer.report.manifest as manifest_module

    # Long rows and many: the writers' buffers flush several times before the end.
    rows = [incident_row(n, Details="é" * (n % 300)) for n in range(3000)]
    sheet = write_sheet(tmp_path / "log.csv", rows)
    read_back: list[str] = []
    real = manifest_module.file_sha256

    def counting(path: Path, **kwargs: int) -> str:
        read_back.append(path.name)
        return real(path, **kwargs)

    monkeypatch.setattr(manifest_module, "file_sha256", counting)

    result = cli(run_args(sheet, simple_mapping, tmp_path, "--dry-run"), register)
    folder, manifest = _manifest(tmp_path)

    assert result.exit_code == 0
    written = {Path(f["path"]).name: f for f in manifest["files_written"]}
    assert set(written) == {"results.csv", "would_send.jsonl", "summary.json"}
    for name, record in [*written.items(), ("results.csv", manifest["results_file"])]:
        data = (folder / name).read_bytes()
        assert record["sha256"] == hashlib.sha256(data).hexdigest(), name
        assert record["size"] == len(data)
    # The two files that grow with the rows were hashed as written, not read back.
    assert "results.csv" not in read_back and "would_send.jsonl" not in read_back
    assert manifest["register"]["client_id"] == register.client_id


def test_validate_hashes_its_validation_report_too(tmp_path, simple_mapping, cli):
    from validate_helpers import ORGANIZATIONS, validate_args

    sheet = write_sheet(tmp_path / "log.csv", [incident_row(1), incident_row(2, Title="")])
    lookup = f"organizations={ORGANIZATIONS}"

    result = cli(validate_args(sheet, simple_mapping, tmp_path, "--lookup", lookup))
    folder, manifest = _manifest(tmp_path)

    assert result.exit_code == 1
    written = {Path(f["path"]).name: f for f in manifest["files_written"]}
    assert {"problems.csv", "validation.xlsx", "report.html", "failed_rows.csv"} <= set(written)
    for name, record in written.items():  # closed before hashing: the hash is of the final file
        assert record["sha256"] == hashlib.sha256((folder / name).read_bytes()).hexdigest(), name
