"""The orchestration of one import: read → map → validate → ledger → send → report.

The only package that knows every stage.
"""

from importer.run.pipeline import ExitCode, ProgressSink, RunOptions, exit_code_for, run_import
from importer.run.validation import Acknowledged, InvalidLimit, read_acknowledged

__all__ = [
    "Acknowledged",
    "ExitCode",
    "InvalidLimit",
    "ProgressSink",
    "RunOptions",
    "exit_code_for",
    "read_acknowledged",
    "run_import",
]
