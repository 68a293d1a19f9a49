"""What a run leaves for people and machines: results.csv, failed rows, summary, manifest."""

from importer.report.duplicates import write_duplicates
from importer.report.manifest import write_manifest
from importer.report.results import ReportWriter, default_report_dir

__all__ = ["ReportWriter", "default_report_dir", "write_duplicates", "write_manifest"]
