"""The Pelican plugin: weekly issues, article annotations, search index and digests.

Pelican loads it by its dotted path (`PLUGINS = ["brief.plugin"]`), so a plain
`pelican content` builds the same site as `brief build`.
"""

from __future__ import annotations

import gzip
import json
import logging
import posixpath
import re
import subprocess
import sys
import zlib
from collections.abc import Callable
from datetime import datetime
from html import escape
from itertools import pairwise
from pathlib import Path
from typing import Any

from markupsafe import Markup
from pelican import signals
from pelican.generators import Generator

from brief.articles import Outlet, parse_also
from brief.content import load_newsletter
from brief.digest import build_digests
from brief.document import read_document
from brief.errors import BriefError, SiteError
from brief.issues import Issue
from brief.links import issue_save_as, issue_url
from brief.markup import MarkdownRenderer
from brief.pages import entity_listings, related_articles, source_listings
from brief.settings import Settings, settings_from_dict
from brief.terminal import display_path
from scrapers.clean import inert_text, slug_problem, web_url
from scrapers.entities import load_entities

log = logging.getLogger(__name__)

_WHY = re.compile(r"<h2[^>]*>\s*Why it matters\s*</h2>", re.IGNORECASE)


class IssuePage:
    """An issue as the templates and the Atom writer see it (Pelican-content-like)."""

    def __init__(
        self,
        issue: Issue,
        intro_html: str,
        sections: list[tuple[str, list[Any]]],
        url: str,
        save_as: str,
    ):
        self.issue = issue
        self.week = issue.week
        self.slug = issue.slug
        self.title = issue.title or f"Week {issue.week}"
        self.date: datetime | None = issue.date
        self.status = issue.status
        self.intro_html = intro_html
        self.sections = sections
        self.url = url
        self.save_as = save_as
        self.previous: IssuePage | None = None
        self.next: IssuePage | None = None

    @property
    def source_path(self) -> str:
        return str(self.issue.path)

    @property
    def articles(self) -> list[Any]:
        return [article for _, articles in self.sections for article in articles]

    @property
    def summary(self) -> str:
        return self.intro_html

    def get_content(self, siteurl: str) -> str:
        """Full issue as HTML, for the issues Atom feed (feed readers, RSS-to-email)."""
        parts = [Markup(self.intro_html)]
        for name, articles in self.sections:
            parts.append(Markup("<h2>{}</h2>").format(name))
            for article in articles:
                page = f"{siteurl}/{article.url}" if siteurl else article.url
                # Titles are HTML in Pelican (escaped when written from a feed); annotations
                # are the editor's Markdown, rendered.
                parts.append(
                    Markup('<h3><a href="{}">{}</a></h3>{}').format(
                        page, Markup(article.title), Markup(annotation_of(article.content))
                    )
                )
                source = str(getattr(article, "source", ""))
                link = web_url(str(getattr(article, "link", "")))
                if link:
                    parts.append(Markup('<p>Source: <a href="{}">{}</a></p>').format(link, source))
                else:
                    parts.append(Markup("<p>Source: {}</p>").format(source))
        return str(Markup("\n").join(parts))


class IssueGenerator(Generator):  # type: ignore[misc]
    """Reads `content/issues/*.md` and writes issue pages, the issue archive and feed."""

    def generate_context(self) -> None:
        settings = plugin_settings(self.settings)
        # Canonical and sharing URLs must be absolute, even in a local preview build.
        self.context["CANONICAL_BASE"] = settings.public_url
        newsletter = load_newsletter(settings)
        renderer = MarkdownRenderer(settings.markdown)
        by_slug = {a.slug: a for a in [*self.context["articles"], *self.context.get("drafts", [])]}
        pages = []
        for issue in newsletter.issues.values():
            if issue.status == "hidden":
                continue
            sections = []
            for section in issue.sections:
                members = [by_slug[e.slug] for e in section.entries if e.slug in by_slug]
                missing = [e for e in section.entries if e.slug not in by_slug]
                for entry in missing:
                    log.error(
                        "%s:%d: no article with slug %r (brief check lists every problem)",
                        issue.path,
                        entry.line,
                        entry.slug,
                    )
                if members:
                    sections.append((section.name, members))
            draft = issue.status == "draft"
            url = issue_url(self.settings, issue.slug)
            save_as = issue_save_as(self.settings, issue.slug)
            if draft:
                url, save_as = f"drafts/{url}", f"drafts/{save_as}"
            pages.append(IssuePage(issue, renderer.render(issue.intro_md), sections, url, save_as))
        published = sorted(
            (p for p in pages if p.status == "published"), key=lambda p: p.week, reverse=True
        )
        for newer, older in pairwise(published):
            newer.previous, older.next = older, newer
        for page in published:
            for article in page.articles:
                article.in_issues = [*getattr(article, "in_issues", []), page]
        self.pages = pages
        self.issue_pages = pages
        self.context["issues"] = published
        self.context["latest_issue"] = published[0] if published else None
        self.context["issue_drafts"] = [p for p in pages if p.status == "draft"]

    def generate_output(self, writer: Any) -> None:
        for page in self.pages:
            writer.write_file(
                page.save_as,
                self.get_template("issue"),
                self.context,
                relative_urls=self.settings["RELATIVE_URLS"],
                issue=page,
                page_name=page.url,
                url=page.url,
            )
        writer.write_file(
            "issues/index.html",
            self.get_template("issues"),
            self.context,
            relative_urls=self.settings["RELATIVE_URLS"],
            page_name="issues/",
            url="issues/",
        )
        feed = self.settings.get("BRIEF_ISSUES_FEED", "feeds/issues.atom.xml")
        if feed and self.context["issues"]:
            writer.write_feed(self.context["issues"], self.context, feed, feed, feed_title="Issues")


