"""The Pelican plugin: weekly issues, entity and source pages, the search index, digests.

Pelican loads it by its dotted path (`PLUGINS = ["brief.site.plugin"]`), so a plain
`pelican content` builds the same site as `brief build`. It adds:

- a reader (`brief.site.reader`) so each article is read once, its annotation split once;
- one generator that computes the typed site model (`brief.site.model`) once per build and
  writes the pages Pelican lacks; templates get the model as `site`;
- a check of every page before anything is written (`brief.site.sitecheck`);
- after the build, the sitemap, the Pagefind index and the digests (from the model: no
  file is read again).
"""

from __future__ import annotations

import logging
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pelican import signals
from pelican.generators import Generator

from brief.content.calendar import (
    HORIZON_DAYS,
    CommerceCalendar,
    ics,
    load_calendar,
    occurrences_for_site,
)
from brief.content.files import load_issues
from brief.content.numbers import figure_rows, write_figures
from brief.ground.errors import BriefError, ConfigError
from brief.ground.settings import pelican_settings
from brief.mail.digest import build_digests
from brief.site.model import IssuePage, SiteModel, build_model
from brief.site.reader import ArticleReader
from brief.site.search import finish_search_index, start_search_index
from brief.site.sitecheck import check_site
from brief.site.sitemap import write_sitemap
from scrapers.clean import web_url
from scrapers.entities import load_entities

log = logging.getLogger(__name__)
DIGESTS_APART_FROM = 20  # issues: from this many, the digests render in a process of their own


