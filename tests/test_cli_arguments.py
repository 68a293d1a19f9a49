"""An argument that is not UTF-8 text is refused in one line before anything is read or written.

A file name in another encoding, or bytes typed into an option (`--sheet`, `--log-format`,
`--acknowledged`, `init-mapping FILE`...), reached reports and log lines as lone surrogates
and ended in internal errors; `--report-dir` created its folders first (a breaker's finds).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest


def _run(*arguments: bytes, cwd: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [os.fsencode(sys.executable), b"-m", b"importer", *arguments],
        cwd=cwd,
        capture_output=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "arguments",
    [
        [b"run", b"log.csv", b"-m", b"m.yaml", b"--dry-run", b"--sheet", b"\xff"],
        [b"run", b"log.csv", b"-m", b"m.yaml", b"--dry-run", b"--log-format", b"\xff"],
        [b"run", b"log.csv", b"-m", b"m.yaml", b"--dry-run", b"--acknowledged", b"ack\xe9.txt"],
        [b"run", b"log.csv", b"-m", b"m.yaml", b"--dry-run", b"--report-dir", b"new\xe9/x"],
        [b"validate", b"caf\xe9.csv", b"-m", b"m.yaml"],
        [b"init-mapping", b"caf\xe9.csv"],
        [b"init-mapping", b"log.csv", b"--sheet", b"\xed\xa0\x80"],
    ],
)
def test_a_non_utf8_argument_is_one_line_exit_2_and_nothing_is_written(
    tmp_path: Path, arguments: list[bytes]
) -> None:
    (tmp_path / "log.csv").write_text("Title\nx\n", encoding="utf-8")
    (tmp_path / "m.yaml").write_text(
        "version: 1\nname: t\nfields:\n  name: {column: Title}\n", encoding="utf-8"
    )
    (tmp_path / os.fsdecode(b"caf\xe9.csv")).write_text("Title\nx\n", encoding="utf-8")
    (tmp_path / os.fsdecode(b"ack\xe9.txt")).write_text("", encoding="utf-8")
    before = sorted(os.listdir(tmp_path))

    done = _run(*arguments, cwd=tmp_path)

    assert done.returncode == 2, done.stderr
    lines = done.stderr.decode("utf-8").splitlines()  # the message itself is UTF-8
    assert lines[0].startswith("Error: argument ") and "is not valid UTF-8 text" in lines[0]
    assert "\\x" in lines[0] and "internal error" not in done.stderr.decode()
    assert done.stdout == b"" and sorted(os.listdir(tmp_path)) == before