class ListingGenerator(Generator):  # type: ignore[misc]
    """Entity and source pages (with feeds), their indexes, the 404 page and robots.txt."""

    def generate_context(self) -> None:
        settings = plugin_settings(self.settings)
        articles = self.context["articles"]
        for article in [*articles, *self.context.get("drafts", [])]:
            # Pelican computes `url` on every access; lists of thousands ask for it often.
            article.href = article.url
        entities = load_entities(settings.entities)
        self.entity_pages = entity_listings(
            articles,
            entities,
            self.settings.get("BRIEF_ENTITY_URL", "entities/{slug}/"),
            self.settings.get("BRIEF_ENTITY_FEED", "feeds/entities/{slug}.atom.xml"),
        )
        self.source_pages = source_listings(
            articles, self.settings.get("BRIEF_SOURCE_URL", "sources/{slug}/")
        )
        self.context["entity_pages"] = self.entity_pages
        self.context["source_pages"] = self.source_pages
        by_name = {page.name: page for page in self.entity_pages}
        for article in articles:
            article.entity_pages = [by_name[n] for n in entities_of(article) if n in by_name]
        for article in articles:
            article.related = related_articles(article, article.entity_pages)

    def generate_output(self, writer: Any) -> None:
        relative = self.settings["RELATIVE_URLS"]
        for template, pages, name in (
            ("entity", self.entity_pages, "entity"),
            ("source", self.source_pages, "source"),
        ):
            for page in pages:
                writer.write_file(
                    page.save_as, self.get_template(template), self.context, relative_urls=relative,
                    url=page.url, page_name=page.url, **{name: page},
                )  # fmt: skip
        for page in self.entity_pages:
            if page.feed:
                writer.write_feed(
                    page.articles[:50], self.context, page.feed, page.feed, feed_title=page.name
                )
        for template, path in (("entities", "entities/"), ("sources", "sources/")):
            writer.write_file(
                f"{path}index.html", self.get_template(template), self.context,
                relative_urls=relative, url=path, page_name=path,
            )  # fmt: skip
        writer.write_file(
            "404.html",
            self.get_template("404"),
            self.context,
            relative_urls=relative,
            url="404.html",
        )


def plugin_settings(raw: dict[str, Any]) -> Settings:
    root = Path(raw["PATH"]).resolve().parent
    return settings_from_dict(raw, root)


def annotation_of(content: str) -> Markup:
    """The editor's words: what follows the `Why it matters` heading (rendered HTML)."""
    parts = _WHY.split(content, maxsplit=1)
    return Markup(parts[1].strip() if len(parts) == 2 else "")


def quote_of(content: str) -> Markup:
    """What comes before the `Why it matters` heading: the source's summary (rendered HTML)."""
    return Markup(_WHY.split(content, maxsplit=1)[0].strip())


def sources_of(article: Any) -> list[Outlet]:
    """Every outlet that ran the story: the main source, then the others.

    Links are http(s) or empty (`brief check` reports a bad `Link:`).
    """
    also = list(parse_also(str(getattr(article, "also", ""))))
    link = web_url(str(getattr(article, "link", ""))) or ""
    return [Outlet(str(getattr(article, "source", "")), link), *also]


def entities_of(article: Any) -> list[str]:
    return [e.strip() for e in str(getattr(article, "entities", "")).split(",") if e.strip()]


def _add_filters(generator: Any) -> None:
    filters: dict[str, Callable[..., Any]] = {
        "annotation": annotation_of,
        "quote": quote_of,
        "sources": sources_of,
        "web_url": web_url,
        "entity_list": entities_of,
    }
    generator.env.filters.update(filters)


def _get_generators(_: Any) -> list[type[Generator]]:
    return [IssueGenerator, ListingGenerator]


def _finalized(pelican: Any) -> None:
    """After the site: the search index, then every issue's digest."""
    settings = plugin_settings(pelican.settings)
    write_sitemap(Path(pelican.output_path), settings.public_url)
    # Pagefind runs in its own process while this one renders the digests.
    output = Path(pelican.output_path)
    indexer = start_search_index(output) if settings.search else None
    try:
        if settings.digests:
            try:
                build_digests(settings, load_newsletter(settings))
            except BriefError as err:
                log.error("digest: %s", err)
    finally:
        if indexer is not None:
            finish_search_index(indexer, output)


