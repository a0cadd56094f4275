"""The site model: computed once per build from what Pelican read, typed, handed to our
generators, the templates (as `site`), the incremental writer and the digests.

This is the one adapter between Pelican's untyped content objects and our records: Pelican
objects go in, `ArticleView`s (each with its typed `Article` record) come out, and nothing
is ever set on a Pelican object.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from markupsafe import Markup

from brief.articles import Article, Outlet, parse_also
from brief.content import Newsletter
from brief.document import split_list
from brief.issues import Issue
from brief.markup import MarkdownRenderer
from brief.pages import Listing, entity_listings, related_articles, source_listings
from brief.settings import Settings
from scrapers.clean import web_url
from scrapers.entities import Entity


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
    def quote(self) -> Markup:
        return Markup(self.record.quote_html)

    @property
    def outlets(self) -> tuple[Outlet, ...]:
        """The source (its link when usable) and then every other outlet."""
        return (Outlet(self.record.source, web_url(self.record.link) or ""), *self.record.also)

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

    @property
    def week(self) -> str:
        return self.issue.week

    @property
    def slug(self) -> str:
        return self.issue.slug

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
    def shown(self) -> str:
        """Everything the issue's page shows (for the incremental writer)."""
        parts = [repr(self.issue), self.url]
        parts += [f"{other.title}|{other.url}" for other in (self.previous, self.next) if other]
        parts += [view.shown for view in self.articles]
        return "\n".join(parts)

    def get_content(self, siteurl: str) -> str:
        """Full issue as HTML, for the issues Atom feed (feed readers, RSS-to-email)."""
        parts = [self.intro_html]
        for name, articles in self.sections:
            parts.append(Markup("<h2>{}</h2>").format(name))
            for view in articles:
                page = f"{siteurl}/{view.href}" if siteurl else view.href
                parts.append(
                    Markup('<h3><a href="{}">{}</a></h3>{}').format(
                        page, view.title, view.annotation
                    )
                )
                link = web_url(view.record.link)
                if link:
                    parts.append(
                        Markup('<p>Source: <a href="{}">{}</a></p>').format(link, view.source)
                    )
                else:
                    parts.append(Markup("<p>Source: {}</p>").format(view.source))
        return str(Markup("\n").join(parts))


@dataclass
class SiteModel:
    articles: dict[str, ArticleView]  # by source path: published, drafts, hidden
    published: list[ArticleView]  # newest first
    issue_pages: list[IssuePage]  # every issue written (published and drafts)
    issues: list[IssuePage]  # published, newest first
    entity_pages: list[Listing]
    source_pages: list[Listing]
    missing: list[tuple[Issue, int, str]]  # (issue, line, slug) listed but not found

    def view(self, content: Any) -> ArticleView:
        """The view of a Pelican article."""
        return self.articles[content.source_path]

    def views(self, contents: Iterable[Any]) -> list[ArticleView]:
        return [self.articles[c.source_path] for c in contents]

    @property
    def latest_issue(self) -> IssuePage | None:
        return self.issues[0] if self.issues else None

    @property
    def issue_drafts(self) -> list[IssuePage]:
        return [p for p in self.issue_pages if p.status == "draft"]

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
    entity_pages = entity_listings(listed, entities, settings.urls)
    by_name = {page.name: page for page in entity_pages}
    for view in listed:
        view.entity_pages = [by_name[n] for n in view.record.entities if n in by_name]
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
    )


def article_record(content: Any) -> Article:
    """The typed record of a Pelican article read by `brief.reader.ArticleReader`."""
    meta = content.metadata
    return Article(
        path=Path(content.source_path),
        slug=str(content.slug),
        title=str(getattr(content, "title", "")),
        date=getattr(content, "date", None),
        section=str(getattr(content, "category", "")),
        status=str(getattr(content, "status", "published")).lower(),
        source=str(meta.get("source", "")),
        link=str(meta.get("link", "")),
        entities=split_list(str(meta.get("entities", ""))),
        tags=tuple(str(tag) for tag in getattr(content, "tags", ())),
        summary_md="",
        annotation_md=str(meta.get("annotation_md", "")),
        annotation_line=meta.get("annotation_line"),
        also=parse_also(str(meta.get("also", ""))),
        quote_html=str(meta.get("quote", "")),
        annotation_html=str(meta.get("annotation", "")),
    )
