"""Incidents land in the stage their row names: moves after creates, re-runs, refusals, dry runs."""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from e2e_helpers import SIMPLE_MAPPING, incident_row, read_results, run_args

from importer.ledger import Ledger
from importer.sandbox import Faults, SandboxConfig, running_sandbox

STAGE_MAPPING = SIMPLE_MAPPING.replace("key: [Ref]\n", "key: [Ref]\nstage: Stage\n")
KNOWN = "stages: [New, Investigating, Remediating, Closed, Notifying]\n"
COLUMNS = ["Ref", "Title", "Details", "Type", "Org", "Occurred", "Stage"]


def _mapping(tmp_path: Path, text: str = STAGE_MAPPING, name: str = "test-log") -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _sheet(path: Path, stages: list[str], **overrides: str) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fp:
        writer = csv.DictWriter(fp, fieldnames=COLUMNS)
        writer.writeheader()
        for n, stage in enumerate(stages):
            writer.writerow({**incident_row(n, Type="Phishing", **overrides), "Stage": stage})
    return path


def _run(cli, register, sheet: Path, mapping: Path, tmp_path: Path, *extra: str):
    result = cli(run_args(sheet, mapping, tmp_path, "--log-format", "json", *extra), register)
    counts = json.loads(result.stdout)["counts"]
    return result, Counter({k: v for k, v in counts.items() if v})


def _latest_results(tmp_path: Path) -> list[dict[str, str]]:
    latest = max((tmp_path / "reports").iterdir(), key=lambda p: p.stat().st_mtime_ns)
    with (latest / "results.csv").open(encoding="utf-8") as fp:
        return list(csv.DictReader(fp))


def _stages_by_name(register) -> dict[str, str]:
    return {i["name"]: i["incidentStageName"] for i in register.incidents()}


def test_rows_land_in_three_different_stages(tmp_path, register, cli):
    sheet = _sheet(tmp_path / "log.csv", ["Closed", "Investigating", "Remediating", "", "Closed"])

    result, counts = _run(cli, register, sheet, _mapping(tmp_path), tmp_path)

    assert result.exit_code == 0, result.stderr
    assert counts == {"created": 5}
    assert _stages_by_name(register) == {
        "Test incident 0": "Closed",
        "Test incident 1": "Investigating",
        "Test incident 2": "Remediating",
        "Test incident 3": "New",  # no stage named: it stays where the register starts it
        "Test incident 4": "Closed",
    }
    closed = [i for i in register.incidents() if i["incidentStageName"] == "Closed"]
    assert {i["incidentStatus"] for i in closed} == {"CLOSED"}
    lines = read_results(tmp_path / "reports")
    assert [line["stage"] for line in lines] == [
        "Closed",
        "Investigating",
        "Remediating",
        "",
        "Closed",
    ]
    assert all(line["decided_at"].endswith("Z") for line in lines)


def test_a_rerun_moves_a_row_whose_stage_changed_and_leaves_the_rest(tmp_path, register, cli):
    mapping = _mapping(tmp_path)
    sheet = _sheet(tmp_path / "log.csv", ["Investigating", "Closed"])
    _run(cli, register, sheet, mapping, tmp_path)
    _sheet(sheet, ["Closed", "Closed"])  # the legacy tool closed the first one since

    result, counts = _run(cli, register, sheet, mapping, tmp_path)
    again, again_counts = _run(cli, register, sheet, mapping, tmp_path)

    assert result.exit_code == 0 and counts == {"already imported": 2}
    lines = _latest_results(tmp_path)
    assert [line["stage"] for line in lines] == ["Closed", "Closed"]
    assert again.exit_code == 0 and again_counts == {"already imported": 2}
    assert len(register.incidents()) == 2
    assert set(_stages_by_name(register).values()) == {"Closed"}


def test_an_unknown_stage_is_invalid_in_a_dry_run_and_a_real_run_when_stages_are_listed(
    tmp_path, register, cli
):
    mapping = _mapping(tmp_path, STAGE_MAPPING + KNOWN)
    sheet = _sheet(tmp_path / "log.csv", ["Closed", "Closd"])

    dry, dry_counts = _run(cli, register, sheet, mapping, tmp_path, "--dry-run")
    dry_lines = _latest_results(tmp_path)
    real, real_counts = _run(cli, register, sheet, mapping, tmp_path)

    assert dry.exit_code == 1 and dry_counts == {"would create": 1, "invalid": 1}
    assert "column 'Stage' (stage) value 'Closd'" in dry_lines[1]["message"]
    assert "did you mean 'Closed'" in dry_lines[1]["message"]
    assert "would move to stage Closed" in dry_lines[0]["message"]
    assert real.exit_code == 1 and real_counts == {"created": 1, "invalid": 1}
    assert [i["name"] for i in register.incidents()] == ["Test incident 0"]


