"""The site model: computed once per build from what Pelican read, typed, handed to our
generators, the templates (as `site`), the incremental writer and the digests.

This is the one adapter between Pelican's untyped content objects and our records: Pelican
objects go in, `ArticleView`s (each with its typed `Article` record) come out, and nothing
is ever set on a Pelican object.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from itertools import pairwise
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup

from brief.content.articles import Article, Outlet
from brief.content.calendar import CommerceCalendar, Occurrence
from brief.content.files import Newsletter
from brief.content.issues import Issue
from brief.content.movers import Mover, ranked
from brief.content.numbers import NumberLine, by_the_numbers
from brief.ground.links import Urls
from brief.ground.markup import MarkdownRenderer
from brief.ground.settings import Settings
from brief.site.chart import mention_chart
from scrapers.clean import html_to_text, slugify, web_url
from scrapers.entities import Entity, Watchlist


@dataclass(eq=False)
class ArticleView:
    """An article as our pages show it: its record, its page, what it links to."""

    content: Any  # the Pelican article: its url, date, category and tags, for Pelican's pages
    record: Article
    href: str
    entity_pages: list[Listing] = field(default_factory=list)
    related: list[ArticleView] = field(default_factory=list)
    issues: list[IssuePage] = field(default_factory=list)

    @property
    def title(self) -> Markup:
        return Markup(self.record.title)  # HTML in Pelican; written escaped from a feed

    @property
    def date(self) -> datetime:
        return self.content.date  # type: ignore[no-any-return]

    @property
    def locale_date(self) -> str:
        return str(self.content.locale_date)

    @property
    def source(self) -> str:
        return self.record.source

    @property
    def annotation(self) -> Markup:
        return Markup(self.record.annotation_html)

    @property
    def dek(self) -> str:
        return self.record.dek  # plain text: the templates escape it

    @property
    def quote(self) -> Markup:
        return Markup(self.record.quote_html)

    @property
    def outlets(self) -> tuple[Outlet, ...]:
        return self.record.outlets

    @property
    def listed(self) -> str:
        """What a list of articles shows of this one (for the incremental writer)."""
        return f"{self.record.title}|{self.href}|{self.date.isoformat()}|{self.record.source}"

    @property
    def shown(self) -> str:
        """Everything a page shows of this article: its record, tags and section."""
        tags = ",".join(self.record.tags)
        return f"{self.record!r}|{tags}|{self.content.category}|{self.href}"


@dataclass(eq=False)
class IssuePage:
    """An issue as the templates and the Atom writer see it (Pelican-content-like)."""

    issue: Issue
    intro_html: Markup
    sections: list[tuple[str, list[ArticleView]]]
    url: str
    save_as: str
    previous: IssuePage | None = None
    next: IssuePage | None = None
    entity_pages: dict[str, Listing] = field(default_factory=dict)  # by entity name
    calendar: CommerceCalendar = field(default_factory=CommerceCalendar)

    @property
    def coming_up(self) -> list[Occurrence]:
        """The commerce calendar's next 14 days from the issue's date."""
        return self.calendar.coming_up(self.issue.date.date()) if self.issue.date else []

    @property
    def week(self) -> str:
        return self.issue.week

    @property
    def slug(self) -> str:
        return self.issue.slug

    @property
    def label(self) -> str:
        """What readers call it: "Issue 47" (the ISO week's number)."""
        return self.issue.label

    @property
    def title(self) -> Markup:
        return Markup(self.issue.title or f"Week {self.issue.week}")

    @property
    def date(self) -> datetime | None:
        return self.issue.date

    @property
    def status(self) -> str:
        return self.issue.status

    @property
    def source_path(self) -> str:
        return str(self.issue.path)

    @property
    def articles(self) -> list[ArticleView]:
        return [article for _, articles in self.sections for article in articles]

    @property
    def summary(self) -> str:
        return str(self.intro_html)

    @property
    def movers(self) -> list[tuple[Mover, Listing | None]]:
        """Who moved this week, biggest change first, each with its company page if any."""
        return [(m, self.entity_pages.get(m.name)) for m in ranked(self.issue.movers)]

    @property
    def numbers(self) -> list[NumberLine]:
        """The "By the numbers" block: the stories' figures, in issue order."""
        return by_the_numbers(view.record for view in self.articles)

    @property
    def shown(self) -> str:
        """Everything the issue's page shows (for the incremental writer)."""
        parts = [repr(self.issue), self.url]
        parts += [f"{other.title}|{other.url}" for other in (self.previous, self.next) if other]
        parts += [view.shown for view in self.articles]
        parts += [repr(occurrence) for occurrence in self.coming_up]
        parts += [f"{m.name}|{page.url if page else ''}" for m, page in self.movers]
        return "\n".join(parts)

    def get_content(self, siteurl: str) -> str:
        """Full issue as HTML, for the issues Atom feed (feed readers, RSS-to-email)."""
        parts = [self.intro_html]
        for name, articles in self.sections:
            parts.append(Markup("<h2>{}</h2>").format(name))
            for view in articles:
                page = f"{siteurl}/{view.href}" if siteurl else view.href
                parts.append(Markup('<h3><a href="{}">{}</a></h3>').format(page, view.title))
                if view.dek:
                    parts.append(Markup("<p><strong>{}</strong></p>").format(view.dek))
                parts.append(Markup("<p><em>Why it matters:</em></p>{}").format(view.annotation))
                link = web_url(view.record.link)
                if link:
                    parts.append(
                        Markup('<p>Source: <a href="{}">{}</a></p>').format(link, view.source)
                    )
                else:
                    parts.append(Markup("<p>Source: {}</p>").format(view.source))
        return str(Markup("\n").join(parts))


REGION_NAMES = {"global": "Global", "US": "United States", "CN": "China",
                "SEA": "Southeast Asia", "EU": "Europe", "": "Elsewhere"}  # fmt: skip


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
    moved: tuple[IssuePage, Mover] | None = None  # the latest issue's snapshot naming it
    parent: Listing | str | None = None  # the owner's page, or its name if it has none
    children: list[Listing] = field(default_factory=list)

    @property
    def figures(self) -> list[tuple[ArticleView, NumberLine]]:
        """Every figure of the entity's articles, newest first, with its article."""
        return [
            (view, line)
            for view in self.articles
            for line in by_the_numbers([view.record], limit=None, per_story=0)
        ]

    @property
    def region_name(self) -> str:
        region = self.entity.region if self.entity else ""
        return REGION_NAMES.get(region, region)

    LATEST = 5

    @property
    def latest(self) -> list[ArticleView]:
        return self.articles[: self.LATEST]

    @property
    def months(self) -> list[tuple[str, list[ArticleView]]]:
        """The articles older than the latest, grouped by month, newest month first: no
        article is listed twice on the page."""
        groups: dict[str, list[ArticleView]] = {}
        for article in self.articles[self.LATEST :]:
            groups.setdefault(article.date.strftime("%B %Y"), []).append(article)
        return list(groups.items())

    @property
    def shown(self) -> str:
        """Everything the listing's page shows (for the incremental writer)."""
        return "\n".join(
            [
                self.name,
                self.url,
                repr(self.entity),
                repr(self.moved and self.moved[1]),
                self.moved[0].url if self.moved else "",
                repr(self.parent.url if isinstance(self.parent, Listing) else self.parent),
                *(f"{c.name}|{c.url}" for c in self.children),
                *(f"{a.listed}|{a.record.dek}|{a.record.figures!r}" for a in self.articles),
            ]
        )

    @property
    def chart(self) -> Markup:
        return Markup(mention_chart([a.date.date() for a in self.articles], self.name))


def entity_listings(
    articles: Iterable[ArticleView], watchlist: Watchlist, urls: Urls
) -> list[Listing]:
    """One listing per watchlist entity named by at least one article (by any of its
    names), sorted by name."""
    listings: dict[str, Listing] = {}
    for article in sorted(articles, key=lambda a: a.date, reverse=True):
        named = {
            entity.slug: entity
            for n in article.record.entities
            if (entity := watchlist.resolve(n)) is not None
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
            article.entity_pages.append(listing)
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


@dataclass(frozen=True)
class SubscribeForm:
    """Where the site's subscribe forms post (the service), or the address to write to."""

    action: str | None
    mailto: str
    # The service runs on this machine (a local preview's settings): the form says that
    # signing up needs it running, and how to start it; `health` is where the page asks.
    local: bool = False
    health: str = ""

    @classmethod
    def of(cls, settings: Settings) -> SubscribeForm:
        service = settings.subscriptions
        if service is None:
            return cls(None, settings.digest.sender_address)
        action = f"{service.url}subscribe"
        site, there = urlsplit(settings.siteurl), urlsplit(action)
        local = (there.hostname or "") in ("127.0.0.1", "localhost", "::1")
        if settings.siteurl and (site.scheme, site.netloc) == (there.scheme, there.netloc):
            action = there.path  # the service shares the site's host: a same-origin post
        return cls(action, settings.digest.sender_address, local, f"{service.url}health")


@dataclass
class SiteModel:
    articles: dict[str, ArticleView]  # by source path: published, drafts, hidden
    published: list[ArticleView]  # newest first
    issue_pages: list[IssuePage]  # every issue written (published and drafts)
    issues: list[IssuePage]  # published, newest first
    entity_pages: list[Listing]
    source_pages: list[Listing]
    missing: list[tuple[Issue, int, str]]  # (issue, line, slug) listed but not found
    subscribe: SubscribeForm
    calendar: CommerceCalendar = field(default_factory=CommerceCalendar)

    def view(self, content: Any) -> ArticleView:
        """The view of a Pelican article."""
        return self.articles[content.source_path]

    def views(self, contents: Iterable[Any]) -> list[ArticleView]:
        return [self.articles[c.source_path] for c in contents]

    @property
    def issue_titles(self) -> list[dict[str, str]]:
        """Published issues for the search page's filter, newest first: week, title, date."""
        return [
            {
                "week": page.week,
                "title": html_to_text(str(page.title)),
                "date": page.date.strftime("%-d %B %Y") if page.date else "",
            }
            for page in self.issues
        ]

    @property
    def entity_names(self) -> dict[str, str]:
        """Every name and alias of a company with a page (lower case) -> its name."""
        names: dict[str, str] = {}
        for page in self.entity_pages:
            for name in page.entity.names if page.entity else (page.name,):
                names.setdefault(name.casefold(), page.name)
        return names

    @property
    def entity_groups(self) -> list[tuple[str, list[tuple[str, list[Listing]]]]]:
        """Entity pages by kind (platforms first), then by region, then by name."""
        kinds = {"platform": "Platforms", "company": "Companies", "retailer": "Retailers",
                 "vendor": "Software vendors"}  # fmt: skip
        regions = REGION_NAMES
        groups: dict[str, dict[str, list[Listing]]] = {}
        for page in self.entity_pages:
            kind = page.entity.kind if page.entity else "company"
            region = page.entity.region if page.entity else ""
            groups.setdefault(kind, {}).setdefault(region, []).append(page)
        order = [*kinds, *sorted(set(groups) - set(kinds))]
        return [
            (
                kinds.get(kind, kind.capitalize()),
                [
                    (regions.get(region, region), groups[kind][region])
                    for region in sorted(
                        groups[kind],
                        key=lambda r: (list(regions).index(r) if r in regions else 99, r),
                    )
                ],
            )
            for kind in order
            if kind in groups
        ]

    @property
    def latest_issue(self) -> IssuePage | None:
        return self.issues[0] if self.issues else None

    @property
    def newsletter(self) -> Newsletter:
        """What the digests need, as read once by this build (no file is read again)."""
        by_slug: dict[str, Article] = {}
        for view in self.articles.values():
            by_slug.setdefault(view.record.slug, view.record)
        return Newsletter(by_slug, {page.issue.week: page.issue for page in self.issue_pages})


def build_model(
    settings: Settings,
    contents: Sequence[Any],
    published: Sequence[Any],
    issues: Iterable[Issue],
    entities: Sequence[Entity],
    calendar: CommerceCalendar | None = None,
) -> SiteModel:
    """The whole model: every article (`contents`), the `published` ones in listings."""
    views = {c.source_path: ArticleView(c, article_record(c), c.url) for c in contents}
    renderer = MarkdownRenderer(settings.markdown)
    by_slug: dict[str, ArticleView] = {}
    for view in views.values():
        by_slug.setdefault(view.record.slug, view)
    pages, missing = [], []
    for issue in issues:
        if issue.status == "hidden":
            continue
        sections = []
        for section in issue.sections:
            members = [by_slug[e.slug] for e in section.entries if e.slug in by_slug]
            missing += [(issue, e.line, e.slug) for e in section.entries if e.slug not in by_slug]
            if members:
                sections.append((section.name, members))
        draft = issue.status == "draft"
        pages.append(
            IssuePage(
                issue,
                Markup(renderer.render(issue.intro_md)),
                sections,
                settings.urls.issue_url(issue.slug, draft),
                settings.urls.issue_file(issue.slug, draft),
            )
        )
    released = sorted((p for p in pages if p.status == "published"), key=lambda p: p.week)
    released.reverse()
    for newer, older in pairwise(released):
        newer.previous, older.next = older, newer
    for page in released:
        for view in page.articles:
            view.issues.append(page)
    listed = [views[c.source_path] for c in published]
    entity_pages = entity_listings(listed, Watchlist(entities), settings.urls)
    by_name = {page.name: page for page in entity_pages}
    for listing in entity_pages:
        owner = listing.entity.parent if listing.entity else ""
        if owner:
            listing.parent = by_name.get(owner, owner)
            if owner in by_name:
                by_name[owner].children.append(listing)
    for page in pages:
        page.entity_pages = by_name
        page.calendar = calendar or CommerceCalendar()
    for page in reversed(released):  # oldest first: the newest snapshot wins
        for mover in page.issue.movers:
            if mover.name in by_name:
                by_name[mover.name].moved = (page, mover)
    for view in listed:
        view.related = related_articles(view)
    return SiteModel(
        articles=views,
        published=listed,
        issue_pages=pages,
        issues=released,
        entity_pages=entity_pages,
        source_pages=source_listings(listed, settings.urls),
        missing=missing,
        subscribe=SubscribeForm.of(settings),
        calendar=calendar or CommerceCalendar(),
    )


def article_record(content: Any) -> Article:
    """The record our reader built for a Pelican article, with the slug Pelican gave it
    (the same, unless a file has no `Slug:`)."""
    record: Article = content.metadata["record"]
    slug = str(content.slug)
    return record if record.slug == slug else replace(record, slug=slug)
