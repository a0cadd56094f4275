"""Our Pelican reader for Markdown: each file read once per build, its header with the same
parser `brief check` uses, its body split at `## Why it matters` and rendered once.

Pelican caches what a reader returns (`CACHE_CONTENT`), so an unchanged file is not even
read again on the next build. The metadata carries the two rendered parts and their
Markdown, for the site model and the digests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from pelican.readers import BaseReader

from brief.articles import render_body
from brief.document import read_document, split_list
from brief.markup import MarkdownRenderer


class ArticleReader(BaseReader):  # type: ignore[misc]
    enabled = True
    file_extensions: ClassVar[list[str]] = ["md", "markdown", "mkd", "mdown"]

    def __init__(self, settings: dict[str, Any]):
        super().__init__(settings)
        self._renderer = MarkdownRenderer(settings["MARKDOWN"])
        self._companies = watchlist_names(settings)

    def read(self, source_path: str) -> tuple[str, dict[str, Any]]:
        document = read_document(Path(source_path))
        body = render_body(document.body, document.body_line, self._renderer)
        formatted = set(self.settings.get("FORMATTED_FIELDS", ()))
        metadata: dict[str, Any] = {}
        for key, value in document.meta.items():
            text = self._renderer.render(value) if key in formatted else value
            if key == "tags":  # tags are topics; companies have their pages (`brief check`)
                text = ", ".join(t for t in split_list(text) if t.casefold() not in self._companies)
                if not text:
                    continue
            metadata[key] = self.process_metadata(key, text)
        metadata["quote"] = body.quote_html
        metadata["annotation"] = body.annotation_html
        metadata["annotation_md"] = body.annotation_md
        metadata["annotation_line"] = body.annotation_line
        return body.html, metadata


def watchlist_names(settings: dict[str, Any]) -> frozenset[str]:
    """Every watchlist name and alias, case-folded (empty if the watchlist cannot be read:
    the build reports that itself)."""
    from brief.plugin import plugin_settings
    from scrapers.entities import company_names, load_entities
    from scrapers.errors import BriefError

    try:
        entities = load_entities(plugin_settings(settings).entities)
    except (BriefError, KeyError):
        return frozenset()
    return company_names(entities)
