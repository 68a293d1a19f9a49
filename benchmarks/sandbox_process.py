"""A sandbox register in its own process, so a client measured against it does not share a GIL
with the server: `with sandbox_process() as sb: ...` (`sb.base_url`, `client_id`, ...).

Run as `python -m benchmarks.sandbox_process`, it prints one JSON line with the URL and the
throwaway credentials of this sandbox, then serves until its stdin closes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from benchmarks.measure import REPO, python


@dataclass
class RemoteSandbox:
    base_url: str
    client_id: str
    client_secret: str


@contextmanager
def sandbox_process() -> Iterator[RemoteSandbox]:
    child = subprocess.Popen(
        python("-m", "benchmarks.sandbox_process"),
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        yield RemoteSandbox(**json.loads(child.stdout.readline()))
    finally:
        child.stdin.close()
        child.wait(timeout=30)


def main() -> None:
    from benchmarks.sending import UNLIMITED
    from importer.sandbox import running_sandbox

    with running_sandbox(UNLIMITED) as sb:
        line = {"base_url": sb.base_url, "client_id": sb.client_id}
        print(json.dumps({**line, "client_secret": sb.client_secret}), flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    main()
