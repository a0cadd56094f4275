"""Where pages live: the site's URL patterns (typed, from the settings), shared by the
Pelican plugin and the digest."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit


@dataclass(frozen=True)
class Urls:
    """URL patterns: Pelican's for articles, ours for issues, entities and sources."""

    article: str = "{slug}.html"
    draft: str = "drafts/{slug}.html"
    issue: str = "issues/{slug}/"
    issue_save_as: str = "issues/{slug}/index.html"
    entity: str = "entities/{slug}/"
    entity_feed: str = "feeds/entities/{slug}.atom.xml"
    source: str = "sources/{slug}/"
    issues_feed: str | None = "feeds/issues.atom.xml"

    def article_url(self, slug: str, date: datetime | None, status: str) -> str:
        """The article page's URL, relative to the site, as Pelican will write it."""
        pattern = self.draft if status == "draft" else self.article
        return pattern.format(slug=slug, date=date or datetime(1970, 1, 1), lang="en")

    def issue_url(self, slug: str, draft: bool = False) -> str:
        return ("drafts/" if draft else "") + self.issue.format(slug=slug)

    def issue_file(self, slug: str, draft: bool = False) -> str:
        return ("drafts/" if draft else "") + self.issue_save_as.format(slug=slug)


def add_utm(url: str, utm: dict[str, str]) -> str:
    """Add `utm_*` parameters (configured, off by default) to an http(s) link."""
    if not utm:
        return url
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    query += [(f"utm_{key}", value) for key, value in utm.items()]
    return urlunsplit(parts._replace(query=urlencode(query)))