def write_sitemap(output: Path, base: str) -> None:
    """sitemap.xml of every public page, and a robots.txt that points to it."""
    skip = ("drafts", "digest", "pagefind", "theme")
    urls = []
    for page in sorted(output.rglob("index.html")):
        relative = page.relative_to(output)
        if relative.parts[0] in skip:
            continue
        path = "" if relative.parent == Path(".") else f"{relative.parent.as_posix()}/"
        urls.append(f"  <url><loc>{escape(base)}/{escape(path)}</loc></url>")
    (output / "sitemap.xml").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
        + "\n".join(urls)
        + "\n</urlset>\n",
        encoding="utf-8",
    )
    (output / "robots.txt").write_text(
        f"User-agent: *\nDisallow: /drafts/\n\nSitemap: {base}/sitemap.xml\n", encoding="utf-8"
    )


def start_search_index(output: Path) -> subprocess.Popen[str]:
    """Start Pagefind (the PyPI package ships its binary) over the built site."""
    command = [sys.executable, "-m", "pagefind", "--site", str(output), "--silent"]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish_search_index(indexer: subprocess.Popen[str], output: Path) -> None:
    out, err = indexer.communicate()
    if indexer.returncode != 0:
        log.error("pagefind failed (%s): %s", indexer.returncode, err or out)
        return
    for problem in search_index_problems(output / "pagefind"):
        log.error("search index: %s", problem)


def search_index_problems(folder: Path) -> list[str]:
    """What is wrong with a Pagefind index on disk.

    Pagefind exits 0 even when the disk fills up under it, leaving empty or cut files;
    its index files are all gzip streams, so a cut one does not decompress.
    """
    entry = folder / "pagefind-entry.json"
    try:
        json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        return [f"{entry} is missing or damaged ({err}); is the disk full?"]
    problems = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        try:
            data = path.read_bytes()
            if path.suffix.startswith(".pf_") or path.suffix == ".pagefind":
                gzip.decompress(data)
            elif not data:
                raise ValueError("empty")
        except (OSError, ValueError, EOFError, zlib.error) as err:
            problems.append(f"{path} is damaged ({err or 'cut short'}); is the disk full?")
    return problems


_CONTENT_LISTS = (
    "articles", "translations", "drafts", "drafts_translations", "hidden_articles",
    "hidden_translations", "pages", "hidden_pages", "draft_pages", "draft_translations",
)  # fmt: skip


def _check_site(generators: list[Any]) -> None:
    """Before anything is written: every page has a safe slug and a file of its own.

    A slug like `../../issues/2026-w47` would write over another page; two files with one
    slug would leave one of them out; control characters in a title would stop the feed
    writer half way. Each is reported as `path:line` and the build stops here.
    """
    problems: list[str] = []
    owners: dict[str, str] = {}  # save_as -> who writes it
    for generator in generators:
        items: list[Any] = []
        for name in _CONTENT_LISTS:
            items += list(getattr(generator, name, []) or [])
        items += list(getattr(generator, "issue_pages", []))
        for item in items:
            source = str(getattr(item, "source_path", "") or getattr(item, "path", ""))
            where = _where(source)
            slug = str(getattr(item, "slug", "") or "")
            if getattr(item, "source_path", None) and (problem := slug_problem(slug)):
                problems.append(f"{where(_slug_line(source))}: {problem}")
                continue
            for key, value in (getattr(item, "metadata", None) or {}).items():
                if isinstance(value, str) and inert_text(value) != value:
                    problems.append(
                        f"{where(_meta_line(source, key))}: {key.capitalize()} holds control"
                        " characters; delete them"
                    )
            save_as = str(getattr(item, "save_as", "") or "")
            if not save_as:
                continue
            normal = posixpath.normpath(save_as)
            if normal.startswith("../") or normal == ".." or posixpath.isabs(normal):
                problems.append(f"{where(1)}: it would be written outside the site ({save_as})")
                continue
            if normal in owners and owners[normal] != source:
                problems.append(
                    f"{where(_slug_line(source))}: {normal} is also written for"
                    f" {display_path(Path(owners[normal]))} (the same slug twice?): rename one"
                )
            owners.setdefault(normal, source)
    if problems:
        listed = "\n  ".join(sorted(set(problems)))
        raise SiteError(f"nothing was written; fix these first:\n  {listed}")


def _where(source: str) -> Callable[[int], str]:
    shown = display_path(Path(source)) if source else "(generated page)"
    return lambda line: f"{shown}:{line}"


def _slug_line(source: str) -> int:
    return _meta_line(source, "slug")


def _meta_line(source: str, key: str) -> int:
    try:
        return read_document(Path(source)).line_of(key.lower())
    except (BriefError, OSError):
        return 1


def _get_writer(_: Any) -> type:
    from brief.incremental import IncrementalWriter

    return IncrementalWriter


def register() -> None:
    signals.get_writer.connect(_get_writer)
    signals.get_generators.connect(_get_generators)
    signals.generator_init.connect(_add_filters)
    signals.all_generators_finalized.connect(_check_site)
    signals.finalized.connect(_finalized)
