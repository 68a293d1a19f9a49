"""The verdict report.html opens with: never "Ready: all ... pass" when that is not so."""

from __future__ import annotations

import pytest

from importer.report.html import _verdict
from importer.validate import Severity


@pytest.mark.parametrize(
    ("summary", "warnings", "css", "text"),
    [
        # A header-only export (a broken cron feed) is not "Ready: all 0 rows pass validation."
        ({"rows": 0, "counts": {}}, 0, "warn", "Nothing to import: the file has no data rows."),
        # Every invalid row acknowledged: they are still not imported, so not "all 3 rows pass".
        (
            {"rows": 3, "counts": {"would create": 1, "invalid": 2}, "acknowledged": 2},
            0,
            "warn",
            "Ready, with 2 acknowledged rows that have errors and would not be imported:"
            " no new problem out of 3.",
        ),
        (
            {"rows": 3, "counts": {"invalid": 3}, "acknowledged": 1},
            0,
            "bad",
            "Not ready: 3 of 3 rows have errors and would not be imported."
            " (1 of them acknowledged.)",
        ),
        (
            {"rows": 2, "counts": {"would create": 2}},
            1,
            "warn",
            "Ready, with 1 rows to look at: no row has an error out of 2.",
        ),
        (
            {"rows": 2, "counts": {"would create": 2}},
            0,
            "good",
            "Ready: all 2 rows pass validation.",
        ),
    ],
)
def test_verdict_says_what_is_so(summary, warnings, css, text):
    html = _verdict(summary, {Severity.WARNING: warnings})
    assert html == f"<div class='verdict {css}' id='verdict'>{text}</div>"
