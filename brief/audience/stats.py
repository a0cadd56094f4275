"""How an issue did, without watching its readers: how many it reached, who left after it,
and which of its links were clicked (counted per issue and story, never per reader), with
the list's growth week by week. `brief stats` and the web desk show the same numbers."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from brief.audience.roster import WeekGrowth, list_overview
from brief.content.files import Newsletter
from brief.ground.settings import Settings
from scrapers.clean import html_to_text
from scrapers.storage import Store


@dataclass(frozen=True)
class StoryClicks:
    slug: str
    title: str
    clicks: int
    links: dict[str, int]  # each of its links (our page, the source) -> clicks


@dataclass(frozen=True)
class IssueStats:
    week: str
    number: int | None
    title: str
    sent: int
    failed: int
    uncertain: int
    bounced: int  # of its recipients, after it reached them and before the next issue
    complained: int
    unsubscribed: int
    clicks: int
    stories: list[StoryClicks] = field(default_factory=list)  # most clicked first
    other_links: dict[str, int] = field(default_factory=dict)  # the issue page, the calendar

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def issue_stats(store: Store, newsletter: Newsletter, week: str) -> IssueStats:
    issue = newsletter.issues.get(week)
    stories: dict[str, dict[str, int]] = {}
    other: dict[str, int] = {}
    for story, url, count in store.clicks.of(week):
        if story:
            stories.setdefault(story, {})[url] = count
        else:
            other[url] = count
    counted = []
    for slug, links in stories.items():
        article = newsletter.articles.get(slug)
        title = html_to_text(article.title) if article else slug
        counted.append(StoryClicks(slug, title, sum(links.values()), links))
    counted.sort(key=lambda story: (-story.clicks, story.title))
    left = store.deliveries.left_after(week)
    return IssueStats(
        week=week,
        number=issue.number if issue else None,
        title=html_to_text(issue.title) if issue else "",
        sent=store.deliveries.count(week, "sent"),
        failed=store.deliveries.count(week, "failed"),
        # A send killed mid-message leaves its recipient pending: delivered or not, unknown.
        uncertain=store.deliveries.count(week, "uncertain")
        + store.deliveries.count(week, "pending"),
        bounced=left.get("bounced", 0),
        complained=left.get("complained", 0),
        unsubscribed=left.get("unsubscribed", 0),
        clicks=sum(s.clicks for s in counted) + sum(other.values()),
        stories=counted,
        other_links=other,
    )


def every_issue(store: Store, newsletter: Newsletter) -> list[IssueStats]:
    """Every issue that was sent or clicked, newest first."""
    weeks = set(store.deliveries.weeks())
    weeks |= set(store.clicks.totals())
    return [issue_stats(store, newsletter, week) for week in sorted(weeks, reverse=True)]


def growth(store: Store, settings: Settings, now: datetime, weeks: int = 12) -> list[WeekGrowth]:
    """Who joined and who left, each of the last `weeks` weeks, oldest first."""
    return list_overview(store, now, settings.timezone, weeks=weeks, recent=0).weeks
