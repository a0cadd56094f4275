"""One article's page as the site renders it, from a text not saved yet (the web desk's
preview): our reader and the theme's own `article.html`, through a Pelican generator made
once, without reading the rest of the newsletter. Its cost is one file's, at 50 articles or
5,000; what the page shows of other pages (related articles, issues) is left out.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from brief.ground.errors import BriefError
from brief.ground.settings import Settings
from brief.site.model import ArticleView, Listing, SubscribeForm
from scrapers.entities import load_entities


@dataclass
class _Site:
    """What the theme's templates ask of the site model, for one page."""

    page: ArticleView
    subscribe: SubscribeForm
    latest_issue: None = None
    issues: list[Any] = field(default_factory=list)
    views: list[Any] = field(default_factory=list)

    def view(self, article: Any) -> ArticleView:
        return self.page


class ArticlePage:
    def __init__(self, settings: Settings):
        from pelican import Pelican
        from pelican.generators import Generator

        self.settings = settings
        raw = dict(settings.pelican)
        Pelican(dict(raw))  # loads the plugins: our reader, our filters
        self._folder = tempfile.TemporaryDirectory(prefix="brief-preview-")
        self._generator = Generator(
            context=dict(raw),
            settings=raw,
            path=raw["PATH"],
            theme=raw["THEME"],
            output_path=self._folder.name,
        )
        self._template = self._generator.get_template("article")
        self._subscribe = SubscribeForm.of(settings)
        urls = settings.urls
        self._listings = {}
        for entity in load_entities(settings.entities):
            url = urls.entity.format(slug=entity.slug)
            self._listings[entity.name] = Listing(
                entity.name, entity.slug, url, url + "index.html", entity=entity
            )

    def render(self, text: str, path: Path) -> str:
        """The page of the article `text` would be, if saved at `path`."""
        from pelican.contents import Article

        relative = path.relative_to(self.settings.content)
        with tempfile.TemporaryDirectory(dir=self._folder.name) as folder:
            copy = Path(folder) / relative
            copy.parent.mkdir(parents=True)
            copy.write_text(text, encoding="utf-8")
            try:
                article = self._generator.readers.read_file(
                    base_path=folder, path=str(relative), content_class=Article,
                    context=self._generator.context,
                )  # fmt: skip
            except Exception as err:  # the reader's or Pelican's refusal of a broken file
                raise BriefError(f"the page cannot be made yet: {err}") from err
        record = article.metadata["record"]
        view = ArticleView(
            content=article,
            record=record,
            href=article.url,
            entity_pages=[self._listings[n] for n in record.entities if n in self._listings],
        )
        return str(
            self._template.render(
                {
                    **self._generator.context,
                    "article": article,
                    "site": _Site(view, self._subscribe),
                    "pages": [],
                    "category": getattr(article, "category", None),
                }
            )
        )
