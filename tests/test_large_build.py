"""A newsletter past the sizes where the build shares its work: article pages written by
two processes, the digests rendered in a third. The site is the same whole site, and an
error in another process still fails the build, naming what broke."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bench.corpus import write_newsletter
from brief.site.incremental import SHARED_FROM
from brief.site.plugin import DIGESTS_APART_FROM
from tests.conftest import brief

pytestmark = pytest.mark.slow  # whole builds of a few hundred articles

ARTICLES = SHARED_FROM + 21  # an odd number: the two halves differ by one


@pytest.fixture(scope="module")
def large(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = write_newsletter(tmp_path_factory.mktemp("large") / "site", ARTICLES, per_issue=20)
    assert len(list((root / "content" / "issues").glob("*.md"))) >= DIGESTS_APART_FROM
    return root


def test_every_article_page_and_digest_is_written_whole(large: Path) -> None:
    brief(large, "build")
    output = large / "output"
    pages = sorted((output / "articles").rglob("index.html"))
    assert len(pages) == ARTICLES
    for page in pages:
        text = page.read_text(encoding="utf-8")
        number = int(re.search(r"story-(\d+)", str(page)).group(1))  # type: ignore[union-attr]
        assert f"({number})</h1>" in text, page  # its own article, not its neighbour's
        assert re.search(r"</html><!-- brief:inputs=[0-9a-f]{64} -->\n$", text), page
    weeks = {p.stem for p in (large / "content" / "issues").glob("*.md")}
    for kind in ("html", "txt", "eml"):
        assert {p.stem for p in (output / "digest").glob(f"*.{kind}")} == weeks


def test_an_error_in_the_other_writer_fails_the_build(large: Path) -> None:
    template = large / "themes" / "brief" / "templates" / "article.html"
    original = template.read_text(encoding="utf-8")
    # Only every other article page breaks: the ones the second process writes.
    broken = original.replace(
        "{% block content %}",
        "{% block content %}{% if article in articles[1::2] %}"
        "{{ article.no_such_field.still_missing }}{% endif %}",
        1,
    )
    template.write_text(broken, encoding="utf-8")
    try:
        result = brief(large, "build", check=False)
    finally:
        template.write_text(original, encoding="utf-8")
    assert result.returncode == 1
    assert "no_such_field" in result.stderr
    assert "article.html" in result.stderr  # which template, for the person who fixes it
