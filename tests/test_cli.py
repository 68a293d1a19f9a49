"""The command line: exit codes, one-line errors, structured logs, and no secret in any output."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from e2e_helpers import incident_row, run_args, write_sheet

from importer.mapping import load_mapping
from importer.sandbox import SandboxConfig, running_sandbox

ROOT = Path(__file__).resolve().parent.parent


def _one_line_error(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.startswith("Error:")]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


@pytest.mark.parametrize(
    ("mapping_text", "expected"),
    [
        ("version: 1\nfields:\n  name: Title\n  nmae: Title\n", ":4:"),
        ("version: 1\nfields:\n  name: {colum: Title}\n", ":3:"),
        ("version: 1\nfields: [\n", "test-log.yaml"),
    ],
    ids=["unknown-field", "unknown-directive", "not-yaml"],
)
def test_a_mapping_that_does_not_load_is_one_line_with_its_line_and_exit_2(
    tmp_path, cli, mapping_text, expected
):
    mapping = tmp_path / "test-log.yaml"
    mapping.write_text(mapping_text, encoding="utf-8")
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(1)])

    result = cli(run_args(sheet, mapping, tmp_path, "--dry-run"))

    assert result.exit_code == 2
    assert expected in _one_line_error(result.stderr)


def test_unknown_field_suggests_the_nearest_name(tmp_path, cli):
    mapping = tmp_path / "test-log.yaml"
    mapping.write_text("version: 1\nfields:\n  name: Title\n  nmae: Title\n", encoding="utf-8")
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(1)])

    result = cli(run_args(sheet, mapping, tmp_path, "--dry-run"))

    assert "did you mean 'name'" in result.stderr


@pytest.mark.parametrize(
    ("sheet_bytes", "message"),
    [(None, "file not found"), (b"PK\x03\x04 not really a workbook", "log.xlsx")],
    ids=["missing", "corrupt-xlsx"],
)
def test_a_bad_input_file_is_one_line_and_exit_2(
    tmp_path, simple_mapping, cli, sheet_bytes, message
):
    sheet = tmp_path / "log.xlsx"
    if sheet_bytes is not None:
        sheet.write_bytes(sheet_bytes)

    result = cli(run_args(sheet, simple_mapping, tmp_path, "--sandbox"))

    assert result.exit_code == 2
    assert message in _one_line_error(result.stderr)


def test_missing_credentials_name_the_variable(tmp_path, simple_mapping, cli):
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(1)])

    result = cli(run_args(sheet, simple_mapping, tmp_path))

    assert result.exit_code == 2
    assert "ONETRUST_" in _one_line_error(result.stderr)


def test_plain_http_is_refused_for_a_non_loopback_register(tmp_path, simple_mapping, cli, register):
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(1)])

    result = cli(
        run_args(sheet, simple_mapping, tmp_path, "--base-url", "http://example.com"), register
    )

    assert result.exit_code == 2
    assert "https" in _one_line_error(result.stderr)


def test_refused_credentials_exit_3_without_the_secret(tmp_path, simple_mapping, cli, register):
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(1)])
    wrong = SimpleNamespace(
        base_url=register.base_url, client_id=register.client_id, client_secret="wrong-secret-4711"
    )

    result = cli(run_args(sheet, simple_mapping, tmp_path), wrong)

    assert result.exit_code == 3
    assert "sandbox-client" in _one_line_error(result.stderr)
    assert "wrong-secret-4711" not in result.stderr + result.stdout


def test_more_failures_than_max_failures_aborts_with_exit_4_and_reports_every_row(
    tmp_path, simple_mapping, cli
):
    rows = [incident_row(n, Type="Not A Tenant Type") for n in range(6)]
    sheet = write_sheet(tmp_path / "log.csv", rows)
    with running_sandbox() as register:
        args = run_args(sheet, simple_mapping, tmp_path, "--max-failures", "2")
        result = cli([*args, "--log-format", "json"], register)
    summary = json.loads(result.stdout)

    assert result.exit_code == 4
    assert "--max-failures" in summary["aborted"]
    assert summary["rows"] == 6  # rejected before the stop, "not sent" after it: none lost


def test_json_logs_are_one_object_per_line_and_never_carry_the_secret(
    tmp_path, simple_mapping, cli
):
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(n) for n in range(5)])
    config = SandboxConfig(token_lifetime=1.0)
    with running_sandbox(config) as register:
        result = cli(
            run_args(sheet, simple_mapping, tmp_path, "--log-format", "json", "--verbose"), register
        )
        secret = register.client_secret

    assert result.exit_code == 0
    records = [json.loads(line) for line in result.stderr.splitlines() if line.strip()]
    assert records and all({"time", "level", "message"} <= set(r) for r in records)
    assert any(r.get("event") == "progress" for r in records)
    written = b"".join(p.read_bytes() for p in tmp_path.rglob("*") if p.is_file())
    for text in (result.stdout, result.stderr):
        assert secret not in text
    assert secret.encode() not in written


def test_schema_prints_the_json_schema_of_the_mapping_format(cli):
    result = cli(["schema"])

    schema = json.loads(result.stdout)
    assert result.exit_code == 0
    assert "fields" in schema["properties"]


def test_init_mapping_prints_a_mapping_that_loads(tmp_path, cli):
    result = cli(["init-mapping", str(ROOT / "samples" / "legacy_incidents.csv")])

    assert result.exit_code == 0
    path = tmp_path / "draft.yaml"
    path.write_text(result.stdout, encoding="utf-8")
    assert yaml.safe_load(result.stdout)["fields"]["name"]["column"] == "Title"
    assert load_mapping(path).columns_for("name") == ["Title"]


def test_python_dash_m_runs_the_same_cli():
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "importer", "version"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert done.stdout.strip() == __import__("importer").__version__


@pytest.mark.parametrize(
    "option",
    [["--rate", "fast"], ["--lookup", "colours=x.csv"], ["--max-failures", "-1"]],
    ids=["rate", "lookup", "max-failures"],
)
def test_a_bad_option_value_is_one_line_and_exit_2(tmp_path, simple_mapping, cli, option):
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(1)])

    result = cli(run_args(sheet, simple_mapping, tmp_path, "--dry-run", *option))

    assert result.exit_code == 2
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr


def test_a_register_url_that_answers_404_stops_with_exit_4(tmp_path, simple_mapping, cli, register):
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(1)])
    wrong = SimpleNamespace(
        base_url=register.base_url + "/not-the-api",
        client_id=register.client_id,
        client_secret=register.client_secret,
    )

    result = cli(run_args(sheet, simple_mapping, tmp_path), wrong)

    assert result.exit_code == 4
    _one_line_error(result.stderr)


def test_a_sheet_missing_a_mapped_column_stops_before_anything_is_sent(tmp_path, cli, register):
    import openpyxl

    workbook = openpyxl.Workbook()
    good = workbook.active
    good.title = "2023"
    good.append(["Ref", "Title", "Details", "Type", "Org", "Occurred"])
    good.append(["A-1", "Lost laptop", "d", "Phishing", "France", "2023-01-02 10:00"])
    bad = workbook.create_sheet("2024")
    bad.append(["Ref", "Title", "Details", "Type", "Occurred"])  # no Org column
    bad.append(["A-2", "Phish", "d", "Phishing", "2024-01-02 10:00"])
    workbook.save(tmp_path / "log.xlsx")
    mapping = tmp_path / "test-log.yaml"
    from e2e_helpers import SIMPLE_MAPPING

    mapping.write_text(SIMPLE_MAPPING, encoding="utf-8")

    result = cli(run_args(tmp_path / "log.xlsx", mapping, tmp_path), register)

    assert result.exit_code == 2
    line = _one_line_error(result.stderr)
    assert "sheet 2024" in line and "Org" in line
    assert register.incidents() == []


def test_the_same_key_in_two_files_is_caught_even_on_the_same_row_number(
    tmp_path, simple_mapping, cli, register
):
    first = write_sheet(tmp_path / "a.csv", [incident_row(1)])
    second = write_sheet(tmp_path / "b.csv", [incident_row(1, Title="Another title")])
    args = run_args(first, simple_mapping, tmp_path, "--log-format", "json")

    result = cli([*args[:2], str(second), *args[2:]], register)

    summary = json.loads(result.stdout)
    assert summary["counts"]["created"] == 1 and summary["counts"]["invalid"] == 1
    assert len(register.incidents()) == 1
