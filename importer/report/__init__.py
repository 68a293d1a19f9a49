"""What a run leaves for people and machines: results.csv, failed rows, summary, manifest,
and the validation report (problems.csv, validation.xlsx, report.html)."""

from importer.report.duplicates import write_duplicates
from importer.report.manifest import write_manifest
from importer.report.results import ReportWriter, default_report_dir
from importer.report.validation import ValidationReport

__all__ = [
    "ReportWriter",
    "ValidationReport",
    "default_report_dir",
    "write_duplicates",
    "write_manifest",
]
