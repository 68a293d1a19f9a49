"""`python -m benchmarks.spawn RESULT COMMAND...`: run COMMAND and write its peak RSS (KiB) to
the file RESULT.

Linux carries a process's RSS high-water mark across fork and exec, so a child started by a
benchmark that has grown (a generated workbook, a sandbox) would report the benchmark's own
peak. This launcher is small and imports nothing heavy, so its children start from ~10 MB.
"""

from __future__ import annotations

import os
import subprocess
import sys


def main() -> None:
    result, command = sys.argv[1], sys.argv[2:]
    child = subprocess.Popen(command, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    with open(result, "w", encoding="utf-8") as fp:
        fp.write(f"{usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}\n")


if __name__ == "__main__":
    main()
