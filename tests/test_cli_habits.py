"""CLI habits: -h everywhere, switches as switches, a help line for every option, and a
refused connection named as such within seconds."""

from __future__ import annotations

import socket
import time
from types import SimpleNamespace
from typing import Any

import pytest
import typer.main
from e2e_helpers import incident_row, run_args, write_sheet

from importer.cli import app

# Every command the app has, so a command added later cannot escape these habits.
COMMANDS = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def _command(name: str) -> Any:
    """The command as typer builds it (typer bundles its own click)."""
    return typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]


@pytest.mark.parametrize("args", [[], *([c] for c in COMMANDS)], ids=["top", *COMMANDS])
def test_dash_h_shows_help_everywhere(cli, args):
    result = cli([*args, "-h"])

    assert result.exit_code == 0
    assert result.stdout.startswith("Usage: ")
    assert "-h, --help" in result.stdout


@pytest.mark.parametrize("name", COMMANDS)
def test_every_option_has_a_help_line_and_switches_have_no_negative_form(name):
    command = _command(name)
    options = [p for p in command.params if p.param_type_name == "option"]
    assert len(options) >= {"run": 15, "sandbox": 8, "init-mapping": 2}.get(name, 0)
    for param in options:
        if param.param_type_name == "option":
            assert param.help, f"{name} {param.opts} has no help line"
            assert not param.secondary_opts, f"{name} {param.opts}: a switch needs no --no- form"


def test_the_command_list_is_every_command():
    assert {"run", "validate", "sandbox", "init-mapping", "schema", "version"} <= set(COMMANDS)


@pytest.mark.parametrize("name", COMMANDS)
def test_every_value_shows_a_named_placeholder_not_a_python_type(cli, name):
    text = cli([name, "-h"]).stdout
    options = text.partition("Options:")[2]

    for leak in ("<str>", "<path>", "<list", "<int>", "<float>", "<bool>", "--no-"):
        assert leak not in options, f"{name} -h shows {leak!r}:\n{text}"
    assert "{files}" not in text  # arguments are named like run's: FILE


def test_switches_show_without_a_value_in_the_help(cli):
    text = cli(["run", "-h"]).stdout

    for switch in ("--dry-run", "--sandbox", "--update-changed", "--retry-failed"):
        (line,) = [ln for ln in text.splitlines() if ln.strip().startswith(switch)]
        assert line.split()[1][0].isupper(), line  # the help text follows, not a metavar
    assert "<bool>" not in text and "--no-" not in text


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])  # closed again on exit: connections are refused


def test_a_refused_connection_says_so_within_seconds(tmp_path, simple_mapping, cli):
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(1)])
    url = f"http://127.0.0.1:{_closed_port()}"
    nobody = SimpleNamespace(base_url=url, client_id="someone", client_secret="not-shown-anywhere")

    started = time.monotonic()
    result = cli(run_args(sheet, simple_mapping, tmp_path), nobody)
    took = time.monotonic() - started

    assert result.exit_code == 4
    assert f"Error: cannot connect to the register at {url}: connection refused" in result.stderr
    assert "token endpoint is failing" not in result.stderr
    assert "not-shown-anywhere" not in result.stderr
    assert took < 10


def test_a_register_that_never_answers_stops_the_run_at_the_first_timeout(
    tmp_path, simple_mapping, cli
):
    # A port that accepts connections (the kernel's backlog) and never answers a request: a
    # wrong port, a hung proxy. Before the first token, waiting out every retry (8 attempts of
    # --timeout each) would leave the operator looking at nothing for minutes.
    sheet = write_sheet(tmp_path / "log.csv", [incident_row(1)])
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        nobody = SimpleNamespace(base_url=url, client_id="someone", client_secret="not-shown")
        args = [*run_args(sheet, simple_mapping, tmp_path), "--timeout", "1"]

        started = time.monotonic()
        result = cli(args, nobody)
        took = time.monotonic() - started

    assert result.exit_code == 4
    assert f"Error: the register at {url} did not answer within 1 s" in result.stderr
    assert "token endpoint is failing" not in result.stderr
    assert took < 8
