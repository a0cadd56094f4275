"""The editor's week through the real CLI: triage (with filters and by keyboard in a
pseudo-terminal), accept, annotate, re-scrape, assemble, check, publish; and every refusal."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pexpect
import pytest
from bs4 import BeautifulSoup

from tests.conftest import Server, brief

WHY = "Sneaker resale is where Whatnot can grow beyond trading cards."


def _queue(root: Path, *args: str) -> list[dict[str, object]]:
    return json.loads(brief(root, "triage", "--json", *args).stdout)


def _set_status(path: Path, status: str) -> None:
    text = path.read_text(encoding="utf-8")
    head, _, body = text.partition("\n\n")
    lines = [
        f"Status: {status}" if line.startswith("Status:") else line for line in head.splitlines()
    ]
    path.write_text("\n".join(lines) + "\n\n" + body, encoding="utf-8")


def _annotate(path: Path, words: str) -> None:
    path.write_text(path.read_text(encoding="utf-8").rstrip() + f"\n\n{words}\n", encoding="utf-8")


def test_triage_filters(scraped: Path) -> None:
    everything = _queue(scraped)
    assert len(everything) == 6
    assert [r["title"] for r in _queue(scraped, "--entity", "whatnot")] == [
        "Whatnot expands live shopping auctions for sneaker collectors"
    ]
    assert {r["source"] for r in _queue(scraped, "--source", "Creators")} == {"Creators"}
    # A cluster is found by any of its outlets' names.
    tiktok = _queue(scraped, "--source", "Asia Tech", "--search", "affiliate")
    assert [r["first_reported_by"] for r in tiktok] == ["Retail News"]
    assert len(tiktok[0]["sources"]) == 2
    assert all(r["score"] >= 0.5 for r in _queue(scraped, "--min-score", "0.5"))
    assert len(_queue(scraped, "--min-score", "0.5")) < 6
    assert {r["section"] for r in _queue(scraped, "--section", "China & Asia")} == {"China & Asia"}
    assert _queue(scraped, "--since", "2026-11-13") == [
        r for r in everything if r["published"] >= "2026-11-13"
    ]
    table = brief(scraped, "triage").stdout
    assert "Whatnot expands" in table and "█" in table
    assert re.search(r"\t\+1 source$", table, re.MULTILINE)  # one more outlet, singular
    bad = brief(scraped, "triage", "--since", "last week", check=False)
    assert bad.returncode == 2 and "7d" in bad.stderr


def test_decisions_have_who_and_when_and_survive_rescrapes(
    scraped: Path, feed_server: Server
) -> None:
    queue = _queue(scraped)
    tv = next(r for r in queue if "TV deals" in r["title"])
    twitch = next(r for r in queue if "Twitch" in r["title"])
    brief(scraped, "reject", str(tv["id"]))
    brief(scraped, "shortlist", str(twitch["id"]))
    rejected = _queue(scraped, "--status", "rejected")
    assert [r["id"] for r in rejected] == [tv["id"]]
    assert rejected[0]["decided_by"] and rejected[0]["decided_at"]
    assert _queue(scraped)[0]["id"] == twitch["id"]  # shortlisted stories come first
    assert [r["id"] for r in _queue(scraped, "--status", "shortlisted")] == [twitch["id"]]
    (feed_server.root / "retail-news.rss").touch()
    brief(scraped, "scrape", "--force")
    assert [r["id"] for r in _queue(scraped, "--status", "rejected")] == [tv["id"]]


def test_interactive_triage_in_a_pseudo_terminal(scraped: Path) -> None:
    queue = _queue(scraped)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "brief", "triage", "-i"],
        cwd=str(scraped),
        env={"BRIEF_EDITOR": "Ada", "PATH": "/usr/bin:/bin", "TERM": "dumb", "HOME": str(scraped)},
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 120),
    )
    child.expect(r"\[1/6\]")
    child.expect(r"\[q\]uit")
    child.send("f")  # full summary and every outlet's link; the story stays on screen
    child.expect(r"· [A-Za-z ]+: http://")
    child.send("a")  # accept the first story
    child.expect(r"accepted: content/articles/2026/(\S+)\.md")
    first_slug = child.match.group(1)
    child.expect(r"\[2/6\]")
    child.send("r")  # reject the second
    child.expect("rejected")
    child.expect(r"\[3/6\]")
    child.send("u")  # undo: back to the second story
    child.expect("undone")
    child.expect(r"\[2/6\]")
    child.send("s")  # shortlist it instead
    child.expect("shortlisted")
    child.expect(r"\[3/6\]")
    child.send("n")
    child.expect(r"\[4/6\]")
    child.send("q")
    child.expect("Decided 2 of 6")
    child.expect(pexpect.EOF)

    article = scraped / "content" / "articles" / "2026" / f"{first_slug}.md"
    assert article.is_file()
    accepted = _queue(scraped, "--status", "accepted")
    assert [r["id"] for r in accepted] == [queue[0]["id"]]
    assert accepted[0]["decided_by"] == "Ada"
    assert _queue(scraped, "--status", "rejected") == []
    assert [r["id"] for r in _queue(scraped, "--status", "shortlisted")] == [queue[1]["id"]]


def test_the_whole_week(scraped: Path, feed_server: Server) -> None:
    queue = _queue(scraped)
    picks = [r for r in queue if r["title"].startswith(("Whatnot", "TikTok Shop", "Brands train"))]
    paths = [
        scraped / p for p in brief(scraped, "accept", *(str(r["id"]) for r in picks)).stdout.split()
    ]
    whatnot = next(p for p in paths if "whatnot" in p.name)
    tiktok = next(p for p in paths if "tiktok" in p.name)
    assert (
        'Also: [{"source": "Asia Tech", "link": "http://asia.test/news/tiktok-affiliates-syndicated"}]'
        in tiktok.read_text()
    )
    _annotate(whatnot, WHY)
    _annotate(tiktok, "Affiliates are TikTok Shop's sales force.")
    edited = {p: p.read_bytes() for p in paths}

    # Re-scrape and re-accept: nothing on disk changes, byte for byte.
    (feed_server.root / "retail-news.rss").touch()
    brief(scraped, "scrape", "--force")
    again = brief(scraped, "accept", *(str(r["id"]) for r in picks))
    assert again.stderr.count("already accepted") == 3
    assert {p: p.read_bytes() for p in paths} == edited

    issue = scraped / brief(scraped, "issue", "new", "--week", "2026-W46").stdout.strip()
    listed, movers = issue.read_text().split("## Who moved this week")
    # Counted in the store, which began collecting today: no week before is known.
    assert "- TikTok Shop: - - - - - - - - -> 1" in movers
    lines = listed.splitlines()
    assert sorted(line[2:].split()[0] for line in lines if line.startswith("- ")) == sorted(
        p.stem for p in paths
    )
    sections = [line[3:] for line in lines if line.startswith("## ")]
    order = ["Platforms", "Retail & brands", "Creators & hosts", "China & Asia", "Deals"]
    assert sections == sorted(sections, key=order.index)  # the settings' section order
    issue.write_text(
        issue.read_text().replace(
            "<!-- Write the intro", "A busy week for live selling.\n\n<!-- Write the intro"
        )
    )

    # The title is still the placeholder `issue new` wrote: publishing is refused.
    refused = brief(scraped, "issue", "publish", "2026-W46", check=False)
    assert refused.returncode == 1
    assert "the title is still the placeholder 'Week 46, 2026'" in refused.stderr
    issue.write_text(
        issue.read_text().replace("Title: Week 46, 2026", "Title: Stores learn to sell live")
    )

    # The third article has no annotation yet: publishing is refused, nothing changes.
    before = {p: p.read_bytes() for p in [*paths, issue]}
    refused = brief(scraped, "issue", "publish", "2026-W46", check=False)
    assert refused.returncode == 1
    assert "has no annotation yet" in refused.stderr and "not published" in refused.stderr
    assert {p: p.read_bytes() for p in [*paths, issue]} == before

    hosts = next(p for p in paths if p not in (whatnot, tiktok))
    _annotate(hosts, "Store staff who sell well on camera are a cheaper bench than influencers.")
    published = brief(scraped, "issue", "publish", "2026-W46")
    assert "published content/issues/2026-W46.md and 3 articles" in published.stdout
    for path in paths:
        text = path.read_text()
        assert "Status: published" in text and "Published: " in text
    assert WHY in whatnot.read_text()  # the editor's words are untouched
    assert "Status: published" in issue.read_text()

    output = scraped / "public"  # the public build: brief issue publish
    page = BeautifulSoup((output / "issues/2026-w46/index.html").read_text(), "html.parser")
    assert WHY in page.get_text()
    assert page.find("h1").get_text() == "Stores learn to sell live"
    eml = (output / "digest/2026-W46.eml").read_text()
    assert "Sneaker resale is where Whatnot" in eml


def test_unaccept_deletes_only_untouched_drafts(scraped: Path) -> None:
    queue = _queue(scraped)
    first, second = queue[0]["id"], queue[1]["id"]
    paths = [scraped / p for p in brief(scraped, "accept", str(first), str(second)).stdout.split()]
    _annotate(paths[1], "An editor's words.")
    kept = paths[1].read_bytes()
    result = brief(scraped, "unaccept", str(first), str(second), check=False)
    assert result.returncode == 1
    assert not paths[0].exists()
    assert "was edited since brief wrote it" in result.stderr and paths[1].name in result.stderr
    assert paths[1].read_bytes() == kept
    assert first in [r["id"] for r in _queue(scraped)]
    assert [r["id"] for r in _queue(scraped, "--status", "accepted")] == [second]


def test_without_the_ledger_nothing_counts_as_untouched(scraped: Path) -> None:
    first = _queue(scraped)[0]["id"]
    path = scraped / brief(scraped, "accept", str(first)).stdout.strip()
    (scraped / "data" / "written.json").unlink()
    result = brief(scraped, "unaccept", str(first), check=False)
    assert result.returncode == 1 and path.exists()


def test_update_refuses_a_file_changed_under_its_feet(tmp_path: Path) -> None:
    from brief.content.files import ContentWriter
    from brief.ground.errors import ContentError

    writer = ContentWriter(tmp_path, tmp_path / "ledger.json")
    path = tmp_path / "content" / "a.md"
    writer.create(path, "Title: A\nStatus: draft\n\nBody\n")

    def editor_saves_meanwhile(text: str) -> str:
        path.write_text(text + "\nThe editor's new paragraph.\n")
        return text.replace("draft", "published")

    with pytest.raises(ContentError, match="changed while brief was updating it"):
        writer.update(path, editor_saves_meanwhile)
    assert path.read_text().endswith("The editor's new paragraph.\n")
    assert "Status: draft" in path.read_text()