class SiteGenerator(Generator):  # type: ignore[misc]
    """Computes the site model, then writes issue, entity and source pages and feeds."""

    def generate_context(self) -> None:
        settings = pelican_settings(self.settings)
        # Canonical and sharing URLs must be absolute, even in a local preview build.
        self.context["CANONICAL_BASE"] = settings.public_url
        # The day of the build, in the newsletter's time zone: what is past when it is built
        # (theme/js/calendar.js marks what has passed since, in the reader's browser).
        self.context["brief_today"] = datetime.now(settings.timezone).date()
        issues, unreadable = load_issues(settings)
        for error in unreadable:
            log.error("%s", error)
        published = list(self.context["articles"])
        everything = [
            *published,
            *self.context.get("drafts", []),
            *self.context.get("hidden_articles", []),
        ]
        try:
            calendar = load_calendar(settings.calendar)
        except ConfigError as err:
            log.error("%s", err)
            calendar = CommerceCalendar()
        for line, message in calendar.problems:
            log.error("%s:%d: %s", settings.calendar, line, message)
        model = build_model(
            settings,
            everything,
            published,
            issues.values(),
            load_entities(settings.entities),
            calendar,
        )
        for issue, line, slug in model.missing:
            log.error(
                "%s:%d: no article with slug %r (brief check lists every problem)",
                issue.path,
                line,
                slug,
            )
        self.model = model
        self.urls = settings.urls
        self.brief_settings = settings
        # After every page is written (static files last): the sitemap, the search index,
        # and the digests started once the site passed its checks (`start_digests`). The
        # receiver is this generator, so nothing outlives the build.
        self.digests: Future[list[Path]] | None = None
        signals.finalized.connect(self.finish)
        self.issue_pages = model.issue_pages  # checked by brief.site.sitecheck before writing
        self.context["site"] = model  # the templates' one name for what we computed

    def write_page(self, writer: Any, name: str, template: str, url: str, **extra: Any) -> None:
        writer.write_file(
            name, self.get_template(template), self.context,
            relative_urls=self.settings["RELATIVE_URLS"], url=url, page_name=url, **extra,
        )  # fmt: skip

    def write_issue(self, writer: Any, page: IssuePage) -> None:
        self.write_page(writer, page.save_as, "issue", page.url, issue=page)

    def generate_output(self, writer: Any) -> None:
        model: SiteModel = self.model

        def write(name: str, template: str, url: str, **extra: Any) -> None:
            self.write_page(writer, name, template, url, **extra)

        for page in model.issue_pages:
            self.write_issue(writer, page)
        write("issues/index.html", "issues", "issues/")
        feed = self.urls.issues_feed
        if feed and model.issues:
            writer.write_feed(model.issues, self.context, feed, feed, feed_title="Issues")
        for listing in model.entity_pages:
            write(listing.save_as, "entity", listing.url, entity=listing)
            if listing.feed:
                articles = [view.content for view in listing.articles[:50]]
                writer.write_feed(
                    articles, self.context, listing.feed, listing.feed, feed_title=listing.name
                )
        for listing in model.source_pages:
            write(listing.save_as, "source", listing.url, source=listing)
        write("entities/index.html", "entities", "entities/")
        write("sources/index.html", "sources", "sources/")
        write("404.html", "404", "404.html")
        today = datetime.now(self.brief_settings.timezone).date()
        occurrences = occurrences_for_site(model.calendar, today)
        first, last = today - timedelta(days=31), today + timedelta(days=HORIZON_DAYS)
        write(
            "calendar/index.html", "calendar", "calendar/",
            calendar_months=model.calendar.months(first, last), calendar_today=today,
        )  # fmt: skip
        sitename = self.brief_settings.sitename
        page_url = f"{self.brief_settings.public_url}/calendar/"
        ics_path = Path(self.output_path) / "calendar.ics"
        ics_path.parent.mkdir(parents=True, exist_ok=True)
        ics_path.write_bytes(ics(occurrences, sitename, page_url, today))

    def start_digests(self) -> None:
        """Render every issue's digest in a process of its own, on another core, while this
        one writes the pages: they read the same records, and no page. (A few digests are
        rendered at the end, here: a new process would cost more than they do.)"""
        settings = self.brief_settings
        if not settings.digests or len(self.model.newsletter.issues) < DIGESTS_APART_FROM:
            return
        pool = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
        # Pelican's raw settings hold loaded modules; the digests need none of them.
        self.digests = pool.submit(
            build_digests, replace(settings, pelican={}), self.model.newsletter
        )
        pool.shutdown(wait=False)

    def finish(self, pelican: Any) -> None:
        """After the site: the sitemap, the search index, and the digests' end."""
        signals.finalized.disconnect(self.finish)
        settings = self.brief_settings
        output = Path(pelican.output_path)
        write_sitemap(output, settings.public_url)
        published = [(v.record, f"{settings.public_url}/{v.href}") for v in self.model.published]
        write_figures(output, figure_rows(published))
        indexer = start_search_index(output) if settings.search else None
        try:
            try:
                if self.digests is not None:
                    self.digests.result()
                elif settings.digests:
                    build_digests(settings, self.model.newsletter)
            except BriefError as err:
                log.error("digest: %s", err)
        finally:
            if indexer is not None:
                finish_search_index(indexer, output)


def _start_digests(generators: Sequence[Any]) -> None:
    for generator in generators:
        if isinstance(generator, SiteGenerator):
            generator.start_digests()


def _add_filters(generator: Any) -> None:
    generator.env.filters["web_url"] = web_url


def _get_generators(_: Any) -> list[type[Generator]]:
    return [SiteGenerator]


def _add_reader(readers: Any) -> None:
    for extension in ArticleReader.file_extensions:
        readers.reader_classes[extension] = ArticleReader


def _get_writer(_: Any) -> type:
    from brief.site.incremental import IncrementalWriter

    return IncrementalWriter


def register() -> None:
    signals.readers_init.connect(_add_reader)
    signals.get_writer.connect(_get_writer)
    signals.get_generators.connect(_get_generators)
    signals.generator_init.connect(_add_filters)
    signals.all_generators_finalized.connect(check_site)
    signals.all_generators_finalized.connect(_start_digests)  # after the checks passed
