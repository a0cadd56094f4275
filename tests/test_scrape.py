"""`brief scrape` against a real HTTP server on 127.0.0.1."""

from __future__ import annotations

import json
import math
import re
import sqlite3
from pathlib import Path

from tests.conftest import FEEDS, Server, brief, write_feeds


def scrape_json(root: Path, *args: str, failing: bool = False) -> dict[str, object]:
    result = brief(root, "scrape", "--json", *args, check=not failing)
    assert result.returncode == (1 if failing else 0), result.stderr
    return json.loads(result.stdout)


def test_scrape_stores_candidates_and_second_run_adds_nothing(
    newsletter: Path, feed_server: Server
) -> None:
    write_feeds(
        newsletter,
        {
            "Retail": f"{feed_server.url}/retail-news.rss",
            "Asia": f"{feed_server.url}/asia-tech.atom",
            "Creators": f"{feed_server.url}/creators.json",
        },
    )
    first = scrape_json(newsletter)
    assert first["sources"] == 3 and first["ok"] == 3 and first["failed"] == []
    # The syndicated "UPDATE: ... - Asia Tech" copy joins the TikTok Shop story's cluster.
    assert first["new"] == 6 and first["seen"] == 1
    assert (newsletter / "data" / "brief.sqlite").is_file()

    second = scrape_json(newsletter)
    assert second["new"] == 0
    assert second["not_modified"] == 3  # http.server answers If-Modified-Since with 304
    assert second["ok"] == 0


def test_one_broken_feed_never_stops_the_others(newsletter: Path, feed_server: Server) -> None:
    write_feeds(
        newsletter,
        {
            "Retail": f"{feed_server.url}/retail-news.rss",
            "Gone": f"{feed_server.url}/missing.rss",
            "Page": f"{feed_server.url}/not-a-feed.html",
            "Closed": "http://127.0.0.1:9/feed",
        },
    )
    report = scrape_json(newsletter, failing=True)
    failed = {f["source"]: f for f in report["failed"]}
    assert set(failed) == {"Gone", "Page", "Closed"}
    assert failed["Gone"]["url"] == f"{feed_server.url}/missing.rss"
    assert "404" in failed["Gone"]["error"]
    assert "HTML" in failed["Page"]["error"]
    assert report["ok"] == 1 and report["new"] == 3

    human = brief(newsletter, "scrape", check=False)  # exit 1: something failed
    assert human.returncode == 1 and "Traceback" not in human.stderr
    assert "3 failed" in human.stdout
    assert "copies joined a story" in human.stdout and "not modified" in human.stdout
    assert "missing.rss" in human.stderr


def test_triage_json_contract(newsletter: Path, feed_server: Server) -> None:
    write_feeds(newsletter, {"Retail": f"{feed_server.url}/retail-news.rss"})
    scrape_json(newsletter)
    rows = json.loads(brief(newsletter, "triage", "--json").stdout)
    assert len(rows) == 3
    for row in rows:
        assert {"id", "title", "link", "source", "published", "score", "entities", "status"} <= set(
            row
        )
        assert 0 <= row["score"] <= 1
        assert row["status"] == "new"
        assert row["published"].endswith("Z")
    assert [r["score"] for r in rows] == sorted((r["score"] for r in rows), reverse=True)
    assert rows[-1]["title"].startswith("Amazon Prime Day TV deals")
    whatnot = next(r for r in rows if "Whatnot" in r["title"])
    assert whatnot["entities"] == ["Whatnot"]
    # Tracking parameters stay in the stored link; hostile markup never reaches the store.
    db = sqlite3.connect(newsletter / "data" / "brief.sqlite")
    (summary,) = db.execute(
        "SELECT summary_html FROM candidates WHERE title LIKE 'Whatnot%'"
    ).fetchone()
    assert "<script" not in summary and "javascript:" not in summary
    assert f'href="{feed_server.url}/related"' in summary  # resolved against the feed URL

    limited = json.loads(brief(newsletter, "triage", "--json", "--limit", "1").stdout)
    assert limited == rows[:1]


def test_local_file_sources_for_offline_work(newsletter: Path) -> None:
    write_feeds(newsletter, {"Local": str(FEEDS / "creators.json")})
    assert scrape_json(newsletter)["new"] == 2
    again = scrape_json(newsletter)
    assert again["new"] == 0 and again["not_modified"] == 1


def test_explain_shows_signals(newsletter: Path, feed_server: Server) -> None:
    write_feeds(newsletter, {"Retail": f"{feed_server.url}/retail-news.rss"})
    scrape_json(newsletter)
    rows = json.loads(brief(newsletter, "triage", "--json").stdout)
    top = rows[0]
    text = brief(newsletter, "triage", "--explain", str(top["id"])).stdout
    explained = text.splitlines()
    assert explained[0] == f"#{top['id']} {top['title']}"
    relevance = text.split("Relevance (rules in relevance.toml):\n")[1].split("\n\n")[0]
    lines = relevance.splitlines()
    signals = [re.fullmatch(r"  ([+-]\d+\.\d\d) (.+)", line) for line in lines[:-1]]
    assert signals and all(signals), explained
    assert any(s.group(2).startswith("title has '") for s in signals if s), explained
    # The signals are the whole score: 1 - exp(-sum / scale), with the fixture's scale of 4.
    total = sum(float(s.group(1)) for s in signals if s)
    assert lines[-1] == f"  = {total:+.2f} in all, a score of {top['score']:.2f}"
    assert round(1 - math.exp(-max(total, 0) / 4), 2) == round(top["score"], 2)
    # Then every term of the rank, its weight, and the total: the same as the JSON row's.
    rank = text.split("Rank (the queue's order, [ranking] in relevance.toml):\n")[1].splitlines()
    terms = [
        re.fullmatch(r"  (\w+)\s+(\d\.\d\d) x (\d\.\d\d) = (\d\.\d{3})", line) for line in rank[:-1]
    ]
    assert [t.group(1) for t in terms if t] == ["rules", "freshness", "outlets"]
    assert rank[-1].split()[-1] == f"{top['rank']:.3f}"
