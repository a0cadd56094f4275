"""Scrapers: feeds in, scored and tagged candidates out, into the SQLite store.

This is the lower layer: it never imports `brief` or Pelican. It knows feeds, candidates
and the store, nothing about how the newsletter is rendered. It owns the error root
(`scrapers.errors`) that the editorial layer extends.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("live-commerce-brief")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
