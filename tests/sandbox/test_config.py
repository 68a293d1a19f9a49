"""Start-up settings: CLI text for rates and faults, loopback-only listening, foreground serve."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest

from importer.sandbox import (
    Faults,
    SandboxConfig,
    SandboxConfigError,
    parse_faults,
    parse_rate,
    serve,
)

REPO = Path(__file__).parents[2]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("1000/60s", (1000, 60.0)),
        ("1000/min", (1000, 60.0)),
        ("1000/minute", (1000, 60.0)),
        ("50/2s", (50, 2.0)),
        ("20/1s", (20, 1.0)),
        ("20/s", (20, 1.0)),
        ("100/0.5s", (100, 0.5)),
        ("200000/h", (200000, 3600.0)),
        (" 7 / 3 ", (7, 3.0)),
    ],
    ids=[
        "seconds",
        "min",
        "minute",
        "two-seconds",
        "one-second",
        "bare-unit",
        "fraction",
        "hour",
        "spaces",
    ],
)
def test_parse_rate(spec, expected):
    assert parse_rate(spec) == expected


@pytest.mark.parametrize(
    "spec",
    ["", "1000", "fast", "0/min", "10/0s", "10/min/2", "10/fortnight", "-5/min", "10/1.2.3s"],
    ids=[
        "empty",
        "no-window",
        "word",
        "zero-requests",
        "zero-window",
        "two-slashes",
        "bad-unit",
        "negative",
        "bad-number",
    ],
)
def test_parse_rate_refuses(spec):
    with pytest.raises(SandboxConfigError, match="bad rate"):
        parse_rate(spec)


def test_parse_faults():
    faults = parse_faults("fail_after_commit=0.1, latency_ms=20,random_seed=3")

    assert faults == Faults(fail_after_commit=0.1, latency_ms=20.0, random_seed=3)


def test_parse_faults_of_empty_text_is_no_faults():
    assert parse_faults("") == Faults()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("explode=1", "NAME one of"),
        ("fail_after_commit", "expected NAME=VALUE"),
        ("latency_ms=slow", "must be a number"),
        ("unavailable=2", "probability 0..1"),
        ("random_seed=1.5", "must be an integer"),
    ],
    ids=["unknown-knob", "no-value", "not-a-number", "probability-over-1", "seed-not-int"],
)
def test_parse_faults_refuses(spec, message):
    with pytest.raises(SandboxConfigError, match=message):
        parse_faults(spec)


@pytest.mark.parametrize(
    "kwargs",
    [{"rate_limit": 0}, {"window_seconds": 0}, {"hourly_limit": 1.5}, {"token_lifetime": -1}],
    ids=["zero-rate", "zero-window", "fractional-hourly", "negative-lifetime"],
)
def test_config_refuses_bad_values(kwargs):
    with pytest.raises(SandboxConfigError):
        SandboxConfig(**kwargs)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "example.com", "::"])
def test_serve_refuses_a_non_loopback_host(host):
    with pytest.raises(ValueError, match="loopback only"):
        serve(host=host, port=0, config=SandboxConfig(), seed=None, db=None)


def test_serve_reports_a_port_in_use():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        with pytest.raises(SandboxConfigError, match=f"cannot listen on 127.0.0.1:{port}"):
            serve(port=port, config=SandboxConfig(), seed=None, db=None)


def test_serve_runs_in_the_foreground_until_ctrl_c(tmp_path: Path):
    script = textwrap.dedent(
        """
        import sys
        from importer.sandbox import SandboxConfig, serve

        def ready(url):
            sys.stdout.write(url + "\\n")
            sys.stdout.flush()

        serve(port=0, config=SandboxConfig(), seed=None, db=None, on_ready=ready)
        sys.stdout.write("stopped\\n")
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        health = httpx.get(base_url + "/_sandbox/health", timeout=5)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=15)
    finally:
        process.kill()

    assert health.json() == {"status": "ok"}
    assert process.returncode == 0, stderr
    assert stdout.strip() == "stopped"
    assert "Traceback" not in stderr
