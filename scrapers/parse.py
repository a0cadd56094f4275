"""Feed bytes to raw entries: RSS and Atom through feedparser, JSON Feed by its spec."""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from brief.errors import SourceError


@dataclass(frozen=True)
class RawEntry:
    """One entry as the feed gave it: fields may hold HTML and are not yet trusted."""

    guid: str | None
    link: str | None
    title: str
    summary: str
    published: datetime | None
    author: str | None = None


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    entries: tuple[RawEntry, ...]
    warnings: tuple[str, ...] = ()


def parse_feed(body: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """Parse a feed, detecting its format from the content itself.

    A feed that feedparser could only partly read keeps the entries it recovered and
    carries a warning; a document with no entries that is not a feed raises SourceError.
    """
    head = body.lstrip()[:1]
    if head in (b"{", b"["):
        return _parse_json_feed(body, url)
    parsed = feedparser.parse(
        body,
        response_headers={
            "content-location": url,
            "content-type": content_type or "application/xml",
        },
        sanitize_html=False,  # nh3 sanitizes every field later, with our allowlist
    )
    warnings: list[str] = []
    reason = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not parsed.entries and not parsed.get("version"):
        looks = "an HTML page" if b"<html" in body[:4096].lower() else "not a feed"
        detail = f": {reason}" if reason else ""
        raise SourceError(f"not an RSS, Atom or JSON feed ({looks}){detail}", url)
    if reason is not None:
        warnings.append(f"recovered from a malformed feed: {reason}")
    entries = tuple(_from_feedparser(entry) for entry in parsed.entries)
    return ParsedFeed(str(parsed.feed.get("title", "")), entries, tuple(warnings))


def _from_feedparser(entry: Any) -> RawEntry:
    summary = ""
    if entry.get("content"):
        summary = str(entry.content[0].get("value", ""))
    if not summary:
        summary = str(entry.get("summary", ""))
    stamp = entry.get("published_parsed") or entry.get("updated_parsed")
    published = datetime.fromtimestamp(calendar.timegm(stamp), UTC) if stamp else None
    return RawEntry(
        guid=entry.get("id") or None,
        link=entry.get("link") or None,
        title=str(entry.get("title", "")),
        summary=summary,
        published=published,
        author=entry.get("author") or None,
    )


def _parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    """JSON Feed 1.0 and 1.1 (https://www.jsonfeed.org/version/1.1/)."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise SourceError(f"invalid JSON feed: {err}", url) from err
    if not isinstance(data, dict) or "jsonfeed.org/version/" not in str(data.get("version", "")):
        raise SourceError("JSON document is not a JSON Feed (no jsonfeed.org version)", url)
    base = str(data.get("feed_url") or data.get("home_page_url") or url)
    items = data.get("items")
    if not isinstance(items, list):
        raise SourceError("JSON Feed has no 'items' list", url)
    entries = []
    warnings = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            warnings.append(f"item {index} is not an object; skipped")
            continue
        link = item.get("url") or item.get("external_url")
        summary = item.get("content_html") or _text_as_html(item.get("content_text"))
        summary = summary or _text_as_html(item.get("summary"))
        authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
        author = authors[0].get("name") if authors and isinstance(authors[0], dict) else None
        entries.append(
            RawEntry(
                guid=str(item["id"]) if item.get("id") is not None else None,
                link=urljoin(base, str(link)) if link else None,
                title=str(item.get("title") or ""),
                summary=str(summary or ""),
                published=_iso_date(item.get("date_published") or item.get("date_modified")),
                author=str(author) if author else None,
            )
        )
    return ParsedFeed(str(data.get("title") or ""), tuple(entries), tuple(warnings))


def _text_as_html(text: object) -> str:
    if not text:
        return ""
    from html import escape

    return "".join(f"<p>{escape(part.strip())}</p>" for part in str(text).split("\n\n"))


def _iso_date(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC)
