"""The editor's week, second pass: issues that assemble right, the real publisher, a faster
queue, ranking and messages an editor trusts."""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

import pexpect
import pytest

from brief.content.document import read_document
from brief.content.issues import issue_from
from tests.conftest import FEEDS, Server, brief, write_feeds, write_sample_feeds


def _accept_all(newsletter: Path) -> list[Path]:
    rows = json.loads(brief(newsletter, "triage", "--json").stdout)
    out = brief(newsletter, "accept", *(str(r["id"]) for r in rows)).stdout.split()
    return [newsletter / line for line in out]


def test_issue_new_takes_every_accepted_article_whatever_its_date(newsletter: Path) -> None:
    write_feeds(newsletter, {"Creators": str(FEEDS / "creators.json")})
    brief(newsletter, "scrape")
    paths = _accept_all(newsletter)
    # The stories are from November 2026; the issue is for a week months later.
    made = brief(newsletter, "issue", "new", "--week", "2027-W10")
    path = newsletter / made.stdout.strip()
    assert f"{len(paths)} articles in issue 2027-W10" in made.stderr
    text = path.read_text(encoding="utf-8")
    for article in paths:
        title = read_document(article).meta["title"]
        line = next(line for line in text.splitlines() if line.startswith(f"- {article.stem}"))
        assert line.endswith(f"<!-- {title} · Creators -->")  # headline and outlet at a glance
    from zoneinfo import ZoneInfo

    issue = issue_from(read_document(path), ZoneInfo("UTC"))
    assert issue.problems == () and sorted(issue.slugs) == sorted(p.stem for p in paths)

    # Everything is in an issue now: a second issue has nothing to hold and is not written.
    refused = brief(newsletter, "issue", "new", "--week", "2027-W11", check=False)
    assert refused.returncode == 1
    assert "nothing to put in issue 2027-W11" in refused.stderr
    assert not (newsletter / "content" / "issues" / "2027-W11.md").exists()
    assert "2027-W11" not in brief(newsletter, "check", check=False).stdout  # no stray issue


def test_an_empty_store_writes_no_issue_and_check_stays_clean(newsletter: Path) -> None:
    refused = brief(newsletter, "issue", "new", check=False)
    assert refused.returncode == 1 and "nothing to put in issue" in refused.stderr
    assert not list((newsletter / "content").rglob("issues/*.md"))


def test_a_headline_cannot_end_the_slug_comment(newsletter: Path) -> None:
    from brief.content.articles import Article
    from brief.content.issues import slug_note

    article = Article(
        path=Path("x.md"), slug="x", title="Ends here --> - slug-injection", date=None,
        section="", status="draft", source="Out--let", link="", entities=(), tags=(),
        summary_md="", annotation_md="", annotation_line=None,
    )  # fmt: skip
    note = slug_note(article)
    assert note.startswith("<!-- ") and note.endswith(" -->")
    assert "--" not in note[4:-3]


