"""Crash safety and the lock across real processes: SIGKILL, a second run, flock release."""

from __future__ import annotations

import os
import selectors
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import importer
from importer.errors import LedgerLockedError
from importer.ledger import EntryState, Ledger

REPO = Path(importer.__file__).resolve().parents[1]

# The child opens the ledger, optionally marks a row as sending, says so, then obeys stdin:
# "close" closes the ledger, anything else (or EOF) exits.
CHILD = """
import sys
from pathlib import Path
from importer.ledger import Ledger

ledger = Ledger.open(Path(sys.argv[1]), command="incident-import run crash.csv --client-secret xyz")
if sys.argv[2] == "send":
    run_id = ledger.start_run({"input": "crash.csv"})
    body = {"name": "Lost laptop", "incidentTypeName": "Phishing"}
    ledger.mark_sending("K-1", fingerprint="f1", body=body, source="crash.csv row 2", run_id=run_id)
print("READY", flush=True)
for line in sys.stdin:
    if line.strip() == "close":
        ledger.close()
        print("CLOSED", flush=True)
    else:
        break
"""


class Child:
    """A helper process holding a ledger; it reads commands on stdin."""

    def __init__(self, ledger_path: Path, mode: str) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(ledger_path), mode],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )

    @property
    def pid(self) -> int:
        return self.proc.pid

    def expect(self, word: str, timeout: float = 20) -> None:
        assert self.proc.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.proc.stdout, selectors.EVENT_READ)
        if not selector.select(timeout):
            pytest.fail(f"child did not say {word} within {timeout}s")
        line = self.proc.stdout.readline().strip()
        if line != word:
            assert self.proc.stderr is not None
            pytest.fail(f"child said {line!r}, not {word}: {self.proc.stderr.read()}")

    def tell(self, command: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(command + "\n")
        self.proc.stdin.flush()

    def kill(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=20)
        assert self.proc.returncode == -signal.SIGKILL


@pytest.fixture
def spawn() -> Iterator[Callable[[Path, str], Child]]:
    """Start a child holding the ledger (mode "send" also marks a row); all are reaped after."""
    started: list[Child] = []

    def start(ledger_path: Path, mode: str) -> Child:
        child = Child(ledger_path, mode)
        started.append(child)
        child.expect("READY")
        return child

    yield start
    for child in started:
        if child.proc.poll() is None:
            child.kill()
        for stream in (child.proc.stdin, child.proc.stdout, child.proc.stderr):
            if stream:
                stream.close()


def test_sigkill_right_after_mark_sending_leaves_the_row_sending(tmp_path, spawn):
    path = tmp_path / "tenant.sqlite"
    child = spawn(path, "send")
    child.kill()
    # The row must come back from the write-ahead log: nothing checkpointed it into the file.
    assert Path(f"{path}-wal").stat().st_size > 0

    with Ledger.open(path, command="incident-import run crash.csv") as ledger:
        entry = ledger.get_many(["K-1"])["K-1"]
        assert (entry.state, entry.attempts, entry.source) == (
            EntryState.SENDING, 1, "crash.csv row 2"
        )  # fmt: skip
        assert [e.key for e in ledger.entries_in({EntryState.SENDING})] == ["K-1"]


def test_a_second_opener_is_told_which_process_holds_the_ledger(tmp_path, spawn):
    path = tmp_path / "tenant.sqlite"
    child = spawn(path, "hold")

    with pytest.raises(LedgerLockedError) as raised:
        Ledger.open(path, command="incident-import run second.csv")

    message = raised.value.message
    assert f"is in use by pid {child.pid} on {socket.gethostname()} since " in message
    assert message.endswith("incident-import run crash.csv --client-secret '***'")
    assert "xyz" not in message


def test_the_lock_is_released_when_the_holder_closes_the_ledger(tmp_path, spawn):
    path = tmp_path / "tenant.sqlite"
    child = spawn(path, "hold")
    child.tell("close")
    child.expect("CLOSED")

    assert child.proc.poll() is None  # still alive, but no longer holding the ledger
    with Ledger.open(path, command="incident-import run next.csv") as ledger:
        assert ledger.get_many(["K-1"]) == {}


def test_the_lock_is_released_when_the_holder_is_killed(tmp_path, spawn):
    path = tmp_path / "tenant.sqlite"
    child = spawn(path, "hold")
    child.kill()

    with Ledger.open(path, command="incident-import run next.csv"):
        pass


def test_the_lock_is_exclusive_within_one_process_too(tmp_path):
    path = tmp_path / "tenant.sqlite"
    with (
        Ledger.open(path, command="incident-import run a.csv"),
        pytest.raises(LedgerLockedError, match=f"pid {os.getpid()} .*: incident-import run a.csv"),
    ):
        Ledger.open(path, command="incident-import run b.csv")
    with Ledger.open(path, command="incident-import run b.csv"):
        pass
