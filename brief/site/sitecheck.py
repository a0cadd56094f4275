"""Before a build writes anything: every page has a safe slug and a file of its own.

A slug like `../../issues/2026-w47` would write over another page; two files with one
slug would leave one of them out; control characters in a title would stop the feed
writer half way. Each is reported as `path:line` and the build stops before writing.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from pathlib import Path
from typing import Any

from brief.content.document import read_document
from brief.ground.errors import BriefError, SiteError
from brief.ground.paths import display_path
from scrapers.clean import inert_text, slug_problem

_CONTENT_LISTS = (
    "articles", "translations", "drafts", "drafts_translations", "hidden_articles",
    "hidden_translations", "pages", "hidden_pages", "draft_pages", "draft_translations",
)  # fmt: skip


def check_site(generators: list[Any]) -> None:
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
    """`path:line` for a problem in `source` (the path is worked out only when needed)."""
    return lambda line: f"{display_path(Path(source)) if source else '(generated page)'}:{line}"


def _slug_line(source: str) -> int:
    return _meta_line(source, "slug")


def _meta_line(source: str, key: str) -> int:
    try:
        return read_document(Path(source)).line_of(key.lower())
    except (BriefError, OSError):
        return 1