def _aggregator(newsletter: Path, flag: bool = True) -> None:
    lines = [
        "[[source]]",
        'name = "Google News: live shopping"',
        f'url = "{FEEDS / "aggregator.xml"}"',
    ]
    if flag:
        lines.append("aggregator = true")
    (newsletter / "feeds.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_an_aggregator_credits_the_real_publisher(newsletter: Path) -> None:
    _aggregator(newsletter)
    brief(newsletter, "scrape")
    rows = {r["outlet"]: r for r in json.loads(brief(newsletter, "triage", "--json").stdout)}
    assert set(rows) == {"Reuters", "Modern Retail", "Jing Daily"}
    reuters = rows["Reuters"]
    assert reuters["title"] == "TikTok Shop signs up 5,000 new live sellers in Britain"
    assert reuters["source"] == "Google News: live shopping"  # the feed it came through
    assert reuters["link"] == (
        "https://www.reuters.com/business/retail/tiktok-shop-live-sellers-britain-2026-11-20/?id=7"
    )
    # A dash inside the headline stays; only the publisher's suffix goes.
    assert rows["Modern Retail"]["title"] == "Whatnot's live auctions - what sellers say"
    assert rows["Modern Retail"]["link"] == "https://www.modernretail.co/whatnot-live-auctions/"
    # No <source>: an aggregator's " - Publisher" names the outlet.
    assert rows["Jing Daily"]["title"] == "Douyin hosts sell out winter coats in a live stream"

    path = newsletter / brief(newsletter, "accept", str(reuters["id"])).stdout.strip()
    header = path.read_text(encoding="utf-8").split("\n\n")[0]
    assert "Source: Reuters" in header.splitlines()
    assert (
        "Link: https://www.reuters.com/business/retail/tiktok-shop-live-sellers-britain-2026-11-20/?id=7"
        in header
    )
    text = path.read_text(encoding="utf-8") + "\n## Why it matters\n\nWords.\n"
    path.write_text(text.replace("Status: draft", "Status: published"), encoding="utf-8")
    brief(newsletter, "build")
    page = (newsletter / "output" / "articles" / "2026" / path.stem / "index.html").read_text()
    assert "What Reuters reported" in page and "Google News" not in page


def test_a_plain_feed_keeps_its_name_and_dashed_titles(newsletter: Path) -> None:
    _aggregator(newsletter, flag=False)  # a local file: not recognised as an aggregator
    brief(newsletter, "scrape")
    rows = json.loads(brief(newsletter, "triage", "--json").stdout)
    by_title = {r["title"]: r for r in rows}
    # Items that name their <source> still credit it; one that names none keeps its title.
    assert by_title["TikTok Shop signs up 5,000 new live sellers in Britain"]["outlet"] == "Reuters"
    coats = by_title["Douyin hosts sell out winter coats in a live stream - Jing Daily"]
    assert coats["outlet"] == "Google News: live shopping"


def test_google_and_bing_news_are_recognised_by_address() -> None:
    from scrapers.sources import is_aggregator_url

    assert is_aggregator_url("https://news.google.com/rss/search?q=live+shopping")
    assert is_aggregator_url("https://www.bing.com/news/search?q=live+shopping&format=rss")
    assert not is_aggregator_url("https://www.bing.com/search?q=x")
    assert not is_aggregator_url("https://www.reuters.com/feed/")


# -- a faster queue --------------------------------------------------------------------------


def _rows(root: Path, *args: str) -> list[dict[str, object]]:
    return json.loads(brief(root, "triage", "--json", *args).stdout)


def test_interactive_edit_section_and_narrow_keys(scraped: Path, tmp_path: Path) -> None:
    editor = tmp_path / "fake-editor"
    editor.write_text('#!/bin/sh\nprintf "\\nWritten in the editor.\\n" >> "$1"\n')
    editor.chmod(0o755)
    rows = _rows(scraped)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "brief", "triage", "-i"],
        cwd=str(scraped),
        env={
            "BRIEF_EDITOR": "Ada", "PATH": "/usr/bin:/bin", "TERM": "dumb",
            "HOME": str(scraped), "EDITOR": str(editor), "VISUAL": str(editor),
        },
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 120),
    )  # fmt: skip
    child.expect(r"\[1/\d+\]")
    child.expect(r"\[q\]uit")
    child.send("c")  # change the section: a numbered list, then the number
    child.expect(r"section number")
    child.sendline("5")
    child.expect(r"section: Deals")
    child.send("e")  # accept (in Deals) and open the draft in $EDITOR
    child.expect(r"accepted: (content/articles/2026/\S+\.md)")
    first = scraped / child.match.group(1)
    child.expect(r"edited: ")
    child.expect(r"\[2/\d+\]")
    child.send("/")  # narrow what is left to stories with a word
    child.expect(r"narrow to stories with")
    child.sendline("Douyin")
    child.expect(r"(\d+) stor(y|ies) with 'douyin'")
    left = int(child.match.group(1))
    child.expect(rf"\[2/{1 + left}\]")
    child.expect(r"Douyin")
    child.send("q")
    child.expect(pexpect.EOF)
    text = first.read_text(encoding="utf-8")
    assert "Category: Deals" in text and text.rstrip().endswith("Written in the editor.")
    assert left < len(rows) - 1


