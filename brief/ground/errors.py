"""The editorial layer's errors, extending the tree rooted in `scrapers.errors`."""

from __future__ import annotations

from scrapers.errors import BriefError, ConfigError, LocatedError, SourceError, StoreError

__all__ = [
    "BriefError",
    "BuildError",
    "ConfigError",
    "ContentError",
    "DeliveryError",
    "LocatedError",
    "SiteError",
    "SourceError",
    "StoreError",
]


class ContentError(LocatedError):
    """A file under content/ is malformed or may not be written."""


class DeliveryError(BriefError):
    """A digest could not be built or delivered."""


class BuildError(BriefError):
    """The site could not be built."""


class SiteError(BuildError):
    """The content would make a broken or unsafe site: nothing was written."""