def test_a_stage_the_register_refuses_is_reported_with_the_incident_id(tmp_path, register, cli):
    mapping = _mapping(tmp_path)  # no stage list: only the register can tell
    sheet = _sheet(tmp_path / "log.csv", ["Closed", "Closd", "Notifying"])

    result, counts = _run(cli, register, sheet, mapping, tmp_path)

    assert result.exit_code == 1
    assert counts == {"created": 1, "stage not reached": 2}
    lines = read_results(tmp_path / "reports")
    by_name = {i["name"]: i for i in register.incidents()}
    for line, name in ((lines[1], "Test incident 1"), (lines[2], "Test incident 2")):
        incident = by_name[name]
        assert line["status"] == "stage not reached"
        assert line["incident_id"] == incident["incidentId"]
        assert f"incident {incident['incidentId']} exists but is not in stage" in line["message"]
        assert "column 'Stage' (stage)" in line["message"]
        assert line["stage"] == "New" == incident["incidentStageName"]
    assert "not in workflow 'Incident Workflow'" in lines[2]["message"]
    (folder,) = (tmp_path / "reports").iterdir()
    failed = (folder / "failed_rows.csv").read_text(encoding="utf-8")
    assert "stage not reached" in failed and "Closd" in failed
    assert len(register.incidents()) == 3


def test_a_move_that_may_have_happened_is_read_back_not_repeated_blindly(tmp_path, register, cli):
    """Every create and move is stored, then answered 500: creates are found by searching,
    moves retried; the register refuses the repeated move, and the read-back shows it done."""
    sheet = _sheet(tmp_path / "log.csv", ["Closed", "Remediating"])
    register.set_faults(fail_after_commit=1.0)

    result, counts = _run(cli, register, sheet, _mapping(tmp_path), tmp_path)

    assert result.exit_code == 0, result.stdout
    assert counts == {"created": 2}
    assert _stages_by_name(register) == {
        "Test incident 0": "Closed",
        "Test incident 1": "Remediating",
    }
    assert register.counts()["duplicates"] == 0


def test_a_move_that_failed_is_finished_by_the_next_run(tmp_path, register, cli):
    mapping = _mapping(tmp_path)
    sheet = _sheet(tmp_path / "log.csv", ["Closed", "Investigating"])
    # Created by an earlier version of the mapping, without stages (same name, same keys).
    _run(cli, register, sheet, _mapping(tmp_path, SIMPLE_MAPPING, name="before"), tmp_path)
    register.set_faults(unavailable=1.0, unavailable_retry_after=0.01)

    failed, failed_counts = _run(cli, register, sheet, mapping, tmp_path)
    failed_lines = _latest_results(tmp_path)
    register.set_faults(unavailable=0.0)
    finished, finished_counts = _run(cli, register, sheet, mapping, tmp_path)

    assert failed.exit_code == 1 and failed_counts == {"stage not reached": 2}
    assert "the next run moves it" in failed_lines[0]["message"]
    assert finished.exit_code == 0 and finished_counts == {"already imported": 2}
    assert _stages_by_name(register) == {
        "Test incident 0": "Closed",
        "Test incident 1": "Investigating",
    }
    with Ledger.open(tmp_path / "ledger.sqlite", command="test") as ledger:
        steps = ledger.stages.get_many(["test-log:T-00000", "test-log:T-00001"])
        notes = [e.note for e in ledger.history("test-log:T-00000")]
    assert {s.state.value for s in steps.values()} == {"moved"}
    assert [n for n in notes if n and n.startswith("stage")] == [
        "stage moving to Closed",
        "stage failed: Closed",
        "stage moving to Closed",
        "stage moved: Closed",
    ]


