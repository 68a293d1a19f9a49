"""The summary table lists the stages reached, as text: a stage name is never rich markup."""

from __future__ import annotations

from rich.console import Console

from importer.console import summary_table


def test_stage_names_from_the_sheet_are_shown_as_written():
    summary = {
        "dry_run": False,
        "counts": {"created": 3},
        "rows": 3,
        "stages": {"Closed": 2, "[red]Escalated[/]": 1},
        "requests": 6,
        "retries": 0,
        "throttled_429": 0,
        "duration_seconds": 1.0,
    }
    console = Console(record=True, width=100)

    console.print(summary_table(summary))
    text = console.export_text()

    assert "in stage Closed" in text
    assert "in stage [red]Escalated[/]" in text
