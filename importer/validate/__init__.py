"""Mapped request bodies checked against the vendor's schema, each error located on its cell."""

from importer.validate.chunk import validate_chunk

__all__ = ["validate_chunk"]
