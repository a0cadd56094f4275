"""Synthetic corpora for the benchmarks: feeds of live-commerce news, and newsletters."""

from __future__ import annotations

import random
import shutil
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

_SUBJECTS = [
    "TikTok Shop", "Whatnot", "Amazon Live", "Douyin", "Taobao Live", "Shopee Live",
    "YouTube Shopping", "Walmart", "Kuaishou", "Bambuser", "QVC", "Flip",
]  # fmt: skip
_VERBS = ["expands", "tests", "adds", "cuts fees for", "courts", "rethinks", "doubles down on"]
_OBJECTS = [
    "live shopping auctions", "affiliate creators", "livestream shopping events",
    "shoppable video", "host training", "live selling tools", "seller incentives",
]  # fmt: skip
_NOISE = [
    "Prime Day TV deals", "quarterly earnings", "esports sponsorship", "streaming service prices",
]  # fmt: skip


_WORDS = [
    "live",
    "selling",
    "creators",
    "merchants",
    "hosts",
    "viewers",
    "brands",
    "retailers",
    "platform",
    "commission",
    "sales",
    "growth",
    "shoppers",
    "stream",
    "discount",
    "launch",
    "agency",
    "studio",
    "marketplace",
    "checkout",
    "conversion",
    "audience",
    "product",
    "demo",
    "auction",
    "collectors",
    "sneakers",
    "beauty",
    "fashion",
    "data",
    "quarter",
    "market",
    "share",
    "fees",
    "sellers",
    "affiliate",
    "program",
    "category",
    "region",
    "test",
    "pilot",
]


def _title(rng: random.Random, relevant: bool) -> str:
    # Real headlines share the trade's words but each has words of its own.
    own = " ".join(f"w{rng.randrange(20000)}" for _ in range(3))
    if relevant:
        return f"{rng.choice(_SUBJECTS)} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} in {own}"
    return f"{rng.choice(['Amazon', 'Target', 'Netflix', 'Twitch'])} {rng.choice(_NOISE)} {own}"


def write_feeds(folder: Path, feeds: int, items: int, seed: int = 7) -> list[Path]:
    """`feeds` RSS files of `items` entries: relevant, irrelevant and syndicated copies."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    start = datetime(2026, 11, 1, tzinfo=UTC)
    shared = [_title(rng, True) for _ in range(items)]
    paths = []
    for number in range(feeds):
        entries = []
        for index in range(items):
            kind = rng.random()
            if kind < 0.1:
                title = f"UPDATE: {shared[index]} - Outlet {number}"  # a syndicated copy
            else:
                title = _title(rng, relevant=kind < 0.7)
            moment = start + timedelta(minutes=rng.randrange(60 * 24 * 20))
            # A few words of the trade, many of the story's own (as in real summaries).
            words = " ".join(
                rng.choice(_WORDS) if rng.random() < 0.3 else f"w{rng.randrange(20000)}"
                for _ in range(rng.randrange(25, 60))
            )
            summary = (
                f"<p>{escape(title)}. {words.capitalize()}.</p>"
                f'<p><a href="/story/{number}-{index}?utm_source=rss">Read more</a></p>'
            )
            entries.append(
                f"<item><title>{escape(title)}</title>"
                f"<link>https://outlet{number}.example/story/{number}-{index}?utm_source=rss</link>"
                f"<guid>outlet{number}-{index}</guid>"
                f"<pubDate>{format_datetime(moment)}</pubDate>"
                f"<description><![CDATA[{summary}]]></description></item>"
            )
        path = folder / f"feed-{number:04d}.rss"
        path.write_text(
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Outlet {number}</title><link>https://outlet{number}.example/</link>"
            + "".join(entries)
            + "</channel></rss>",
            encoding="utf-8",
        )
        paths.append(path)
    return paths


def write_newsletter(root: Path, articles: int, per_issue: int = 10, seed: int = 7) -> Path:
    """A newsletter with the project's settings and theme and `articles` synthetic articles."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    for name in ("pelicanconf.py", "publishconf.py", "relevance.toml"):
        shutil.copy(REPO / name, root / name)
    shutil.copytree(REPO / "themes", root / "themes", dirs_exist_ok=True)
    content = root / "content"
    shutil.copytree(REPO / "content" / "pages", content / "pages", dirs_exist_ok=True)
    shutil.copy(REPO / "content" / "entities.toml", content / "entities.toml")
    (content / "issues").mkdir(parents=True, exist_ok=True)
    sections = ["Platforms", "Retail & brands", "Creators & hosts", "China & Asia", "Deals"]
    first = date(2024, 1, 1)
    slugs_by_week: dict[str, list[str]] = {}
    for number in range(articles):
        day = first + timedelta(days=number * 7 // per_issue)
        year, week, _ = day.isocalendar()
        slug = f"story-{number:05d}"
        subject = rng.choice(_SUBJECTS)
        folder = content / "articles" / str(day.year)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{slug}.md").write_text(
            f"Title: {subject} {rng.choice(_VERBS)} {rng.choice(_OBJECTS)} ({number})\n"
            f"Date: {day:%Y-%m-%d} 09:00\nCategory: {rng.choice(sections)}\nTags: {subject}\n"
            f"Slug: {slug}\nStatus: published\nSource: Outlet {number % 40}\n"
            f"Link: https://outlet{number % 40}.example/{slug}\nEntities: {subject}\n\n"
            f"> {subject} said it would change how sellers go live, according to the outlet.\n\n"
            f"## Why it matters\n\nThe move tells us how {subject} sees live selling. "
            "Brands should watch conversion, not reach, and plan hosts accordingly.\n",
            encoding="utf-8",
        )
        slugs_by_week.setdefault(f"{year}-W{week:02d}", []).append(slug)
    for week, slugs in slugs_by_week.items():
        body = "\n".join(f"- {slug}" for slug in slugs)
        (content / "issues" / f"{week}.md").write_text(
            f"Title: Issue {week}\nDate: {date.fromisocalendar(int(week[:4]), int(week[6:]), 5)}"
            f" 09:00\nStatus: published\n\nThe week in live commerce.\n\n## Platforms\n\n{body}\n",
            encoding="utf-8",
        )
    return root
