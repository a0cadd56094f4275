"""The store: clusters, decisions that stick, search, migrations, and surviving kill -9."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bench.corpus import write_feeds as write_corpus
from scrapers.cluster import event_keys, names, same_event
from scrapers.records import Candidate
from scrapers.storage import StoryQuery, open_store
from scrapers.storage.schema import MIGRATIONS, SCHEMA_VERSION
from tests.conftest import brief, serve, write_feeds

T0 = datetime(2026, 11, 10, 8, tzinfo=UTC)


def story(
    source: str, title: str, minutes: int, link: str | None = None, text: str = ""
) -> Candidate:
    link = link or f"https://{source.lower().replace(' ', '')}.example/{minutes}"
    return Candidate(
        title=title,
        link=link,
        canonical_url=link,
        source=source,
        published=T0 + timedelta(minutes=minutes),
        fetched=T0 + timedelta(hours=5),
        summary_html=f"<p>{text}</p>",
        summary_text=text,
        score=0.5,
        entities=("TikTok Shop",),
        about=("TikTok Shop",),
        guid=f"{source}-{minutes}",
    )


TITLE = "TikTok Shop opens its affiliate program to more creators in Europe"


def test_five_outlets_one_candidate(tmp_path: Path) -> None:
    copies = [
        story("Wire", f"UPDATE: {TITLE} - Wire", 30),
        story("Trade Daily", TITLE, 0),
        story("Tech Post", f"{TITLE} | Tech Post", 45),
        story("Asia Desk", TITLE.replace("more creators", "more creators and sellers"), 60),
        story("Retail Brief", f"Exclusive: {TITLE}", 90),
        story("Other", "Whatnot adds sneaker auctions for collectors in Europe", 10),
    ]
    with open_store(tmp_path / "s.sqlite") as store, store.transaction():
        added = store.stories.add(copies)
        assert (added.new, added.seen, added.clustered) == (2, 4, 4)
        (main,) = [c for c in list(store.stories.find(StoryQuery())) if "TikTok" in c.title]
    assert len(main.sources) == 5
    assert main.first_reported_by == "Trade Daily"
    assert main.title == TITLE  # the first report speaks for the story, whatever arrived first
    assert main.sources[0].source == "Trade Daily"


def test_different_stories_with_similar_words_stay_apart(tmp_path: Path) -> None:
    items = [
        story("A", "Undated live shopping story", 0),
        story("B", "Live shopping story from the future", 5),
        story("C", "TikTok Shop cuts fees for sellers in the UK", 10),
        story("D", "TikTok Shop raises fees for sellers in the US", 15),
    ]
    with open_store(tmp_path / "s.sqlite") as store, store.transaction():
        assert store.stories.add(items).new == 4


def test_rejected_story_stays_rejected_when_it_reappears(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.sqlite") as store:
        with store.transaction():
            store.stories.add([story("Trade Daily", TITLE, 0)])
            (candidate,) = list(store.stories.find(StoryQuery()))
            store.decisions.record(candidate.id, "rejected", T0)
        with store.transaction():
            added = store.stories.add([story("Late Outlet", f"{TITLE} - Late Outlet", 300)])
        assert added.new == 0 and added.clustered == 1
        assert list(store.stories.find(StoryQuery())) == []
        (rejected,) = list(store.stories.find(StoryQuery(("rejected",))))
        assert rejected.title == TITLE and len(rejected.sources) == 2


def test_full_text_search(tmp_path: Path) -> None:
    with open_store(tmp_path / "s.sqlite") as store, store.transaction():
        store.stories.add(
            [
                story("A", TITLE, 0, text="Commission rates rise"),
                story("B", "Whatnot adds sneaker auctions", 10, text="Collectors bid live"),
            ]
        )
        assert [c.source for c in list(store.stories.find(StoryQuery(search="sneaker")))] == ["B"]
        assert [c.source for c in list(store.stories.find(StoryQuery(search="commission")))] == [
            "A"
        ]
        assert [c.source for c in list(store.stories.find(StoryQuery(search="collect")))] == [
            "B"
        ]  # prefix
        assert list(store.stories.find(StoryQuery(search='"; DROP TABLE candidates; --'))) == []


def test_migrates_a_version_1_store(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    db = sqlite3.connect(path)
    MIGRATIONS[0](db)
    db.execute(
        "INSERT INTO candidates (guid, canonical_url, title_key, title, link, source, published,"
        " fetched, summary_html, summary_text, score, entities, about, signals)"
        " VALUES ('g', 'https://a.example/x', 'k', 'Old live shopping story', 'https://a.example/x',"
        " 'A', ?, ?, '', 'old text', 0.5, '[]', '[]', '[]')",
        (T0.isoformat(), T0.isoformat()),
    )
    db.execute("PRAGMA user_version = 1")
    db.commit()
    db.close()
    with open_store(path) as store:
        assert [c.title for c in list(store.stories.find(StoryQuery(search="old")))] == [
            "Old live shopping story"
        ]
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_triage_search_and_sources_commands(newsletter: Path, feed_server: object) -> None:
    base = feed_server.url  # type: ignore[attr-defined]
    write_feeds(newsletter, {"Retail": f"{base}/retail-news.rss", "Gone": f"{base}/nope.rss"})
    assert brief(newsletter, "scrape", check=False).returncode == 1  # "Gone" failed
    found = json.loads(brief(newsletter, "triage", "--json", "--search", "sneaker").stdout)
    assert [r["title"] for r in found] == [
        "Whatnot expands live shopping auctions for sneaker collectors"
    ]
    rows = {r["source"]: r for r in json.loads(brief(newsletter, "sources", "--json").stdout)}
    assert rows["Retail"]["items"] == 3 and rows["Retail"]["consecutive_failures"] == 0
    assert rows["Retail"]["last_success"] and not rows["Retail"]["paused"]
    assert rows["Gone"]["consecutive_failures"] == 1 and rows["Gone"]["last_success"] is None
    assert "HTTP 404" in rows["Gone"]["last_error"]
    table = brief(newsletter, "sources").stdout
    assert "Retail" in table and "Gone" in table


@pytest.mark.slow
def test_scrape_killed_mid_way_resumes_without_duplicates(newsletter: Path, tmp_path: Path) -> None:
    www = tmp_path / "corpus"
    paths = write_corpus(www, feeds=40, items=20)
    write_feeds(newsletter, {p.stem: f"http://127.0.0.1:{{port}}/{p.name}" for p in paths})
    gen = serve(www, delay=0.15)
    server = next(gen)
    try:
        feeds = newsletter / "feeds.toml"
        port = server.url.rsplit(":", 1)[1]
        feeds.write_text(feeds.read_text().replace("{port}", port))
        process = subprocess.Popen(
            [sys.executable, "-m", "brief", "scrape", "--json"], cwd=newsletter
        )
        db = newsletter / "data" / "brief.sqlite"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:  # wait until some sources, not all, are stored
            if db.exists():
                try:
                    done = sqlite3.connect(db).execute("SELECT COUNT(*) FROM sources").fetchone()[0]
                except sqlite3.Error:
                    done = 0
                if done >= 5:
                    break
            time.sleep(0.05)
        workers = _children(process.pid)  # its parser processes, on every core
        process.send_signal(signal.SIGKILL)
        process.wait()
        stored = sqlite3.connect(db).execute("SELECT COUNT(*) FROM sources").fetchone()[0]
        assert 0 < stored < 40, "the kill should land half way"
        deadline = time.monotonic() + 10  # orphaned by the kill, each leaves on its own
        while any(Path(f"/proc/{pid}").exists() for pid in workers):
            assert time.monotonic() < deadline, f"parser processes {workers} outlived the scrape"
            time.sleep(0.1)
        report = json.loads(brief(newsletter, "scrape", "--json").stdout)
        assert report["failed"] == []
        unique = (
            sqlite3.connect(db)
            .execute("SELECT COUNT(*), COUNT(DISTINCT canonical_url) FROM copies")
            .fetchone()
        )
        assert report["filtered"] == 0  # the corpus has nothing the rules drop
        assert unique[0] == unique[1] == 40 * 20  # every item once, none twice
    finally:
        next(gen, None)


def _children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def test_a_new_store_opened_by_many_at_once_is_made_once(tmp_path: Path) -> None:
    """The service's first requests, a scrape and a send may all open a store that does
    not exist yet: one makes the schema, the others wait and find it made."""
    import threading

    from scrapers.storage import open_store
    from scrapers.storage.schema import SCHEMA_VERSION

    errors: list[Exception] = []
    for trial in range(20):  # a race: try it often enough to see it
        path = tmp_path / f"data{trial}" / "brief.sqlite"
        start = threading.Barrier(8)

        def open_it(path: Path = path, start: threading.Barrier = start) -> None:
            start.wait()
            try:
                with open_store(path) as store:
                    assert store.subscribers.all("confirmed") is not None
            except Exception as err:  # collected: a thread's failure must fail the test
                errors.append(err)

        threads = [threading.Thread(target=open_it) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        with open_store(path) as store:
            assert store._db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert errors == []


def test_one_event_under_two_headlines_is_one_story(tmp_path: Path) -> None:
    """Two outlets' headlines for one event share the number and the telling words."""
    first = story(
        "Trade Daily",
        "TikTok Shop US Black Friday live sales hit $500 million",
        0,
        text="TikTok Shop said live sales in the US passed $500 million over Black Friday.",
    )
    second = story(
        "Retail Wire",
        "Black Friday: TikTok Shop's livestream sales top $500M in America",
        300,
        text="Livestreams on TikTok Shop drove more than $500 million of Black Friday sales.",
    )
    with open_store(tmp_path / "s.sqlite") as store:
        with store.transaction():
            store.stories.add([first])
        with store.transaction():
            added = store.stories.add([second])
        (found,) = store.stories.find(StoryQuery())
    assert (added.new, added.clustered) == (0, 1)
    assert [s.source for s in found.sources] == ["Trade Daily", "Retail Wire"]


