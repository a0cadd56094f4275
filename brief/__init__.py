"""Live Commerce Brief: the editorial side of the newsletter (content, issues, digest, site)."""

__version__ = "0.1.0"