@pytest.mark.parametrize("listed_in", ["mapping", "lookup-file", "lookup-option"])
def test_stage_names_from_a_lookup_file_catch_typos_like_inline_ones(
    tmp_path, register, cli, listed_in
):
    text, extra = STAGE_MAPPING + KNOWN, ["--dry-run"]
    (tmp_path / "stages.csv").write_text("name\nNew\nClosed\n", encoding="utf-8")
    if listed_in == "lookup-file":
        text = STAGE_MAPPING + "lookups: {stages: stages.csv}\n"
    elif listed_in == "lookup-option":
        text = STAGE_MAPPING
        extra.append(f"--lookup=stages={tmp_path / 'stages.csv'}")
    sheet = _sheet(tmp_path / "log.csv", ["Closed", "closed"])

    result, counts = _run(cli, register, sheet, _mapping(tmp_path, text), tmp_path, *extra)

    assert result.exit_code == 1 and counts == {"would create": 1, "invalid": 1}
    assert register.incidents() == []


def _spawn(sheet: Path, mapping: Path, tmp_path: Path, register, *extra: str):

    env = {k: v for k, v in os.environ.items() if not k.startswith("ONETRUST_")}
    env.update(
        ONETRUST_BASE_URL=register.base_url,
        ONETRUST_CLIENT_ID=register.client_id,
        ONETRUST_CLIENT_SECRET=register.client_secret,
    )
    args = run_args(sheet, mapping, tmp_path, "--log-format", "json", *extra)
    command = [sys.executable, "-m", "importer", *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


@pytest.mark.slow
def test_chaos_sigkill_between_create_and_move_ends_once_and_in_stage(tmp_path, cli):
    """Kill the importer again and again while creates and moves fail before and after they
    are stored: in the end every incident exists once and sits in its row's stage."""

    wanted = [("Closed", "Investigating", "Remediating")[n % 3] for n in range(60)]
    sheet = _sheet(tmp_path / "log.csv", wanted)
    mapping = _mapping(tmp_path)
    faults = Faults(
        fail_before_commit=0.08,
        fail_after_commit=0.08,
        drop_after_commit=0.08,
        latency_ms=20,
        random_seed=7,
    )
    chance = random.Random(3)
    with running_sandbox(SandboxConfig(faults=faults)) as register:
        for _ in range(4):
            process = _spawn(sheet, mapping, tmp_path, register, "--concurrency", "4")
            deadline = time.monotonic() + 60
            target = len(register.incidents()) + chance.randint(4, 10)
            while len(register.incidents()) < min(target, 60) and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(chance.uniform(0.0, 0.2))  # often lands between a create and its move
            process.send_signal(signal.SIGKILL)
            process.wait()
        stages_at_kill = Counter(_stages_by_name(register).values())
        register.set_faults(fail_before_commit=0, fail_after_commit=0, drop_after_commit=0)
        final, counts = _run(cli, register, sheet, mapping, tmp_path)
        stored = register.incidents()
        duplicates = register.counts()["duplicates"]

    assert stages_at_kill["New"] > 0, "no kill landed between a create and its move"
    assert final.exit_code == 0, final.stdout
    assert counts["already imported"] + counts["created"] == 60
    assert duplicates == 0 and len(stored) == 60
    by_name = {i["name"]: i["incidentStageName"] for i in stored}
    assert by_name == {f"Test incident {n}": stage for n, stage in enumerate(wanted)}


def test_the_quickstart_sample_lands_its_history_closed(tmp_path, register, cli):
    repo = Path(__file__).resolve().parents[2]
    sheet = repo / "samples" / "legacy_incidents.csv"
    mapping = repo / "mappings" / "legacy_incidents.yaml"

    result = cli(run_args(sheet, mapping, tmp_path, "--log-format", "json"), register)
    summary = json.loads(result.stdout)
    stored = Counter(i["incidentStageName"] for i in register.incidents())

    assert result.exit_code == 1  # the seven rows that are wrong on purpose
    assert summary["counts"]["created"] == 43
    assert summary["stages"] == {"Closed": 30, "Investigating": 10, "New": 3}
    assert stored == summary["stages"]
    closed = [i for i in register.incidents() if i["incidentStageName"] == "Closed"]
    assert {i["incidentStatus"] for i in closed} == {"CLOSED"}


def test_moves_are_paced_on_their_own_endpoints_quota(tmp_path, cli):
    """A re-run whose rows all need a move sends them in a burst unless they are paced: the
    register allows 6 requests a second per endpoint, the importer 5/s, so none is refused."""
    sheet = _sheet(tmp_path / "log.csv", ["Closed", "Investigating"] * 6)
    before = _mapping(tmp_path, SIMPLE_MAPPING, name="before")
    with running_sandbox(SandboxConfig(rate_limit=6, window_seconds=1.0)) as register:
        _run(cli, register, sheet, before, tmp_path, "--rate", "5/s")
        result, counts = _run(cli, register, sheet, _mapping(tmp_path), tmp_path, "--rate", "5/s")
        traffic = register.counts()
        stages = Counter(_stages_by_name(register).values())

    moves = "POST /api/incident/v1/assignments/entities/{incidentId}/stage"
    assert result.exit_code == 0 and counts == {"already imported": 12}
    assert stages == {"Closed": 6, "Investigating": 6}
    assert json.loads(result.stdout)["throttled_429"] == 0
    assert traffic["rate_limited"] == {}
    assert traffic["requests"][moves] == 12


def test_a_changed_row_whose_stage_changed_is_moved_and_reported_changed(tmp_path, register, cli):
    mapping = _mapping(tmp_path)
    sheet = _sheet(tmp_path / "log.csv", ["Investigating", "Investigating"])
    _run(cli, register, sheet, mapping, tmp_path)
    _sheet(sheet, ["Closed", "Investigating"], Details="edited in the legacy tool")

    preview, preview_counts = _run(cli, register, sheet, mapping, tmp_path, "--dry-run")
    preview_lines = _latest_results(tmp_path)
    result, counts = _run(cli, register, sheet, mapping, tmp_path)
    lines = _latest_results(tmp_path)
    updated, updated_counts = _run(cli, register, sheet, mapping, tmp_path, "--update-changed")

    assert preview.exit_code == 0 and preview_counts == {"changed since import": 2}
    assert "would move to stage Closed" in preview_lines[0]["message"]
    assert preview_lines[1]["stage"] == "Investigating"
    assert "would move" not in preview_lines[1]["message"]
    assert result.exit_code == 0 and counts == {"changed since import": 2}
    assert [line["stage"] for line in lines] == ["Closed", "Investigating"]
    assert "moved to stage Closed" in lines[0]["message"]
    assert updated.exit_code == 0 and updated_counts == {"updated": 2}
    incidents = {i["name"]: i for i in register.incidents()}
    assert incidents["Test incident 0"]["incidentStageName"] == "Closed"  # a PUT keeps it
    assert incidents["Test incident 0"]["description"] == "edited in the legacy tool"
    assert len(incidents) == 2


def test_ctrl_c_during_moves_never_reports_a_created_incident_as_maybe_created(tmp_path, cli):
    """Rows the ledger knows as created are reported with their id (created, or stage not
    reached when their move was cut short), never `unknown`; a re-run finishes every move."""
    sheet = _sheet(tmp_path / "log.csv", ["Closed"] * 30)
    mapping = _mapping(tmp_path)
    with running_sandbox(SandboxConfig(faults=Faults(latency_ms=60))) as register:
        process = _spawn(sheet, mapping, tmp_path, register, "--concurrency", "3")
        deadline = time.monotonic() + 60
        while len(register.incidents()) < 6 and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 130
        lines = read_results(tmp_path / "reports")
        with Ledger.open(tmp_path / "ledger.sqlite", command="test") as ledger:
            entries = ledger.get_many(f"test-log:T-{n:05d}" for n in range(30))
        created = {k for k, e in entries.items() if e.state.value == "created"}
        final, counts = _run(cli, register, sheet, mapping, tmp_path)
        stages = Counter(_stages_by_name(register).values())

    assert len(lines) == 30 and created
    by_key = {line["key"]: line for line in lines}
    for key in created:
        assert by_key[key]["status"] in ("created", "stage not reached"), by_key[key]
        assert by_key[key]["incident_id"] == entries[key].incident_id
    assert final.exit_code == 0 and stages == {"Closed": 30}
    assert counts["already imported"] + counts["created"] == 30


def test_refused_moves_count_towards_max_failures(tmp_path, register, cli):
    sheet = _sheet(tmp_path / "log.csv", ["Closd"] * 12)

    result, counts = _run(cli, register, sheet, _mapping(tmp_path), tmp_path, "--max-failures", "2")

    assert result.exit_code == 4
    assert counts["stage not reached"] >= 3
    assert json.loads(result.stdout)["aborted"].startswith("more than 2 rows failed")
