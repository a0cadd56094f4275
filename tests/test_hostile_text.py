"""Text in, text out: what a feed, a form or an outside file sends cannot slow the desk,
reach an export as control characters, run as an email service's merge tag, or point the
scraper at this machine."""

from __future__ import annotations

import csv
import io
import json
import re
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.conftest import brief, serve, write_feeds
from tests.service import Service


@contextmanager
def at_most(seconds: float) -> Iterator[None]:
    """Fail, instead of hanging the suite, when the block runs past `seconds` (a guard
    against quadratic work on hostile input, with a wide margin; the bench measures)."""

    def expire(signum: int, frame: object) -> None:
        raise AssertionError(f"still running after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


HOSTILE = {
    "money": "$1 million and ",
    "counts": "2.3 million viewers, ",
    "chinese": "直播间销售额500亿元，",  # noqa: RUF001 (Chinese punctuation)
    "one long clause": "word " * 5 + "12 ",
    "digits": "1 2 3 4 5 6 7 8 9 0 ",
}


@pytest.mark.parametrize("kind", list(HOSTILE))
def test_figure_finding_stays_linear_on_100_kb(kind: str) -> None:
    """100 KB of one repeated phrase (56 KB of "$1 million and " took 25 s before)."""
    from scrapers.figures import figures

    text = (HOSTILE[kind] * (100_000 // len(HOSTILE[kind]) + 1))[:100_000]
    with at_most(2.0):
        found = figures(text)
    assert len(found) <= 2  # one figure, repeated: each (value, unit) once


RSS = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Big</title>
<item><title>TikTok Shop live sales triple</title><link>https://big.example/a</link>
<description>{summary}</description></item></channel></rss>"""


def test_a_huge_summary_is_cut_at_a_word_and_flagged(newsletter: Path, tmp_path: Path) -> None:
    """A feed entry with a 600 KB summary is kept, cut to 20,000 characters at a word and
    flagged, so no single entry slows every `brief triage --json`."""
    root = tmp_path / "www"
    root.mkdir()
    sentence = "Live shopping sales rose 12% as hosts sold 3,000 units on TikTok Shop. "
    (root / "big.rss").write_text(RSS.format(summary=sentence * 8_500), encoding="utf-8")
    server = serve(root)
    feed = next(server)
    try:
        write_feeds(newsletter, {"Big": f"{feed.url}/big.rss"})
        scraped = brief(newsletter, "scrape", check=False)
    finally:
        next(server, None)
    assert "summary cut to 20,000 characters" in scraped.stderr + scraped.stdout
    with at_most(10.0):
        (row,) = json.loads(brief(newsletter, "triage", "--json").stdout)
    assert row["summary_cut"] is True
    assert len(row["summary"]) <= 20_000 and row["summary"].endswith(" …")
    kept = row["summary"][:-2]
    assert (sentence * 8_500).startswith(kept) and (sentence * 8_500)[len(kept)] == " "
    assert {"value": 12, "unit": "%", "text": "12%"} in row["figures"]


NAMES = [
    "Ana\x00Lima",
    "\x1b]8;;https://evil.example\x07click me\x1b]8;;\x07",
    "\x1b[31mRed\x1b[0m Reader",
    '=HYPERLINK("https://evil.example","x")',
    "'=already quoted",
    "+1 reader",
    'Zoë, "the" reader',
    "名字 测试",
    "Tab\there\u202eevil",
]


@pytest.mark.slow
def test_names_from_the_form_are_inert_and_round_trip(service: Service, tmp_path: Path) -> None:
    """Hostile names typed into the form are stored as plain text; `subscribers export`
    then `subscribers import` into another store gives the same list back."""
    for n, name in enumerate(NAMES):
        assert service.subscribe(f"reader{n}@example.org", name).status_code == 200
    service.wait_for_mail(len(NAMES))
    exported = brief(service.root, "subscribers", "export").stdout
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f\u202e]", exported)
    rows = list(csv.DictReader(io.StringIO(exported)))
    assert rows[3]["name"].startswith("'=") and rows[5]["name"].startswith("'+")  # formulas
    (tmp_path / "list.csv").write_text(exported, encoding="utf-8")
    other = tmp_path / "other.sqlite"
    imported = brief(service.root, "subscribers", "import", str(tmp_path / "list.csv"),
                     "--db", str(other))  # fmt: skip
    assert "0 bad rows" in imported.stdout

    def names(*db: str) -> dict[str, str | None]:
        listed = json.loads(brief(service.root, "subscribers", "list", "--json", *db).stdout)
        return {row["email"]: row["name"] for row in listed}

    kept = names()
    assert names("--db", str(other)) == kept
    assert kept["reader0@example.org"] == "AnaLima"
    assert kept["reader2@example.org"] == "Red Reader"
    assert kept["reader4@example.org"] == "'=already quoted"
    assert kept["reader6@example.org"] == 'Zoë, "the" reader'
    assert kept["reader8@example.org"] == "Tab hereevil"


def test_percent_encoded_merge_tags_are_inert_in_exports(sample: Path) -> None:
    """A link from a feed carrying an email service's merge tag, percent-encoded as links
    carry it: Mailchimp and listmonk decode a link before they merge, so it must not reach
    them whole."""
    article = sample / "content/articles/2026/black-friday-live-shows-need-a-reason-to-watch.md"
    hostile = "https://www.retaildive.com/x?u=*%7CEMAIL%7C*&v=%7B%7B.Subscriber.Email%7D%7D&w=%2a%7cLNAME%7c*"
    text = article.read_text(encoding="utf-8")
    article.write_text(text.replace("Link: https://www.retaildive.com/", f"Link: {hostile}"))
    for service in ("mailchimp", "listmonk", "buttondown"):
        brief(sample, "digest", "2026-W47", "--for", service)
        for suffix in ("html", "txt"):
            out = (sample / f"public/digest/2026-W47.{service}.{suffix}").read_text()
            assert "retaildive.com/x?u=" in out  # the link is still there...
            assert not re.search(r"(?:\*|%2A)(?:\||%7C)EMAIL", out, re.I), (service, suffix)
            assert not re.search(r"(?:\{|%7B)(?:\{|%7B)\.Subscriber", out, re.I)
            assert not re.search(r"(?:\*|%2A)(?:\||%7C)LNAME", out, re.I)


INTERNAL = [
    "http://127.0.0.1:8080/feed",
    "http://localhost/feed",
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/rss",
    "http://[::1]/feed",
    "http://[::ffff:127.0.0.1]/feed",
    "http://0x7f000001/feed",
    "http://2130706433/feed",
    "http://127.1/feed",
    "http://printer.local/feed",
    "http://admin.internal/feed",
]


def test_an_opml_file_cannot_point_the_scraper_inward(newsletter: Path) -> None:
    outlines = "\n".join(
        f'<outline type="rss" text="Feed {n}" xmlUrl="{url}"/>' for n, url in enumerate(INTERNAL)
    )
    opml = newsletter / "outside.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head/><body>'
        f'{outlines}<outline type="rss" text="Public" xmlUrl="https://public.example/feed"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    result = brief(newsletter, "sources", "import", str(opml))
    assert "1 feed added" in result.stdout
    for url in INTERNAL:
        assert url.split("//")[1].split("/")[0] in result.stderr, url
    assert result.stderr.count("on this machine or a private network") == len(INTERNAL)
    feeds = (newsletter / "feeds.toml").read_text()
    assert "public.example" in feeds and "127.0.0.1" not in feeds and "localhost" not in feeds
    allowed = brief(newsletter, "sources", "import", str(opml), "--allow-internal")
    assert f"{len(INTERNAL)} feeds added" in allowed.stdout