def test_bulk_reject_and_undo_take_the_batch(scraped: Path) -> None:
    before = _rows(scraped)
    scores = sorted(r["score"] for r in before)
    below = (scores[-2] + scores[-1]) / 2  # all but the best
    low = [r for r in before if r["score"] < below]
    assert len(low) >= 3 and len(low) < len(before)
    shortlisted = low[0]["id"]
    brief(scraped, "shortlist", str(shortlisted))  # the editor's pick stays
    result = brief(scraped, "reject", "--below", f"{below:.4f}")
    assert result.stdout.startswith(f"rejected {len(low) - 1} stories")
    left = {r["id"] for r in _rows(scraped)}
    assert left == {r["id"] for r in before if r["score"] >= below} | {shortlisted}
    undone = brief(scraped, "undo")
    assert f"undone: {len(low) - 1} decisions" in undone.stdout
    assert {r["id"] for r in _rows(scraped)} == {r["id"] for r in before}
    # Then the shortlist is the latest decision: one more undo takes it back alone.
    assert "undone: 1 decision " in brief(scraped, "undo").stdout
    assert not any(r["shortlisted"] for r in _rows(scraped))
    assert brief(scraped, "undo").stdout.strip() == "Nothing to undo."


def test_bulk_reject_by_age_and_source(scraped: Path) -> None:
    everything = _rows(scraped)
    result = brief(scraped, "reject", "--below", "1", "--source", "Creators")
    creators = [r for r in everything if r["source"] == "Creators"]
    assert result.stdout.startswith(f"rejected {len(creators)} stor")
    assert all(r["source"] != "Creators" for r in _rows(scraped))
    assert brief(scraped, "reject", "--below", "1", "--older-than", "36500d").stdout.startswith(
        "rejected 0 stories"
    )
    usage = brief(scraped, "reject", "--source", "Creators", check=False)
    assert usage.returncode == 2


def test_entity_filter_matches_names_aliases_and_slugs(scraped: Path) -> None:
    exact = _rows(scraped, "--entity", "TikTok Shop")
    assert exact
    for term in ("tiktok", "TIKTOK SHOP", "tiktok-shop", "TikTok Shopping"):
        assert _rows(scraped, "--entity", term) == exact, term
    douyin = _rows(scraped, "--entity", "抖音")
    assert douyin == _rows(scraped, "--entity", "Douyin")
    ambiguous = brief(scraped, "triage", "--entity", "ama", check=False)
    assert ambiguous.returncode == 2
    assert (
        "could be: Amazon Live, Amazon" in ambiguous.stderr
        or "could be: Amazon, Amazon Live" in ambiguous.stderr
    )
    assert _rows(scraped, "--entity", "amazon") == _rows(
        scraped, "--entity", "Amazon"
    )  # exact wins
    unknown = brief(scraped, "triage", "--entity", "nobody", check=False)
    assert unknown.returncode == 2 and "no company or platform" in unknown.stderr


# -- ranking -----------------------------------------------------------------------------------


