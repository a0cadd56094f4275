"""The newsletter's content directory: reading it whole, and writing new files safely.

This is the only module that writes under `content/`. It writes atomically (a temporary
file, then a link into place) and never replaces a file that exists: editors' words
are never overwritten.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from brief.articles import Article, article_from
from brief.document import read_document
from brief.errors import ContentError
from brief.issues import Issue, issue_from
from brief.settings import Settings


@dataclass(frozen=True)
class Newsletter:
    """Every article and issue file, and the files that could not be read at all."""

    articles: dict[str, Article]
    issues: dict[str, Issue]
    unreadable: list[ContentError] = field(default_factory=list)
    duplicates: list[tuple[Article, Article]] = field(default_factory=list)

    def issue(self, week: str) -> Issue:
        try:
            return self.issues[week]
        except KeyError:
            raise ContentError(
                f"no issue {week}: expected content/issues/{week}.md"
                f" (start one with: brief issue new --week {week})"
            ) from None

    def issues_containing(self, slug: str) -> list[Issue]:
        return [issue for issue in self.issues.values() if slug in issue.slugs]


def load_newsletter(settings: Settings) -> Newsletter:
    articles: dict[str, Article] = {}
    duplicates: list[tuple[Article, Article]] = []
    unreadable: list[ContentError] = []
    for path in sorted((settings.content / "articles").rglob("*.md")):
        try:
            article = article_from(read_document(path), settings.timezone)
        except ContentError as err:
            unreadable.append(err)
            continue
        if article.slug in articles:
            duplicates.append((articles[article.slug], article))
        else:
            articles[article.slug] = article
    issues: dict[str, Issue] = {}
    for path in sorted((settings.content / "issues").glob("*.md")):
        try:
            issue = issue_from(read_document(path), settings.timezone)
        except ContentError as err:
            unreadable.append(err)
            continue
        issues[issue.week or path.stem] = issue
    return Newsletter(articles, issues, unreadable, duplicates)


def write_new_file(path: Path, text: str) -> None:
    """Create `path` with `text`, atomically; refuse if anything is already there."""
    if path.exists():
        raise ContentError("already exists; not overwriting an editor's file", path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        # link() fails if the name exists, even if another process created it just now.
        os.link(temp, path)
    except FileExistsError as err:
        raise ContentError("already exists; not overwriting an editor's file", path) from err
    finally:
        os.unlink(temp)
