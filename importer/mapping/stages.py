"""The `stage` block: the workflow stage each incident must end in, checked against known names.

The stage is not a Create Incident field: the register starts every incident in its workflow's
first stage, and the run moves it afterwards (Update Incident Stage). Here it is only a value
like any other (column, map, default...), and when the mapping (`stages:`) or a lookup file
(`lookups: {stages: FILE}`) lists the register's stage names, a name outside them is a row error,
so a dry run catches `Closd` before anything is created.
"""

from __future__ import annotations

import pandas as pd

from importer.mapping.cells import ErrorSink
from importer.mapping.lookups import Lookups
from importer.mapping.matching import expected_one_of
from importer.mapping.spec import MappingSpec
from importer.mapping.values import ChunkColumns, source_label, text_value

__all__ = ["STAGE_FIELD", "known_stages", "stage_targets"]

STAGE_FIELD = "stage"


def known_stages(spec: MappingSpec, lookups: Lookups) -> list[str]:
    """Stage names the mapping and the lookup file list, in that order; empty when none do."""
    return list(dict.fromkeys([*spec.stages, *sorted(lookups.stages)]))


def stage_targets(
    spec: MappingSpec, cols: ChunkColumns, lookups: Lookups, sink: ErrorSink
) -> pd.Series:
    """One stage name per row (`<NA>`: the row names none, it stays where the register puts it).

    Names are compared exactly, as the register matches `nextStageName`; an unknown name is a
    row error with the known names and the nearest one.
    """
    assert spec.stage is not None
    names = text_value(spec.stage, cols, sink, STAGE_FIELD)
    known = known_stages(spec, lookups)
    if known:
        unknown = names.notna() & ~names.isin(known).fillna(False).astype(bool)
        sink.add_where(
            unknown,
            names,
            lambda value: (
                "not a stage of the register's workflows; " + expected_one_of(str(value), known)
            ),
            field=STAGE_FIELD,
            column=source_label(spec.stage),
        )
    return names
