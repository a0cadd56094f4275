"""From raw feed entries to candidates: cleaned, dated, scored and tagged (pure functions)."""

from __future__ import annotations

import hashlib
import html
import re
from datetime import datetime, timedelta

from scrapers.clean import (
    SUMMARY_MAX,
    canonical_url,
    clean_name,
    clean_title,
    cut_at_word,
    html_to_text,
    sanitize_html,
    web_url,
    without_tracking,
)
from scrapers.cluster import split_publisher
from scrapers.entities import EntityTagger
from scrapers.parse import RawEntry
from scrapers.phrases import Words
from scrapers.records import Candidate
from scrapers.relevance import Rules, score_item
from scrapers.sources import Source

FUTURE_TOLERANCE = timedelta(hours=1)


def build_candidate(
    entry: RawEntry, source: Source, tagger: EntityTagger, rules: Rules, fetched: datetime
) -> Candidate | None:
    """Clean one entry; None when it has no usable link (nothing an editor could cite)."""
    link = web_url(entry.link) or web_url(entry.guid)
    if link is None:
        return None
    link = without_tracking(link)
    title = clean_title(entry.title) or link
    outlet = clean_name(entry.publisher or "") if entry.publisher else ""
    title, suffix = split_publisher(title)
    if source.aggregator and not outlet:
        outlet = suffix  # "Headline - Reuters" from an aggregator that names no <source>
    if suffix and suffix.casefold() != outlet.casefold():
        title = f"{title} - {suffix}"  # a dash that is part of the headline stays
    summary_html = sanitize_html(entry.summary, entry.base)
    summary_text = html_to_text(summary_html)
    if source.aggregator and outlet:  # "Headline  Reuters": the outlet is not the summary
        summary_text, summary_html = _without_outlet(summary_text, summary_html, outlet)
    cut = len(summary_text) > SUMMARY_MAX
    if cut:  # kept as plain text: a cut in HTML could leave a tag open
        summary_text = cut_at_word(summary_text, SUMMARY_MAX)
        summary_html = f"<p>{html.escape(summary_text, quote=False)}</p>"
    published, flag = entry.published or fetched, "" if entry.published else "undated"
    if published > fetched + FUTURE_TOLERANCE:
        published, flag = fetched, "future"
    haystack = f"{title}\n{summary_text}"
    filtered = rules.filters.rejects(haystack) or source.filters.rejects(haystack) or ""
    title_words, text_words = Words(title), Words(summary_text)
    mentions = tagger.tag(title_words, text_words)
    score = score_item(rules, title_words, text_words, mentions, source.tier)
    canonical = canonical_url(link)
    # A GUID reused for different links is not one item: identity is GUID plus URL.
    guid = hashlib.sha1(f"{entry.guid or ''}\n{canonical}".encode()).hexdigest()
    return Candidate(
        title=title,
        link=link,
        canonical_url=canonical,
        source=clean_name(source.name),
        published=published,
        fetched=fetched,
        summary_html=summary_html,
        summary_text=summary_text,
        score=score.value,
        entities=tuple(m.entity.name for m in mentions),
        about=tuple(m.entity.name for m in mentions if m.about),
        guid=guid,
        signals=tuple(f"{s.weight:+.2f} {s.reason}" for s in score.signals),
        date_flag=flag,
        section=source.section,
        filtered=filtered,
        outlet=outlet if outlet.casefold() != clean_name(source.name).casefold() else "",
        summary_cut=cut,
    )


def _without_outlet(text: str, html_fragment: str, outlet: str) -> tuple[str, str]:
    """An aggregator's summary without the outlet's name it ends with."""
    ending = re.compile(rf"[\s\u00a0\-\u2013\u2014|]*{re.escape(outlet)}\s*$", re.IGNORECASE)
    if not ending.search(text):
        return text, html_fragment
    text = ending.sub("", text)
    tail = re.compile(
        rf"[\s\u00a0\-\u2013\u2014|]*{re.escape(html.escape(outlet, quote=False))}"
        r"(?P<close>(?:\s*</[a-z]+>)*)\s*$",
        re.IGNORECASE,
    )
    html_fragment, count = tail.subn(lambda m: m["close"], html_fragment)
    if not count:  # the name was split by markup: the plain text, escaped, is safest
        html_fragment = f"<p>{html.escape(text, quote=False)}</p>" if text else ""
    return text, html_fragment
