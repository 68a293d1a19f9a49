"""incident-import: bulk import of incidents into the OneTrust Incident Register, exactly once."""

__version__ = "0.1.0"
__all__ = ["__version__"]
