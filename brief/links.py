"""Where pages live: the site's URL patterns, shared by the Pelican plugin and the digest."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

ISSUE_URL = "issues/{slug}/"
ISSUE_SAVE_AS = "issues/{slug}/index.html"


def article_url(pelican: dict[str, Any], slug: str, date: datetime | None, status: str) -> str:
    """The article page's URL, relative to the site, as Pelican will write it."""
    key = "DRAFT_URL" if status == "draft" else "ARTICLE_URL"
    pattern = str(pelican.get(key, "{slug}.html"))
    return pattern.format(slug=slug, date=date or datetime(1970, 1, 1), lang="en")


def issue_url(pelican: dict[str, Any], slug: str) -> str:
    return str(pelican.get("BRIEF_ISSUE_URL", ISSUE_URL)).format(slug=slug)


def issue_save_as(pelican: dict[str, Any], slug: str) -> str:
    return str(pelican.get("BRIEF_ISSUE_SAVE_AS", ISSUE_SAVE_AS)).format(slug=slug)


def add_utm(url: str, utm: dict[str, str]) -> str:
    """Add `utm_*` parameters (configured, off by default) to an http(s) link."""
    if not utm:
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(f"utm_{key}", value) for key, value in utm.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))