def test_a_long_headline_is_keyed_by_its_first_telling_words(tmp_path: Path) -> None:
    """Real coverage of one decision: a long headline's subject comes first, so its keys
    are its first telling words, not its alphabetically first ones (which shared none with
    the short headline); a store keyed the old way is keyed again."""
    long = (
        "After months of contentious negotiations, President Donald Trump has signed an"
        " executive order approving the sale of TikTok's U.S. operations"
    )
    keys = event_keys(long, "")
    assert keys[:3] == ["t:months", "t:contentious", "t:negotiations"]
    assert {"t:trump", "t:executive"} <= set(keys) and len(keys) == 8
    assert {"t:trump", "t:executive", "t:order"} <= set(
        event_keys("Trump signs executive order to facilitate TikTok deal", "")
    )
    path = tmp_path / "v9.sqlite"
    db = sqlite3.connect(path)
    for migration in MIGRATIONS[:9]:
        migration(db)
    db.execute(
        "INSERT INTO candidates (guid, canonical_url, title_key, title, link, source, published,"
        " fetched, summary_html, summary_text, score, entities, about, signals)"
        " VALUES ('g', 'https://a.example/x', 'k', ?, 'https://a.example/x', 'A', ?, ?, '',"
        " '', 0.5, '[]', '[]', '[]')",
        (long, T0.isoformat(), T0.isoformat()),
    )
    db.execute("INSERT INTO cluster_keys VALUES ('t:approving', 1, ?)", (T0.isoformat(),))
    db.execute("PRAGMA user_version = 9")
    db.commit()
    db.close()
    with open_store(path):
        pass
    stored = sqlite3.connect(path).execute("SELECT key FROM cluster_keys WHERE key LIKE 't:%'")
    assert sorted(key for (key,) in stored) == sorted(keys)


