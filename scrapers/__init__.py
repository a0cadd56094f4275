"""Scrapers: feeds in, scored and tagged candidates out, into the SQLite store.

This package never imports Pelican: it knows feeds, candidates and the store, nothing
about how the newsletter is rendered.
"""
