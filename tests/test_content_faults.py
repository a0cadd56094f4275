"""Content files and the build when titles, slugs, line endings, disks and kills go wrong."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from scrapers.clean import SLUG_MAX, slug_problem
from tests.conftest import in_namespace, run_brief, write_feeds

WEEK = "2026-W47"


def _feed(root: Path, titles: list[str]) -> Path:
    items = "".join(
        f"<item><title>{escape(title)}</title><link>https://news.example/{n}</link>"
        f"<description>Live shopping story {n}</description>"
        f"<pubDate>Tue, 10 Nov 2026 10:00:00 +0000</pubDate></item>"
        for n, title in enumerate(titles)
    )
    path = root / "titles.rss"
    path.write_text(
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>T</title>'
        f"{items}</channel></rss>",
        encoding="utf-8",
    )
    write_feeds(root, {"Titles": str(path)})
    assert run_brief(root, "scrape").code == 0
    return path


def _ids(root: Path) -> list[int]:
    return [row["id"] for row in json.loads(run_brief(root, "triage", "--json").stdout)]


def test_every_slug_brief_makes_is_one_check_accepts(newsletter: Path) -> None:
    titles = [
        "Live_shopping_grows at_last",
        "Live shopping " * 40,  # far beyond any file name limit
        "抖音直播带货创下新纪录",
        "抖音直播带货创下新纪录",  # the same Chinese title again
        "CON",
        "Lpt1",
        "???",
    ]
    _feed(newsletter, titles)
    result = run_brief(newsletter, "accept", *map(str, _ids(newsletter)))
    assert result.code == 0, result.output  # the whole batch, none abandoned
    paths = [Path(line) for line in result.stdout.split()]
    slugs = [p.stem for p in paths]
    assert len(slugs) == len(titles) == len(set(slugs))
    for slug in slugs:
        assert slug_problem(slug) is None, slug
        assert len(slug.encode()) <= SLUG_MAX
    assert "live-shopping-grows-at-last" in slugs
    assert "dou-yin-zhi-bo-dai-huo-chuang-xia-xin-ji" in slugs  # readable, not "item"
    assert "dou-yin-zhi-bo-dai-huo-chuang-xia-xin-ji-2" in slugs
    assert "con-item" in slugs and "lpt1-item" in slugs and "con" not in slugs
    check = run_brief(newsletter, "check")
    assert "slug" not in check.stdout, check.stdout


def test_publish_edits_the_header_whatever_the_line_endings(sample: Path) -> None:
    issue = sample / "content" / "issues" / "2026-W47.md"
    issue.write_text(issue.read_text().replace("Status: published", "Status: draft"))
    articles = sample / "content" / "articles" / "2026"
    crlf = articles / "amazon-live-puts-influencers-next-to-the-buy-button.md"
    crlf.write_bytes(
        crlf.read_bytes().replace(b"\n", b"\r\n").replace(b"Status: published", b"Status: draft")
    )
    spaced = articles / "youtube-shopping-lets-creators-tag-products.md"
    text = spaced.read_text().replace("Status: published", "Status: draft")
    head, body = text.split("\n\n", 1)
    spaced.write_text(head + "\n   \n" + body)  # a separator line holding spaces
    crlf.chmod(0o640)
    separators = {crlf: b"\r\n\r\n", spaced: b"\n   \n"}
    bodies = {path: path.read_bytes().split(sep, 1)[1] for path, sep in separators.items()}
    result = run_brief(sample, "issue", "publish", WEEK)
    assert result.code == 0, result.output
    for path, separator in separators.items():
        header, body = path.read_bytes().split(separator, 1)
        assert b"Published: " in header and b"Status: published" in header
        assert body == bodies[path]  # the annotation is untouched, nothing appended to it
    assert b"\n" not in crlf.read_bytes().replace(b"\r\n", b"")  # still CRLF throughout
    assert stat.S_IMODE(crlf.stat().st_mode) == 0o640  # the file keeps its mode


@pytest.mark.parametrize("umask", [0o022, 0o027])
def test_new_files_follow_the_umask(newsletter: Path, umask: int) -> None:
    _feed(newsletter, ["Live shopping grows"])
    old = os.umask(umask)
    try:
        (path,) = run_brief(newsletter, "accept", *map(str, _ids(newsletter))).stdout.split()
    finally:
        os.umask(old)
    assert stat.S_IMODE((newsletter / path).stat().st_mode) == 0o666 & ~umask


@pytest.mark.slow
def test_a_half_done_publish_is_reported_and_finished_by_publishing_again(sample: Path) -> None:
    """Every file is replaced atomically and the issue goes first, so a publish killed at any
    moment leaves the issue published and the first k articles published: try every k."""
    issue = sample / "content" / "issues" / "2026-W47.md"
    listed = issue.read_text().split("## Who moved")[0]
    slugs = [line[2:].split()[0] for line in listed.splitlines() if line.startswith("- ")]
    articles = [sample / "content" / "articles" / "2026" / f"{slug}.md" for slug in slugs]
    for done in range(len(articles)):
        for number, path in enumerate(articles):
            text = path.read_text()
            if number >= done:
                text = text.replace("Status: published", "Status: draft")
            path.write_text(text)
        dated = issue.read_text()
        result = run_brief(sample, "check")
        assert result.code == 1
        assert f"{slugs[done]!r} is still a draft in a published issue: a publish did not" in (
            result.stdout
        )
        assert f"run `brief issue publish {WEEK}` again" in result.stdout
        again = run_brief(sample, "issue", "publish", WEEK)
        assert again.code == 0, again.output
        assert all("Status: published" in p.read_text() for p in articles)
        assert issue.read_text() == dated  # the issue keeps its date
        assert run_brief(sample, "check").code == 0


@pytest.mark.slow
@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("Slug: ../../issues/2026-w47", "slug '../../issues/2026-w47' must be lower-case"),
        ("Slug: tv-shopping-was-live-commerce-first", "is also written for"),
        ("Title: Bell \x07 and escape \x1b[2J", "Title holds control characters"),
    ],
)
def test_a_bad_slug_or_title_stops_the_build_before_anything_is_written(
    sample: Path, change: str, words: str
) -> None:
    assert run_brief(sample, "build").code == 0
    issue_page = sample / "output" / "issues" / "2026-w47" / "index.html"
    before = {p: p.read_bytes() for p in (sample / "output").rglob("*.html")}
    source = (
        sample
        / "content"
        / "articles"
        / "2026"
        / "whatnot-built-live-shopping-around-collectors.md"
    )
    evil = source.with_name("evil.md")
    key = change.split(":")[0]
    lines = [
        change if line.startswith(f"{key}:") else "Slug: evil" if line.startswith("Slug:") else line
        for line in source.read_text().splitlines()
    ]
    evil.write_text("\n".join(lines) + "\n")
    line = next(n for n, text in enumerate(lines, 1) if text.startswith(f"{key}:"))
    result = run_brief(sample, "build")
    assert result.code == 1
    assert f"content/articles/2026/evil.md:{line}: " in result.stderr and words in result.stderr
    assert "nothing was written" in result.stderr
    assert issue_page.read_bytes() == before[issue_page]
    assert {p: p.read_bytes() for p in (sample / "output").rglob("*.html")} == before
    checked = run_brief(sample, "check")  # brief check says the same, with the same line
    assert checked.code == 1 and f"content/articles/2026/evil.md:{line}: error: " in checked.stdout


@pytest.mark.slow
def test_a_full_disk_during_the_build_is_an_error(sample: Path) -> None:
    (sample / "output").mkdir()
    for size in ("600k", "1300k"):  # pages cannot be written / the search index is cut short
        result = in_namespace(sample, f"mount -t tmpfs -o size={size} tmpfs output", "build")
        assert result.returncode == 1, (size, result.stderr)
        assert "Traceback" not in result.stderr
        assert "No space left on device" in result.stderr or "is the disk full?" in result.stderr


def test_accept_on_a_full_disk_keeps_content_and_ledger_in_step(newsletter: Path) -> None:
    _feed(newsletter, ["Live shopping grows", "Live selling spreads"])
    ids = _ids(newsletter)
    conf = newsletter / "pelicanconf.py"
    conf.write_text(conf.read_text() + '\nBRIEF_LEDGER = "ledger/written.json"\n')
    (newsletter / "ledger").mkdir()
    fill = "mount -t tmpfs -o size=16k tmpfs ledger\ndd if=/dev/zero of=ledger/fill bs=1k count=64 2>/dev/null || true"
    result = in_namespace(newsletter, fill, "accept", *map(str, ids))
    assert result.returncode == 1, result.stderr
    assert "ledger/written.json: cannot write: No space left on device" in result.stderr
    assert "was not written either" in result.stderr
    assert list((newsletter / "content" / "articles").rglob("*.md")) == []
    rows = json.loads(run_brief(newsletter, "triage", "--json").stdout)
    assert sorted(r["id"] for r in rows) == sorted(ids)  # both still undecided
    later = run_brief(newsletter, "accept", *map(str, ids))  # with room again, all goes well
    assert later.code == 0 and len(later.stdout.split()) == 2


def test_accept_into_a_read_only_content_folder_names_it(newsletter: Path) -> None:
    _feed(newsletter, ["Live shopping grows"])
    ids = _ids(newsletter)
    result = in_namespace(
        newsletter,
        "mount --bind content content\nmount -o remount,ro,bind content",
        "accept",
        *map(str, ids),
    )
    assert result.returncode == 1
    assert "content/articles" in result.stderr and "Read-only file system" in result.stderr
    assert json.loads(run_brief(newsletter, "triage", "--json").stdout)[0]["status"] == "new"
