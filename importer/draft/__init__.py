"""`init-mapping`: a mapping file drafted from a sheet's headers and sample values."""

from importer.draft.init_mapping import draft_mapping

__all__ = ["draft_mapping"]