def test_names_both_leads_state_count_as_shared_words() -> None:
    """Real coverage of one interview: the headlines share one word, the leads a name."""
    first = names("It all started with Funko Pops. On Monday the show went live.")
    second = names("Whatnot, a platform for collectors of Funko Pops, grew in January.")
    # Not a sentence's first word ("It", "On", "Whatnot"), nor a day or a month
    assert first == second == {"funko", "pops"}
    headline_a, headline_b = frozenset({"whatnot", "turned"}), frozenset({"whatnot", "grew"})
    leads = headline_a | {"funko", "pops"}, headline_b | {"funko", "pops"}
    assert not same_event(headline_a, leads[0], headline_b, leads[1], same_number=True)
    assert same_event(
        headline_a, leads[0], headline_b, leads[1], True, names_a=first, names_b=second
    )


def test_a_reversal_the_next_day_is_another_event(tmp_path: Path) -> None:
    """Real coverage: a regulator froze TikTok's registration and lifted the freeze a day
    later; the two share every name and most words, and are two events."""
    froze = story(
        "A",
        "Ministry freezes TikTok registration over missing live-stream data",
        0,
        text="The ministry froze TikTok's operator registration after the company did not hand"
        " over complete data on 2,400 live streams during the protests.",
    )
    lifted = story(
        "B",
        "Ministry lifts freeze on TikTok registration after data handed over",
        1440,
        text="The ministry lifted the freeze on TikTok's operator registration after the"
        " company handed over complete data on 2,400 live streams during the protests.",
    )
    with open_store(tmp_path / "s.sqlite") as store:
        with store.transaction():
            store.stories.add([froze])
        with store.transaction():
            added = store.stories.add([lifted])
    assert (added.new, added.clustered) == (1, 0)


