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
from brief.document import read_document
from brief.markup import MarkdownRenderer


class ArticleReader(BaseReader):  # type: ignore[misc]
    enabled = True
    file_extensions: ClassVar[list[str]] = ["md", "markdown", "mkd", "mdown"]

    def __init__(self, settings: dict[str, Any]):
        super().__init__(settings)
        self._renderer = MarkdownRenderer(settings["MARKDOWN"])

    def read(self, source_path: str) -> tuple[str, dict[str, Any]]:
        document = read_document(Path(source_path))
        body = render_body(document.body, document.body_line, self._renderer)
        formatted = set(self.settings.get("FORMATTED_FIELDS", ()))
        metadata: dict[str, Any] = {}
        for key, value in document.meta.items():
            text = self._renderer.render(value) if key in formatted else value
            metadata[key] = self.process_metadata(key, text)
        metadata["quote"] = body.quote_html
        metadata["annotation"] = body.annotation_html
        metadata["annotation_md"] = body.annotation_md
        metadata["annotation_line"] = body.annotation_line
        return body.html, metadata
