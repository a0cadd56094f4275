"""Rebuilding only what changed: Pelican's writer, told to skip article pages whose inputs
did not change since they were written.

An article page shows its own file, the issues it appeared in, its related articles, its
companies, the site's navigation and settings, through the theme's templates. A digest of
all of that is written into the page as a final comment; the next build compares it before
rendering, and leaves an identical page alone. (Pelican's content cache, on in
pelicanconf.py, already spares the re-reading of unchanged Markdown.)
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Any

from pelican.writers import Writer

MARK = b"<!-- brief:inputs="


class IncrementalWriter(Writer):  # type: ignore[misc]
    def __init__(self, output_path: str, settings: dict[str, Any]):
        super().__init__(output_path, settings=settings)
        self._site_digest: str | None = None
        self.skipped = 0

    def write_file(
        self, name: str, template: Any, context: dict[str, Any], *args: Any, **kwargs: Any
    ) -> Any:
        article = kwargs.get("article")
        if not name or article is None or kwargs.get("paginated"):
            return super().write_file(name, template, context, *args, **kwargs)
        digest = self._article_digest(article, context)
        path = Path(self.output_path) / name
        if _stored_digest(path) == digest:
            self.skipped += 1
            self._written_files.add(str(path))  # still Pelican's, as if written again
            return None
        result = super().write_file(name, template, context, *args, **kwargs)
        with open(path, "ab") as handle:
            handle.write(MARK + digest.encode() + b" -->\n")
        return result

    def _article_digest(self, article: Any, context: dict[str, Any]) -> str:
        """Everything the article's page shows, from the site model (`brief.model`)."""
        view = context["site"].view(article)
        parts = [self._site(context), _file_digest(article.source_path), view.href]
        for issue in view.issues:
            parts.append(f"issue {issue.title} {issue.url}")
        for other in view.related:
            parts.append(f"related {other.title} {other.href} {other.date} {other.source}")
        for page in view.entity_pages:
            parts.append(f"entity {page.name} {page.url}")
        parts.append(f"category {article.category} {article.category.url}")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()

    def _site(self, context: dict[str, Any]) -> str:
        """What every page shares: templates, settings, navigation."""
        if self._site_digest is None:
            digest = hashlib.sha256()
            theme = Path(self.settings["THEME"]) / "templates"
            for template in sorted(theme.rglob("*.html")):
                digest.update(template.read_bytes())
            for key in sorted(self.settings):
                if key.isupper() and not key.startswith(("PATH", "OUTPUT", "CACHE")):
                    digest.update(f"{key}={self.settings[key]!r}".encode())
            for page in context.get("pages", []):
                digest.update(f"{page.title} {page.url}".encode())
            digest.update(str(context.get("CANONICAL_BASE", "")).encode())
            self._site_digest = digest.hexdigest()
        return self._site_digest


def _file_digest(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _stored_digest(path: Path) -> str | None:
    try:
        with open(path, "rb") as handle:
            handle.seek(max(0, os.path.getsize(path) - 200))
            tail = handle.read()
    except OSError:
        return None
    start = tail.rfind(MARK)
    if start < 0:
        return None
    return tail[start + len(MARK) :].split(b" ", 1)[0].decode()