def test_one_companys_two_events_stay_two_stories(tmp_path: Path) -> None:
    """Near misses from real coverage: another quarter, another number."""
    items = [
        story(
            "A", "QVC Group reports third quarter 2025 financial results", 0,
            text="QVC Group today reported third quarter 2025 results; revenue fell 5%.",
        ),
        story(
            "B", "QVC Group reports first quarter 2025 financial results", 60,
            text="QVC Group today reported first quarter 2025 results; revenue fell 5%.",
        ),
        story(
            "C", "QVC Group lays off 900 workers in West Chester", 120,
            text="QVC Group is laying off 900 employees in West Chester, Pennsylvania.",
        ),
        story(
            "D", "QVC and HSN will hire 250 workers in West Chester", 180,
            text="QVC Group plans to hire 250 employees in West Chester, Pennsylvania.",
        ),
        story(
            "E", "TikTok Shop Black Friday live sales top $100 million", 240,
            text="TikTok Shop said Black Friday live sales passed $100 million.",
        ),
    ]  # fmt: skip
    with open_store(tmp_path / "s.sqlite") as store, store.transaction():
        added = store.stories.add(items)
    assert (added.new, added.clustered) == (5, 0)


def test_two_outlets_headlines_for_one_event_are_one_story_in_triage(newsletter: Path) -> None:
    """Through the scrape and the queue: one story, both outlets, whatever the headlines."""
    feeds = {
        "Trade Daily": (
            "TikTok Shop US Black Friday live sales hit $500 million",
            "TikTok Shop said live sales in the US passed $500 million over Black Friday.",
            "2026-11-28T09:00:00Z",
        ),
        "Retail Wire": (
            "Black Friday: TikTok Shop's livestream sales top $500M in America",
            "Livestreams on TikTok Shop drove more than $500 million of Black Friday sales.",
            "2026-11-28T15:00:00Z",
        ),
    }
    sources = {}
    for name, (title, text, when) in feeds.items():
        path = newsletter / f"{name.split()[0].lower()}.json"
        item = {"id": name, "url": f"https://{name.split()[0].lower()}.example/bf",
                "title": title, "content_text": text, "date_published": when}  # fmt: skip
        path.write_text(json.dumps({"version": "https://jsonfeed.org/version/1.1",
                                    "title": name, "items": [item]}))  # fmt: skip
        sources[name] = str(path)
    write_feeds(newsletter, sources)
    brief(newsletter, "scrape")
    (row,) = json.loads(brief(newsletter, "triage", "--json").stdout)
    assert row["title"] == feeds["Trade Daily"][0]  # the first report speaks for the story
    assert [s["source"] for s in row["sources"]] == ["Trade Daily", "Retail Wire"]
    assert row["first_reported_by"] == "Trade Daily"