def test_a_fresh_story_two_outlets_ran_outranks_an_old_feature(newsletter: Path) -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime.now(UTC)

    def feed(path: Path, items: list[tuple[str, str, str, datetime]]) -> None:
        path.write_text(
            json.dumps(
                {
                    "version": "https://jsonfeed.org/version/1.1",
                    "title": path.stem,
                    "items": [
                        {"id": f"{path.stem}-{n}", "url": url, "title": title,
                         "content_text": text, "date_published": when.isoformat()}
                        for n, (title, url, text, when) in enumerate(items)
                    ],
                }
            ),
            encoding="utf-8",
        )  # fmt: skip

    old_feature = (
        "Live shopping: the long read on livestream commerce and live selling in the US",
        "https://a.example.com/feature",
        "A long feature on live shopping, livestream shopping and live commerce in America.",
        now - timedelta(days=6),
    )
    fresh = (
        "Whatnot opens live shopping to sellers in Germany",
        "https://a.example.com/whatnot-germany",
        "The live shopping marketplace Whatnot said it opened to German sellers.",
        now - timedelta(hours=3),
    )
    fresh_copy = (
        fresh[0],
        "https://b.example.com/whatnot-germany",
        fresh[2],
        now - timedelta(hours=2),
    )
    feed(newsletter / "a.json", [old_feature, fresh])
    feed(newsletter / "b.json", [fresh_copy])
    write_feeds(newsletter, {"A": str(newsletter / "a.json"), "B": str(newsletter / "b.json")})
    brief(newsletter, "scrape")
    rows = _rows(newsletter)
    assert [r["title"] for r in rows] == [fresh[0], old_feature[0]]
    assert rows[1]["score"] > rows[0]["score"]  # the feature is more relevant, and older
    terms = {t["term"]: t for t in rows[0]["rank_terms"]}
    assert terms["outlets"]["value"] > 0 and terms["freshness"]["value"] > 0.9
    assert (
        rows[0]["rank"] == round(sum(t["value"] * t["weight"] for t in rows[0]["rank_terms"]), 3)
        or abs(rows[0]["rank"] - sum(t["value"] * t["weight"] for t in rows[0]["rank_terms"]))
        < 0.001
    )
    # With freshness and outlets weighted 0, relevance alone puts the feature first.
    rules = newsletter / "relevance.toml"
    rules.write_text(
        rules.read_text() + "\n[ranking]\nfreshness = 0\noutlets = 0\n", encoding="utf-8"
    )
    assert [r["title"] for r in _rows(newsletter)] == [old_feature[0], fresh[0]]


# -- a queue that learns -------------------------------------------------------------------------


DECISIONS = [
    json.loads(line)
    for line in (FEEDS.parent / "decisions.jsonl").read_text(encoding="utf-8").splitlines()
]


def _decided(newsletter: Path, items: list[dict[str, str]]) -> dict[str, int]:
    """Scrape the sample decisions as a feed and make them through the CLI: shortlist what
    the editor accepted, reject the rest. The ids, by title."""
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 11, 1, tzinfo=UTC)
    # Published in an order unlike the file's (kept ones first): a model is measured
    # forward in time, on the decisions about the later stories.
    order = sorted(
        range(len(items)), key=lambda n: hashlib.sha256(items[n]["title"].encode()).digest()
    )
    hours = {n: at for at, n in enumerate(order)}
    feed = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "Decisions",
        "items": [
            {"id": f"d{n}", "url": f"https://d.example.com/{n}", "title": item["title"],
             "content_text": item["text"],
             "date_published": (start + timedelta(hours=hours[n])).isoformat()}
            for n, item in enumerate(items)
        ],
    }  # fmt: skip
    (newsletter / "decisions.json").write_text(json.dumps(feed), encoding="utf-8")
    write_feeds(newsletter, {"Decisions": str(newsletter / "decisions.json")})
    brief(newsletter, "scrape")
    ids = {r["title"]: r["id"] for r in _rows(newsletter, "--limit", "1000")}
    keep = [
        str(ids[i["title"]]) for i in items if i["decision"] == "accepted" and i["title"] in ids
    ]
    drop = [
        str(ids[i["title"]]) for i in items if i["decision"] == "rejected" and i["title"] in ids
    ]
    brief(newsletter, "shortlist", *keep)
    brief(newsletter, "reject", *drop)
    return ids


@pytest.mark.slow
def test_training_on_the_sample_decisions_beats_the_rules(newsletter: Path) -> None:
    ids = _decided(newsletter, DECISIONS)
    assert len(ids) >= 60  # the whole sample was stored (none clustered away)
    result = brief(newsletter, "relevance", "train")
    out = result.stdout
    assert out.startswith(f"Trained on {len(ids)} decisions")
    ap = {
        name: float(out.split(name)[1].split()[0 if name != "blend" else 2])
        for name in ("rules alone", "model alone", "blend")
    }
    assert ap["blend"] > ap["rules alone"], out
    assert ap["model alone"] > ap["rules alone"], out
    assert (newsletter / "data" / "relevance-model.joblib").is_file()

    # Triage now blends both; --explain shows each part and the total.
    rows = _rows(newsletter, "--status", "all", "--limit", "1000")
    terms = {t["term"] for t in rows[0]["rank_terms"]}
    assert {"rules", "model", "freshness", "outlets"} <= terms
    explained = brief(newsletter, "triage", "--explain", str(rows[0]["id"])).stdout
    assert "  rules " in explained and "  model " in explained and "  total " in explained
    # ... and what moved the model's score most: words, and what the rules knew of it.
    pushes = explained.split("what moved its score most, in log-odds:\n")[1].splitlines()
    assert 1 <= len(pushes) <= 8
    assert all(float(line.split()[0]) != 0 for line in pushes), pushes
    assert any(" rule '" in line or " about " in line for line in pushes), explained


