"""The mapping stage: a YAML mapping file turns chunks of sheet rows into API request bodies.

    mapping = load_mapping(Path("mappings/legacy_incidents.yaml"))
    mapped = apply_mapping(mapping, chunk, lookups)   # pure: bodies, row errors, skipped rows

Modules: `spec` (file format, JSON Schema; its blocks in `spec_blocks`, `spec_values`,
`spec_dates`, `spec_nested`), `loader` (YAML with line numbers), `values`, `dates`, `nested`,
`countries`, `lookups` (names → ids as plain data), `rowfilters`, `apply`.
"""

from importer.mapping.apply import apply_mapping
from importer.mapping.cells import cell_text, is_blank_cell
from importer.mapping.compiled import Mapping
from importer.mapping.loader import load_mapping, mapping_from_text
from importer.mapping.lookups import Lookups, OrgRecord
from importer.mapping.rowfilters import legacy_key_text
from importer.mapping.spec import MappingSpec, mapping_json_schema

__all__ = [
    "Lookups",
    "Mapping",
    "MappingSpec",
    "OrgRecord",
    "apply_mapping",
    "cell_text",
    "is_blank_cell",
    "legacy_key_text",
    "load_mapping",
    "mapping_from_text",
    "mapping_json_schema",
]
