"""Rebuilding only what changed: Pelican's writer, told to skip pages whose inputs did not
change since they were written.

A page's inputs are the site's templates, settings, navigation and our code, and what the
page shows, read from the site model (`brief.site.model`): an article page shows its record, the
issues it appeared in, its related articles and companies; an issue page its articles in full; an
entity, source, tag or section page the title, date and source of each of its articles. A
fingerprint of those inputs is written into the page as a final comment; the next build
compares it before rendering and leaves an identical page alone. No content file is read
for this (Pelican's content cache spares the re-reading of unchanged Markdown).
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
        shown = self._shown(context, kwargs) if name and not kwargs.get("paginated") else None
        if shown is None:
            return super().write_file(name, template, context, *args, **kwargs)
        digest = hashlib.sha256(
            f"{self._site(context)}\n{template.name}\n{name}\n{shown}".encode()
        ).hexdigest()
        path = Path(self.output_path) / name
        if _stored_digest(path) == digest:
            self.skipped += 1
            self._written_files.add(str(path))  # still Pelican's, as if written again
            return None
        result = super().write_file(name, template, context, *args, **kwargs)
        with open(path, "ab") as handle:
            handle.write(MARK + digest.encode() + b" -->\n")
        return result

    def _shown(self, context: dict[str, Any], kwargs: dict[str, Any]) -> str | None:
        """What a page shows, or None for a page we do not know how to fingerprint."""
        site = context.get("site")
        if site is None:
            return None
        if (article := kwargs.get("article")) is not None:
            view = site.view(article)
            parts = [view.shown]
            parts += [f"issue {issue.title} {issue.url}" for issue in view.issues]
            parts += [f"related {other.listed}" for other in view.related]
            parts += [f"entity {page.name} {page.url}" for page in view.entity_pages]
            parts.append(f"category {article.category.url}")
            return "\n".join(parts)
        for key in ("issue", "entity", "source"):  # our pages: IssuePage and Listing
            if (page := kwargs.get(key)) is not None:
                return str(page.shown)
        if kwargs.get("template_name") in ("tag", "category") and "articles" in kwargs:
            # Our tag and section templates show only the articles of that tag or section.
            listed = "\n".join(site.view(a).listed for a in kwargs["articles"])
            return f"{kwargs.get('url')}\n{listed}"
        return None

    def _site(self, context: dict[str, Any]) -> str:
        """What every page shares: templates, settings, navigation."""
        if self._site_digest is None:
            digest = hashlib.sha256()
            theme = Path(self.settings["THEME"]) / "templates"
            for template in sorted(theme.rglob("*.html")):
                digest.update(template.read_bytes())
            # Our own code draws parts of pages (charts, sparklines, numbers): a new version
            # of it rewrites every page once.
            for source in sorted(Path(__file__).parents[1].rglob("*.py")):
                digest.update(source.read_bytes())
            for key in sorted(self.settings):
                if key.isupper() and not key.startswith(("PATH", "OUTPUT", "CACHE")):
                    digest.update(f"{key}={self.settings[key]!r}".encode())
            for page in context.get("pages", []):
                digest.update(f"{page.title} {page.url}".encode())
            digest.update(str(context.get("CANONICAL_BASE", "")).encode())
            self._site_digest = digest.hexdigest()
        return self._site_digest


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
