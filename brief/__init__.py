"""Live Commerce Brief: the editorial side of the newsletter (content, issues, digest, site)."""

from scrapers import __version__

__all__ = ["__version__"]
