"""Our Pelican reader for Markdown: each file read once per build, its header with the same
parser `brief check` uses, its body split at `## Why it matters` and rendered once.

Pelican caches what a reader returns (`CACHE_CONTENT`), so an unchanged file is not even
read again on the next build. The metadata carries the two rendered parts and their
Markdown, for the site model and the digests.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from pelican.readers import BaseReader

from brief.content.articles import article_from, rendered
from brief.content.document import read_document, split_list
from brief.ground.markup import MarkdownRenderer
from brief.ground.settings import pelican_settings
from scrapers.entities import Watchlist, load_entities
from scrapers.errors import BriefError


class ArticleReader(BaseReader):  # type: ignore[misc]
    enabled = True
    file_extensions: ClassVar[list[str]] = ["md", "markdown", "mkd", "mdown"]

    def __init__(self, settings: dict[str, Any]):
        super().__init__(settings)
        self._renderer = MarkdownRenderer(settings["MARKDOWN"])
        self._watchlist = read_watchlist(settings)
        self._timezone = ZoneInfo(str(settings.get("TIMEZONE") or "UTC"))

    def read(self, source_path: str) -> tuple[str, dict[str, Any]]:
        document = read_document(Path(source_path))
        record = article_from(document, self._timezone)
        record = replace(
            record,
            entities=self._watchlist.canonical(record.entities),  # 抖音 is Douyin
            tags=tuple(t for t in record.tags if self._watchlist.resolve(t) is None),
            document=None,  # Pelican caches what a reader returns: not the file twice
        )
        html, record = rendered(record, self._renderer)
        formatted = set(self.settings.get("FORMATTED_FIELDS", ()))
        metadata: dict[str, Any] = {}
        for key, value in document.meta.items():
            text = self._renderer.render(value) if key in formatted else value
            if key == "tags":  # tags are topics; companies have their pages (`brief check`)
                tags = split_list(text)
                text = ", ".join(t for t in tags if self._watchlist.resolve(t) is None)
                if not text:
                    continue
            elif key == "entities":
                text = ", ".join(record.entities)
            metadata[key] = self.process_metadata(key, text)
        metadata["record"] = record  # the typed record the site model and digests read
        return html, metadata


def read_watchlist(settings: dict[str, Any]) -> Watchlist:
    """The watchlist (empty if it cannot be read: `brief check` and the build say why)."""
    try:
        return Watchlist(load_entities(pelican_settings(settings).entities))
    except (BriefError, KeyError):
        return Watchlist(())