def test_training_refuses_politely_with_too_few_decisions(newsletter: Path) -> None:
    _decided(newsletter, DECISIONS[:4] + DECISIONS[-4:])
    refused = brief(newsletter, "relevance", "train", check=False)
    assert refused.returncode == 1
    assert (
        "not enough decisions to learn from yet: 4 accepted or shortlisted and 4 rejected"
        in refused.stderr
    )
    assert not (newsletter / "data" / "relevance-model.joblib").exists()


def test_the_model_never_lets_an_excluded_story_in(newsletter: Path) -> None:
    _decided(newsletter, DECISIONS)
    brief(newsletter, "relevance", "train")
    sponsored = {
        "title": "TikTok Shop raises seller fees on live sales in Canada",
        "text": "Sponsored content: the platform will take a larger commission on live orders.",
        "decision": "accepted",
    }
    (newsletter / "more.json").write_text(
        json.dumps(
            {
                "version": "https://jsonfeed.org/version/1.1",
                "title": "More",
                "items": [{"id": "m1", "url": "https://m.example.com/1", "title": sponsored["title"],
                           "content_text": sponsored["text"], "date_published": "2026-11-20T00:00:00Z"}],
            }
        ),
        encoding="utf-8",
    )  # fmt: skip
    write_feeds(newsletter, {"More": str(newsletter / "more.json")})
    brief(newsletter, "scrape")
    titles = {r["title"] for r in _rows(newsletter, "--status", "all", "--limit", "1000")}
    assert sponsored["title"] not in titles  # the rules' exclude holds, model or not


# -- clear messages ------------------------------------------------------------------------------


def test_the_scrape_summary_agrees_with_its_table(newsletter: Path, feed_server: Server) -> None:
    write_sample_feeds(newsletter, feed_server)
    out = brief(newsletter, "scrape").stdout
    table = {line.split(None, 1)[1].strip(): int(line.split()[0]) for line in out.splitlines()
             if line[:1].isdigit() and ":" not in line}  # fmt: skip
    summary = out.strip().splitlines()[-1]
    copies = table.get("copies joined a story", table.get("copy joined a story", 0))
    assert copies > 0  # the fixtures hold the same story from two outlets
    assert f"{copies} cop" in summary and f"{table['already seen']} already seen" in summary
    new = table.get("new candidates", table.get("new candidate"))
    assert f"{new} new candidate" in summary
    again = brief(newsletter, "scrape").stdout.strip().splitlines()[-1]
    assert again.endswith(", 0 copies joined a story, 0 already seen") or "not modified" in again


def test_sources_fit_80_columns_with_a_reason(newsletter: Path, feed_server: Server) -> None:
    write_feeds(
        newsletter,
        {
            "Retail News": f"{feed_server.url}/retail-news.rss",
            "A source with a long name that goes on": f"{feed_server.url}/missing.rss",
        },
    )
    brief(newsletter, "scrape", check=False)
    import os
    import subprocess

    result = subprocess.run(
        [sys.executable, "-m", "brief", "sources"],
        cwd=newsletter, capture_output=True, text=True, timeout=60,
        env={**os.environ, "COLUMNS": "80"},
    )  # fmt: skip
    lines = result.stdout.splitlines()
    assert lines and max(len(line) for line in lines) <= 80, result.stdout
    failing = next(line for line in lines if line.lstrip().startswith("A source"))
    assert "404" in failing  # the reason, on the source's own line
    import re

    assert re.search(r"\b20\d\d-\d\d-\d\d \d\d:\d\d\b", result.stdout)  # to the minute
    assert not re.search(r"\d\d:\d\d:\d\d", result.stdout)  # no seconds or microseconds


