"""Pages Pelican lacks, as pure functions: entity and source pages, the mention chart."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from html import escape
from typing import TYPE_CHECKING

from markupsafe import Markup

from scrapers.clean import slugify
from scrapers.entities import Entity

if TYPE_CHECKING:
    from brief.links import Urls
    from brief.model import ArticleView


@dataclass(eq=False)
class Listing:
    """A page listing articles: one entity's, or one source's."""

    name: str
    slug: str
    url: str
    save_as: str
    articles: list[ArticleView] = field(default_factory=list)  # newest first
    entity: Entity | None = None
    feed: str | None = None

    @property
    def months(self) -> list[tuple[str, list[ArticleView]]]:
        """Articles grouped by month, newest month first."""
        groups: dict[str, list[ArticleView]] = {}
        for article in self.articles:
            groups.setdefault(article.date.strftime("%B %Y"), []).append(article)
        return list(groups.items())

    @property
    def shown(self) -> str:
        """Everything the listing's page shows (for the incremental writer)."""
        return "\n".join(
            [self.name, self.url, repr(self.entity), *(a.listed for a in self.articles)]
        )

    @property
    def chart(self) -> Markup:
        return Markup(mention_chart([a.date.date() for a in self.articles], self.name))


def entity_listings(
    articles: Iterable[ArticleView], entities: Sequence[Entity], urls: Urls
) -> list[Listing]:
    """One listing per watchlist entity named by at least one article, by name."""
    by_name = {e.name.casefold(): e for e in entities}
    for entity in entities:
        for alias in entity.aliases:
            by_name.setdefault(alias.casefold(), entity)
    listings: dict[str, Listing] = {}
    for article in sorted(articles, key=lambda a: a.date, reverse=True):
        named = {
            by_name[n.casefold()].slug: by_name[n.casefold()]
            for n in article.record.entities
            if n.casefold() in by_name
        }
        for entity in named.values():
            listing = listings.get(entity.slug)
            if listing is None:
                url = urls.entity.format(slug=entity.slug)
                listing = listings[entity.slug] = Listing(
                    entity.name, entity.slug, url, url + "index.html", entity=entity,
                    feed=urls.entity_feed.format(slug=entity.slug),
                )  # fmt: skip
            listing.articles.append(article)
    return sorted(listings.values(), key=lambda item: item.name.casefold())


def related_articles(article: ArticleView, limit: int = 5) -> list[ArticleView]:
    """Other recent articles naming the same companies: most shared names first, then newest.

    Only the newest few of each company's list are considered, so this stays cheap on a
    site with thousands of articles.
    """
    mine = {listing.slug for listing in article.entity_pages}
    pool: dict[int, tuple[int, ArticleView]] = {}
    for listing in article.entity_pages:
        for other in listing.articles[: limit * 4]:  # listings are newest first
            if other is not article and id(other) not in pool:
                theirs = {page.slug for page in other.entity_pages}
                pool[id(other)] = (len(mine & theirs), other)
    ranked = sorted(pool.values(), key=lambda item: (-item[0], -item[1].date.timestamp()))
    return [other for _, other in ranked[:limit]]


def source_listings(articles: Iterable[ArticleView], urls: Urls) -> list[Listing]:
    listings: dict[str, Listing] = {}
    for article in sorted(articles, key=lambda a: a.date, reverse=True):
        name = article.source.strip()
        if not name:
            continue
        slug = slugify(name)
        listing = listings.get(slug)
        if listing is None:
            url = urls.source.format(slug=slug)
            listing = listings[slug] = Listing(name, slug, url, url + "index.html")
        listing.articles.append(article)
    return sorted(listings.values(), key=lambda item: item.name.casefold())


def mention_chart(days: Sequence[date], name: str, width: int = 640, height: int = 120) -> str:
    """Articles per month as an inline SVG bar chart (no JavaScript), with a text fallback."""
    if not days:
        return ""
    counts = Counter(date(d.year, d.month, 1) for d in days)
    last = max(counts)
    # At least a year on the axis, so one busy month reads as a spike, not a wall.
    year_before = date(last.year - 1, last.month, 1)
    first = min(min(counts), _next_month(year_before))
    months = []
    current = first
    while current <= last:
        months.append(current)
        current = _next_month(current)
    top = max(counts.values())
    gap = 4
    bar_width = min(36, max(4, (width - 40) // len(months) - gap))
    plot_height = height - 30
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-labelledby="chart-title" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">Articles naming {escape(name)} per month, '
        f"{first:%B %Y} to {last:%B %Y}: {sum(counts.values())} in all</title>",
    ]
    for index, month in enumerate(months):
        count = counts.get(month, 0)
        bar_height = round(plot_height * count / top) if count else 0
        x = 30 + index * (bar_width + gap)
        y = plot_height - bar_height + 4
        parts.append(
            f'<rect x="{x}" y="{y}" width="{bar_width}" height="{max(bar_height, 1)}" '
            f'class="bar"><title>{month:%B %Y}: {count}</title></rect>'
        )
        if (len(months) - 1 - index) % max(2, len(months) // 6) == 0:  # the last month always
            parts.append(
                f'<text x="{x + bar_width / 2}" y="{height - 8}" text-anchor="middle" '
                f'class="label">{month:%b %Y}</text>'
            )
    parts.append(f'<text x="0" y="14" class="label">{top}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)
