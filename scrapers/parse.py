"""Feed bytes to raw entries: RSS and Atom through feedparser, JSON Feed by its spec."""

from __future__ import annotations

import calendar
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser

from scrapers.errors import SourceError


@dataclass(frozen=True)
class RawEntry:
    """One entry as the feed gave it: fields may hold HTML and are not yet trusted."""

    guid: str | None
    link: str | None
    title: str
    summary: str
    published: datetime | None
    author: str | None = None
    raw_date: str | None = None  # a date the feed gave that could not be used, if any
    publisher: str | None = None  # an item's own <source> (aggregators name the outlet)
    base: str | None = None  # what the summary's relative links are relative to


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    entries: tuple[RawEntry, ...]
    warnings: tuple[str, ...] = ()


# Dates before this are a feed's mistake (0001-01-01), not a story's publication date.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)


def parse_feed(body: bytes, url: str, content_type: str = "") -> ParsedFeed:
    """Parse a feed, detecting its format from the content itself.

    A feed that feedparser could only partly read keeps the entries it recovered and
    carries a warning; a document with no entries that is not a feed raises SourceError.
    An entry that cannot be read is left out with a warning; the others are kept.
    """
    head = body.lstrip()[:1]
    if head in (b"{", b"["):
        return _parse_json_feed(body, url)
    try:
        parsed = feedparser.parse(
            body,
            response_headers={
                "content-location": url,
                "content-type": content_type or "application/xml",
            },
            resolve_relative_uris=False,
            # nh3 sanitizes every field later, with our allowlist, and resolves the relative
            # links it keeps (against each entry's base): feedparser need not parse the HTML.
            sanitize_html=False,
        )
    except (RecursionError, MemoryError) as err:
        raise SourceError(f"feed too deeply nested to read ({type(err).__name__})", url) from err
    except Exception as err:  # feedparser's own bugs on hostile input: this source only
        raise SourceError(
            f"feedparser could not read it: {type(err).__name__}: {err}", url
        ) from err
    warnings: list[str] = []
    reason = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if not parsed.entries and not parsed.get("version"):
        looks = "an HTML page" if b"<html" in body[:4096].lower() else "not a feed"
        detail = f": {reason}" if reason else ""
        raise SourceError(f"not an RSS, Atom or JSON feed ({looks}){detail}", url)
    if reason is not None:
        warnings.append(f"recovered from a malformed feed: {reason}")
    entries = []
    for number, entry in enumerate(parsed.entries, 1):
        try:
            entries.append(_from_feedparser(entry))
        except Exception as err:  # one unreadable entry never costs the others
            warnings.append(f"entry {number} skipped: {type(err).__name__}: {err}")
    return ParsedFeed(str(parsed.feed.get("title", "")), tuple(entries), tuple(warnings))


def _from_feedparser(entry: Any) -> RawEntry:
    summary, base = "", None
    if entry.get("content"):
        summary = str(entry.content[0].get("value", ""))
        base = entry.content[0].get("base")
    if not summary:
        summary = str(entry.get("summary", ""))
        base = (dict.get(entry, "summary_detail") or {}).get("base")
    # dict.get: feedparser's own get() maps a missing `updated` to `published`, with a warning
    stamp = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    raw_date = dict.get(entry, "published") or dict.get(entry, "updated")
    return RawEntry(
        guid=_text(entry.get("id")),
        link=_text(entry.get("link")),
        title=str(entry.get("title", "")),
        summary=summary,
        published=_struct_date(stamp),
        author=_text(entry.get("author")),
        raw_date=str(raw_date) if raw_date and _struct_date(stamp) is None else None,
        publisher=_publisher(entry),
        base=_text(base),
    )


def _publisher(entry: Any) -> str | None:
    """The outlet an item names: RSS `<source>`, Atom `<source><title>`, Bing's
    `<News:Source>`."""
    source = dict.get(entry, "source")
    if isinstance(source, dict):
        name = _text(source.get("title") or source.get("value"))
        if name:
            return name
    for key in ("news_source", "news_publisher"):
        name = _text(dict.get(entry, key))
        if name:
            return name
    return None


def _text(value: object) -> str | None:
    return str(value) if value else None


def _struct_date(stamp: Any) -> datetime | None:
    """A feedparser time tuple (UTC) as a datetime, None when missing or out of range."""
    if not stamp:
        return None
    try:
        moment = datetime.fromtimestamp(calendar.timegm(stamp), UTC)
    except (ValueError, OverflowError, OSError, TypeError):
        return None
    return moment if moment >= EARLIEST else None


def _parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    """JSON Feed 1.0 and 1.1 (https://www.jsonfeed.org/version/1.1/)."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise SourceError(f"invalid JSON feed: {err}", url) from err
    except RecursionError as err:
        raise SourceError("invalid JSON feed: nested too deeply to read", url) from err
    if not isinstance(data, dict) or "jsonfeed.org/version/" not in str(data.get("version", "")):
        raise SourceError("JSON document is not a JSON Feed (no jsonfeed.org version)", url)
    base = str(data.get("feed_url") or data.get("home_page_url") or url)
    if _join(base, "") is None:
        base = url
    items = data.get("items")
    if not isinstance(items, list):
        raise SourceError("JSON Feed has no 'items' list", url)
    entries = []
    warnings = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            warnings.append(f"item {index} is not an object; skipped")
            continue
        try:
            entries.append(_json_entry(item, base))
        except Exception as err:  # one unreadable item never costs the others
            warnings.append(f"item {index} skipped: {type(err).__name__}: {err}")
    return ParsedFeed(str(data.get("title") or ""), tuple(entries), tuple(warnings))


def _json_entry(item: dict[str, Any], base: str) -> RawEntry:
    link = item.get("url") or item.get("external_url")
    summary = item.get("content_html") or _text_as_html(item.get("content_text"))
    summary = summary or _text_as_html(item.get("summary"))
    authors = item.get("authors") or ([item["author"]] if item.get("author") else [])
    author = (
        authors[0].get("name")
        if isinstance(authors, list) and authors and isinstance(authors[0], dict)
        else None
    )
    raw_date = item.get("date_published") or item.get("date_modified")
    published = _iso_date(raw_date)
    return RawEntry(
        guid=str(item["id"]) if item.get("id") is not None else None,
        link=_join(base, str(link)) if link else None,
        title=str(item.get("title") or ""),
        summary=str(summary or ""),
        published=published,
        author=str(author) if author else None,
        raw_date=str(raw_date) if raw_date and published is None else None,
        base=base,
    )


def _join(base: str, link: str) -> str | None:
    """`link` resolved against `base`; None when either is not a URL at all."""
    try:
        urlsplit(base)
        return urljoin(base, link)
    except ValueError:
        return None


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
        if stamp.tzinfo is None:
            stamp = stamp.replace(tzinfo=UTC)
        stamp = stamp.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return stamp if stamp >= EARLIEST else None