def test_counts_read_as_sentences(sample: Path) -> None:
    issue = sample / "content" / "issues" / "2026-W47.md"
    text = issue.read_text(encoding="utf-8")
    issue.write_text(text.replace("- tv-shopping-was-live-commerce-first", "- no-such-article"))
    result = brief(sample, "check", check=False)
    assert result.stderr.strip().endswith("1 error, 0 warnings"), result.stderr


# -- sources in and out --------------------------------------------------------------------------

OPML = """<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My reader</title></head>
  <body>
    <outline text="Retail">
      <outline type="rss" text="Modern Retail" xmlUrl="https://www.modernretail.co/feed/" htmlUrl="https://www.modernretail.co/"/>
      <outline type="rss" text="Retail Dive" title="Retail Dive" xmlUrl="https://www.retaildive.com/feeds/news/"/>
    </outline>
    <outline type="rss" text="Tech &quot;and&quot; Asia \\ news" xmlUrl="https://technode.com/feed/"/>
    <outline type="rss" text="Bad" xmlUrl="javascript:alert(1)"/>
    <outline type="rss" text="Local" xmlUrl="file:///etc/passwd"/>
  </body>
</opml>
"""


def test_opml_import_then_export_round_trips(newsletter: Path) -> None:
    (newsletter / "feeds.toml").write_text(
        '# my feeds\n[[source]]\nname = "Retail Dive"\nurl = "https://www.retaildive.com/feeds/news/"\n',
        encoding="utf-8",
    )
    opml = newsletter / "reader.opml"
    opml.write_text(OPML, encoding="utf-8")
    result = brief(newsletter, "sources", "import", str(opml))
    assert "added: Modern Retail <https://www.modernretail.co/feed/>" in result.stdout
    assert result.stdout.strip().endswith("2 feeds added to feeds.toml, 1 already there, 2 skipped")
    assert "already there: Retail Dive" in result.stderr
    assert "javascript:alert(1)" in result.stderr and "file:///etc/passwd" in result.stderr
    text = (newsletter / "feeds.toml").read_text(encoding="utf-8")
    assert text.startswith("# my feeds\n")  # what was there is untouched
    # A second import adds nothing.
    again = brief(newsletter, "sources", "import", str(opml))
    assert "0 feeds added" in again.stdout
    assert (newsletter / "feeds.toml").read_text(encoding="utf-8") == text

    exported = brief(newsletter, "sources", "export").stdout
    from xml.etree import ElementTree as ET

    outlines = [o.attrib for o in ET.fromstring(exported).iter("outline")]
    assert [(o["text"], o["xmlUrl"]) for o in outlines] == [
        ("Retail Dive", "https://www.retaildive.com/feeds/news/"),
        ("Modern Retail", "https://www.modernretail.co/feed/"),
        ('Tech "and" Asia \\ news', "https://technode.com/feed/"),
    ]
    assert outlines[1]["htmlUrl"] == "https://www.modernretail.co/"
    # Round trip: the exported OPML, imported into an empty newsletter, gives the same feeds.
    (newsletter / "feeds.toml").write_text("", encoding="utf-8")
    (newsletter / "out.opml").write_text(exported, encoding="utf-8")
    brief(newsletter, "sources", "import", "out.opml")
    assert brief(newsletter, "sources", "export").stdout == exported


def test_hostile_opml_is_refused_with_the_file_named(newsletter: Path) -> None:
    bomb = newsletter / "bomb.opml"
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)
    ]
    bomb.write_text(
        f'<?xml version="1.0"?><!DOCTYPE opml [{"".join(entities)}]>'
        '<opml version="2.0"><body><outline text="&lol9;" xmlUrl="https://x.example/"/>'
        "</body></opml>",
        encoding="utf-8",
    )
    result = brief(newsletter, "sources", "import", str(bomb), check=False)
    assert result.returncode != 0 and "bomb.opml" in result.stderr
    not_opml = newsletter / "page.opml"
    not_opml.write_text("<html><body>hello</body></html>", encoding="utf-8")
    result = brief(newsletter, "sources", "import", str(not_opml), check=False)
    assert result.returncode == 2 and "page.opml: not an OPML file" in result.stderr


