"""The orchestration of one import: read → map → validate → ledger → send → report.

The only package that knows every stage.
"""

from importer.run.pipeline import ExitCode, ProgressSink, RunOptions, exit_code_for, run_import

__all__ = ["ExitCode", "ProgressSink", "RunOptions", "exit_code_for", "run_import"]
