"""`report.html` opened in a real browser (headless Chromium): what the page shows."""

from __future__ import annotations

import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
from e2e_helpers import incident_row, write_sheet
from validate_helpers import ORGANIZATIONS, report_folder, validate_args

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install chromium)"
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium(tmp_path: Path, *args: str) -> str:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    assert CHROMIUM is not None
    done = subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


class _Page(HTMLParser):
    """The text of the elements with an id, the tags used, and every src/href."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []
        self.text: dict[str, str] = {}
        self._open: list[str] = []
        self.rects = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        found = dict(attrs)
        self.links += [v or "" for k, v in attrs if k in ("src", "href")]
        self.rects += tag == "rect"
        if found.get("id"):
            self._open.append(found["id"] or "")
            self.text.setdefault(found["id"] or "", "")

    def handle_data(self, data: str) -> None:
        for name in self._open:
            self.text[name] += " " + data

    def handle_endtag(self, tag: str) -> None:
        if tag in ("div", "table", "svg") and self._open:
            self._open.pop()


def test_report_page_shows_verdict_counts_chart_and_failing_rows(tmp_path, simple_mapping, cli):
    rows = [incident_row(n) for n in range(8)]
    rows[1]["Title"] = ""
    rows[4]["Occurred"] = "31/31/2024"
    rows[6]["Org"] = "Atlantis <script>alert(1)</script>"
    sheet = write_sheet(tmp_path / "log.csv", rows)
    lookup = f"organizations={ORGANIZATIONS}"
    assert cli(validate_args(sheet, simple_mapping, tmp_path, "--lookup", lookup)).exit_code == 1
    page = report_folder(tmp_path) / "report.html"

    dom = _chromium(tmp_path, "--dump-dom", page.as_uri())
    shown = _Page()
    shown.feed(dom)

    assert "script" not in shown.tags  # the sheet's text is shown as text, never run
    assert shown.links == []  # self-contained: nothing to fetch
    assert shown.text["verdict"].strip() == (
        "Not ready: 3 of 8 rows have errors and would not be imported."
    )
    assert shown.tags.index("div") < shown.tags.index("table")  # the verdict comes first
    counts = " ".join(shown.text["counts"].split())
    assert "would create 5" in counts and "invalid 3" in counts and "total rows 8" in counts
    assert shown.rects == 3  # one bar per (field, kind): name, dateOccurred, orgGroupId
    common = " ".join(shown.text["common"].split())
    assert "required name 1" in common and "not a date dateOccurred 1" in common
    failing = " ".join(shown.text["failing"].split())
    for row, text in ((3, "required, but empty"), (6, "31/31/2024"), (8, "Atlantis <script>")):
        assert f"{row} test-log:T-{row - 2:05d} invalid" in failing
        assert text in failing

    shot = tmp_path / "report.png"
    _chromium(tmp_path, "--window-size=1280,1600", f"--screenshot={shot}", page.as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one