def test_interactive_undo_takes_back_a_bulk_reject(scraped: Path) -> None:
    before = _rows(scraped)
    scores = sorted(r["score"] for r in before)
    below = (scores[-2] + scores[-1]) / 2
    rejected = int(brief(scraped, "reject", "--below", f"{below:.4f}").stdout.split()[1])
    assert rejected >= 2
    child = pexpect.spawn(
        sys.executable,
        ["-m", "brief", "triage", "-i"],
        cwd=str(scraped),
        env={"BRIEF_EDITOR": "Ada", "PATH": "/usr/bin:/bin", "TERM": "dumb", "HOME": str(scraped)},
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 120),
    )
    child.expect(r"\[q\]uit")
    child.send("u")  # nothing decided in this session: the store's latest batch comes back
    child.expect(r"undone: (\d+) decisions")
    assert int(child.match.group(1)) == rejected
    child.send("q")
    child.expect(pexpect.EOF)
    assert {r["id"] for r in _rows(scraped)} == {r["id"] for r in before}


def test_a_hostile_publisher_name_stays_inert(newsletter: Path) -> None:
    feed = newsletter / "hostile.xml"
    feed.write_text(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Agg</title>'
        "<item><title>Live shopping grows - Evil</title>"
        "<link>https://evil.example.com/a?utm_source=x</link><guid>h1</guid>"
        "<pubDate>Fri, 20 Nov 2026 08:00:00 GMT</pubDate>"
        "<description>Live shopping news.</description>"
        '<source url="javascript:alert(1)">&lt;script&gt;alert(1)&lt;/script&gt;\x1b[31m [bold]Evil\n'
        "Title: owned</source></item></channel></rss>",
        encoding="utf-8",
    )
    write_feeds(newsletter, {"Agg": str(feed)})
    brief(newsletter, "scrape")
    (row,) = _rows(newsletter)
    assert "\x1b" not in row["outlet"] and "\n" not in row["outlet"]
    path = newsletter / brief(newsletter, "accept", str(row["id"])).stdout.strip()
    header = path.read_text(encoding="utf-8").split("\n\n")[0].splitlines()
    assert [line for line in header if line.startswith("Title:")] == [
        "Title: Live shopping grows - Evil"  # the suffix is not this outlet's name: kept
    ]
    source = next(line for line in header if line.startswith("Source:"))
    assert "Title: owned" in source  # folded onto its own line, never a header of its own
    table = brief(newsletter, "triage", "--status", "all").stdout
    assert "\x1b" not in table


def test_careless_settings_for_the_new_keys_are_reported_by_line(newsletter: Path) -> None:
    (newsletter / "feeds.toml").write_text(
        '[[source]]\nname = "A"\nurl = "https://a.example.com/feed"\naggregator = "yes"\n',
        encoding="utf-8",
    )
    result = brief(newsletter, "scrape", check=False)
    assert (
        result.returncode == 2 and "feeds.toml:4" in result.stderr and "aggregator" in result.stderr
    )
    rules = newsletter / "relevance.toml"
    rules.write_text(rules.read_text() + "\n[ranking]\nfreshness = -1\n", encoding="utf-8")
    write_feeds(newsletter, {"Creators": str(FEEDS / "creators.json")})
    result = brief(newsletter, "triage", check=False)
    assert result.returncode == 2 and "[ranking] freshness must be a number from 0" in result.stderr
    watchlist = newsletter / "content" / "entities.toml"
    watchlist.write_text(
        watchlist.read_text() + '\n[[entity]]\nname = "Orphan"\nparent = "Nobody"\n',
        encoding="utf-8",
    )
    result = brief(newsletter, "scrape", check=False)
    assert (
        result.returncode == 2 and "parent 'Nobody' is not another entity's name" in result.stderr
    )
