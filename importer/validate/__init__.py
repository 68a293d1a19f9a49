"""Mapped request bodies checked against the vendor's schema, each problem located on its cell."""

from importer.validate.checks import RowChecks, ValidRow, changed_fields
from importer.validate.chunk import validate_chunk
from importer.validate.headers import header_drift
from importer.validate.offline import NOT_CHECKED_ID, UncheckedLookups, unchecked_lookups
from importer.validate.problems import (
    Problem,
    ProblemTally,
    Severity,
    example_text,
    kind_of,
    problems_of_result,
    problems_of_results,
)

__all__ = [
    "NOT_CHECKED_ID",
    "Problem",
    "ProblemTally",
    "RowChecks",
    "Severity",
    "UncheckedLookups",
    "ValidRow",
    "changed_fields",
    "example_text",
    "header_drift",
    "kind_of",
    "problems_of_result",
    "problems_of_results",
    "unchecked_lookups",
    "validate_chunk",
]
