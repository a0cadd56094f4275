"""The email digest of an issue: inlined HTML, plain text and a complete .eml.

It is rendered from the issue and article files themselves (not from Pelican's output),
so `brief digest` can rebuild one digest without building the site.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from html import escape, unescape
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import css_inline
import jinja2
from markupsafe import Markup

from brief.content.articles import Article
from brief.content.calendar import CommerceCalendar, load_calendar
from brief.content.files import Newsletter
from brief.content.issues import Issue
from brief.content.movers import ranked
from brief.content.numbers import by_the_numbers
from brief.ground.errors import BriefError, ConfigError, DeliveryError
from brief.ground.links import add_utm
from brief.ground.markup import MarkdownRenderer, wrap
from brief.ground.settings import Settings
from brief.mail.headers import MAIL_POLICY, mailbox
from scrapers.clean import html_to_text, web_url
from scrapers.entities import Watchlist, load_entities

PLACEHOLDER_RECIPIENT = "reader@example.com"  # the To of a digest no one is sent
Sign = Callable[[str, str, str], str]  # (week, story, URL) -> the counted link's signature


@dataclass(frozen=True)
class Audience:
    """Who a digest is written for, and so how it lets its reader leave.

    `unsubscribe` is the link: a subscriber's own signed URL (a personal send), an email
    service's merge tag, or None (a generic digest: no personal link at all). `greeting`,
    when there is one, opens the digest with the reader's name (a service's merge tags).
    """

    name: str
    unsubscribe: str | None = None
    greeting: str | None = None
    preferences: str | None = None  # the reader's own preferences page (a personal send)


@dataclass(frozen=True)
class Follows:
    """What a reader follows: watchlist companies (their names) and sections. Their
    digest puts those stories first, marked, and names the companies in its preheader."""

    companies: frozenset[str] = frozenset()
    sections: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.companies or self.sections)


NOBODY = Follows()
FOLLOWED = "You follow"  # the first section of a follower's digest


class Verbatim(Markup):
    """A value of ours that a digest prints exactly, unescaped and untouched by `inert_tags`:
    an email service's merge tag, our CSS."""


_OPENERS = re.compile(r"\{(?=[{%#])|\*(?=\|)")  # {{ {% {# (Django, Go, Liquid), *| (Mailchimp)
# The same openers percent-encoded, as a link carries them: email services decode a link
# before they merge it (Mailchimp reads *%7CEMAIL%7C* as *|EMAIL|*).
_ENCODED_OPENERS = re.compile(r"(?:\{|%7B)(?=[{#]|%7B|%25|%23)|(?:\*|%2A)(?=\||%7C)", re.I)


def inert_tags(value: Any) -> Any:
    """A printed value with every template opener of an email service broken by a zero-width
    space, so that text from a feed or an editor (`{{ subscriber.email }}`, `*|EMAIL|*`,
    `{% ... %}`) is shown as written, never run by the service that sends the digest; in a
    link's percent-encoded form (`*%7CEMAIL%7C*`) the space is percent-encoded too. Our own
    merge tags are `Verbatim` and pass. Jinja calls this on every value a template prints."""
    if not isinstance(value, str) or isinstance(value, Verbatim):
        return value
    inert = _OPENERS.sub(lambda m: m.group() + "\u200b", value)
    inert = _ENCODED_OPENERS.sub(lambda m: m.group() + "%E2%80%8B", inert)
    return type(value)(inert) if isinstance(value, Markup) else inert


GENERIC = Audience("generic")
SERVICES = {  # `brief digest WEEK --for SERVICE`
    "listmonk": Audience(
        "listmonk",
        "{{ UnsubscribeURL }}",
        "{{ if .Subscriber.FirstName }}Hello {{ .Subscriber.FirstName }},{{ end }}",
    ),
    "mailchimp": Audience("mailchimp", "*|UNSUB|*", "*|IF:FNAME|*Hello *|FNAME|*,*|END:IF|*"),
    "buttondown": Audience("buttondown", "{{ unsubscribe_url }}"),  # no name field of its own
    "generic": GENERIC,
}


PREHEADER_MAX = 140


@dataclass(frozen=True)
class DigestArticle:
    slug: str
    title_html: str
    title: str
    url: str  # the article page on the site
    link: str  # the original story
    source: str
    other_sources: int
    annotation_html: str
    annotation_text: str
    dek: str = ""
    followed: str = ""  # "You follow TikTok Shop": why it comes first for this reader


@dataclass(frozen=True)
class DigestSection:
    name: str
    articles: tuple[DigestArticle, ...]


@dataclass(frozen=True)
class Digest:
    week: str
    subject: str
    preheader: str
    html: str
    text: str
    message: EmailMessage

    def write(self, folder: Path, name: str | None = None, eml: bool = True) -> list[Path]:
        folder.mkdir(parents=True, exist_ok=True)
        stem = name or self.week
        paths = [folder / f"{stem}.html", folder / f"{stem}.txt"]
        paths[0].write_text(self.html, encoding="utf-8")
        paths[1].write_text(self.text, encoding="utf-8")
        if eml:
            paths.append(folder / f"{stem}.eml")
            paths[2].write_bytes(self.message.as_bytes(policy=MAIL_POLICY))
        return paths


class DigestRenderer:
    """Renders digests with the theme's email templates; reuse it for many issues."""

    def __init__(self, settings: Settings):
        self.settings = settings
        theme = settings.theme / "templates" / "email"
        self.templates = theme
        if not theme.is_dir():
            raise DeliveryError(f"{theme}: the theme has no email templates")
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(theme),
            autoescape=jinja2.select_autoescape(["html"]),
            trim_blocks=True,
            lstrip_blocks=True,
            undefined=jinja2.StrictUndefined,
            finalize=inert_tags,
        )
        self._env.filters["wrap"] = wrap
        self._css = (theme / "digest.css").read_text(encoding="utf-8")
        self._markdown = MarkdownRenderer(settings.markdown)
        try:
            self.calendar = load_calendar(settings.calendar)
        except ConfigError:
            self.calendar = CommerceCalendar()  # `brief check` reports it, and publish stops
        self._inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)
        self._entities: Watchlist | None = None

    def render(
        self,
        issue: Issue,
        newsletter: Newsletter,
        now: datetime | None = None,
        recipient: str = PLACEHOLDER_RECIPIENT,
        audience: Audience = GENERIC,
        counted: Sign | None = None,
        follows: Follows = NOBODY,
    ) -> Digest:
        """The digest of an issue for `audience`, addressed to `recipient`. With `counted`
        (a signer of week, story and URL, and BRIEF_DIGEST["clicks"] not "off"), its links
        go through the subscription service, which counts each click per issue and story,
        then redirects. With `follows`, the stories about what the reader follows come
        first, marked, and the preheader names their companies; the rest of the issue
        follows as edited."""
        settings = self.settings
        base = settings.public_url + "/"
        utm = dict(settings.digest.utm)
        if utm:
            utm.setdefault("campaign", issue.week.lower())
        sections = []
        shown: list[Article] = []
        for section in issue.sections:
            articles = []
            for entry in section.entries:
                article = newsletter.articles.get(entry.slug)
                if article is None:
                    continue  # `brief check` reports it; the digest shows what exists
                # A build hands over what its reader rendered; a command renders it here.
                annotation_html = article.annotation_html or self._markdown.render(
                    article.annotation_md
                )
                articles.append(
                    DigestArticle(
                        slug=article.slug,
                        title_html=article.title,
                        title=html_to_text(article.title),
                        url=add_utm(
                            base
                            + settings.urls.article_url(article.slug, article.date, article.status),
                            utm,
                        ),
                        link=web_url(article.link) or "",
                        source=article.source,
                        other_sources=len(article.also),
                        annotation_html=annotation_html,
                        annotation_text=html_to_text(annotation_html, blocks=True),
                        dek=article.dek,
                    )
                )
                shown.append(article)
            if articles:
                sections.append(DigestSection(section.name, tuple(articles)))
        story_urls = {a.slug: a.url for section in sections for a in section.articles}
        intro_html = self._markdown.render(issue.intro_md)
        intro_text = html_to_text(intro_html, blocks=True)
        subject = html_to_text(issue.title) or f"{settings.sitename}, {issue.week}"
        lead = issue.preheader or intro_text
        if follows:
            sections, named = self._followed_first(sections, shown, follows)
            if named:
                lead = f"For you: {_listed(named)}. {lead}"
        preheader = _preheader(lead, subject)
        context = {
            "sitename": settings.sitename,
            "siteurl": settings.public_url,
            "subject": subject,
            "issue": issue,
            "issue_date": issue.date,
            "intro_html": intro_html,
            "intro_text": intro_text,
            "sections": sections,
            "stories": [article for section in sections for article in section.articles],
            "numbers": [(line, story_urls[line.slug]) for line in by_the_numbers(shown)],
            "movers": ranked(issue.movers),
            "coming_up": self.calendar.coming_up(issue.date.date()) if issue.date else [],
            "preheader": preheader,
            "view_url": add_utm(base + settings.urls.issue_url(issue.slug), utm),
            "unsubscribe_url": _verbatim(audience.unsubscribe),
            "preferences_url": _verbatim(audience.preferences),
            "greeting": _verbatim(audience.greeting),
            "subscribe_url": base + "subscribe/",
            "postal_address": settings.digest.postal_address,
            "css": Verbatim(self._css),
        }
        html = self._inliner.inline(self._env.get_template("digest.html").render(context))
        text = self._env.get_template("digest.txt").render(context).strip() + "\n"
        if counted is not None and settings.subscriptions and settings.digest.clicks != "off":
            stories = {a.url: a.slug for section in sections for a in section.articles}
            stories.update({a.link: a.slug for s in sections for a in s.articles if a.link})
            keep = frozenset(u for u in (audience.unsubscribe, audience.preferences) if u)
            counter = ClickCounter(settings.subscriptions.url, issue.week, counted, stories, keep)
            urls = {unescape(url) for url in _HREF.findall(html)}
            html = counter.html(html)
            if settings.digest.clicks == "all":
                text = counter.text(text, urls)
        personal = audience.unsubscribe if audience.name == "personal" else None
        message = self.message(issue, subject, html, text, recipient, now, unsubscribe=personal)
        return Digest(issue.week, subject, preheader, html, text, message)

    def _followed_first(
        self, sections: list[DigestSection], shown: list[Article], follows: Follows
    ) -> tuple[list[DigestSection], list[str]]:
        """The sections with the reader's stories taken out to a first one, each marked
        with what the reader follows in it; and the companies they follow in this issue
        (else the sections), to name in the preheader."""
        watchlist = self._watchlist()
        reasons: dict[str, list[str]] = {}
        companies: list[str] = []
        for article in shown:
            found: list[str] = []
            for name in article.entities:
                entity = watchlist.resolve(name)
                if entity is None:
                    continue
                for candidate in (entity.name, entity.parent):
                    if candidate in follows.companies and candidate not in found:
                        found.append(candidate)
            companies += [name for name in found if name not in companies]
            if article.section in follows.sections:
                found.append(article.section)
            if found:
                reasons[article.slug] = found
        if not reasons:
            return sections, []
        first = [
            replace(a, followed=f"{FOLLOWED} {_listed(reasons[a.slug])}")
            for section in sections
            for a in section.articles
            if a.slug in reasons
        ]
        rest = [
            DigestSection(s.name, tuple(a for a in s.articles if a.slug not in reasons))
            for s in sections
        ]
        named = companies or sorted({r for found in reasons.values() for r in found})
        return [DigestSection(FOLLOWED, tuple(first)), *[s for s in rest if s.articles]], named

    def followable(self, issue: Issue, newsletter: Newsletter) -> Follows:
        """Every company (or its owner) and section a story of this issue is about: what
        a reader's follows are narrowed to, so that readers whose digests come out the same
        share one rendering."""
        watchlist = self._watchlist()
        companies: set[str] = set()
        sections: set[str] = set()
        for slug in issue.slugs:
            article = newsletter.articles.get(slug)
            if article is None:
                continue
            sections.add(article.section)
            for name in article.entities:
                entity = watchlist.resolve(name)
                if entity is not None:
                    companies |= {entity.name, entity.parent} - {""}
        return Follows(frozenset(companies), frozenset(sections))

    def _watchlist(self) -> Watchlist:
        if self._entities is None:
            try:
                self._entities = Watchlist(load_entities(self.settings.entities))
            except BriefError:  # `brief check` reports it; no company matches meanwhile
                self._entities = Watchlist([])
        return self._entities

    def sample_unsubscribe_url(self) -> str:
        """An unsubscribe link as long as a real one, to measure a digest against its budget."""
        service = self.settings.subscriptions
        base = service.url if service else self.settings.public_url + "/subscriptions/"
        return f"{base}unsubscribe?token={'x' * 40}.{'x' * 6}.{'x' * 27}"

    def message(
        self,
        issue: Issue,
        subject: str,
        html: str,
        text: str,
        recipient: str,
        now: datetime | None = None,
        name: str | None = None,
        unsubscribe: str | None = None,
    ) -> EmailMessage:
        """A complete message: its own Message-ID and, for a personal send, the recipient's
        one-click unsubscribe link (RFC 8058) in the headers."""
        sent = issue.date or now or datetime.now(UTC)
        return compose(
            self.settings, subject, html, text, recipient, name, unsubscribe, sent,
            idstring=issue.week.lower(),
        )  # fmt: skip

    def frame(self, template: str, context: dict[str, Any]) -> tuple[str, str]:
        """Another email in the digest's frame and style: `template`.html, inlined, and
        `template`.txt, with what every email of the newsletter shows."""
        full = {
            "sitename": self.settings.sitename,
            "siteurl": self.settings.public_url,
            "subscribe_url": self.settings.public_url + "/subscribe/",
            "postal_address": self.settings.digest.postal_address,
            "css": Verbatim(self._css),
            "preferences_url": None,
            **context,
        }
        html = self._inliner.inline(self._env.get_template(f"{template}.html").render(full))
        return html, self._env.get_template(f"{template}.txt").render(full).strip() + "\n"

    def markdown(self, text: str) -> str:
        return self._markdown.render(text)


def compose(
    settings: Settings,
    subject: str,
    html: str,
    text: str,
    recipient: str,
    name: str | None,
    unsubscribe: str | None,
    sent: datetime,
    idstring: str,
) -> EmailMessage:
    """A complete message from the newsletter: From, Reply-To, its own Message-ID and, for a
    reader's own message, their one-click unsubscribe link (RFC 8058) in the headers."""
    digest = settings.digest
    message = EmailMessage(policy=MAIL_POLICY)
    message["Subject"] = subject
    message["From"] = digest.sender
    message["To"] = mailbox(name, recipient)
    if digest.reply_to:
        message["Reply-To"] = digest.reply_to
    message["Date"] = format_datetime(sent)
    domain = urlsplit(settings.public_url).hostname or "localhost"
    message["Message-ID"] = make_msgid(idstring=idstring, domain=domain)
    targets = [f"<{unsubscribe}>"] if unsubscribe else []
    if digest.unsubscribe_mailto:
        targets.append(f"<mailto:{digest.unsubscribe_mailto}?subject=unsubscribe>")
    if targets:
        message["List-Unsubscribe"] = ", ".join(targets)
    if unsubscribe:
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(text, charset="utf-8")
    message.add_alternative(html, subtype="html", charset="utf-8")
    return message


_HREF = re.compile(r'(?<=\shref=")(https?://[^"]+)(?=")')


@dataclass(frozen=True)
class ClickCounter:
    """The digest's links rewritten to go through the subscription service's counter:
    `{service}r/{week}/{story}?to={url}&sig={signature}`. The service's own links (the
    unsubscribe link, the preferences) stay as they are."""

    service: str  # the service's public URL, ending with /
    week: str
    sign: Sign
    stories: dict[str, str]  # a story's links (our page, the source) -> its slug
    keep: frozenset[str] = frozenset()  # links never counted (the reader's own)

    def counted(self, url: str) -> str:
        if url.startswith(self.service) or url in self.keep:
            return url
        story = self.stories.get(url, "")
        week = self.week.lower()
        signature = self.sign(week, story, url)
        return f"{self.service}r/{week}/{story or '-'}?to={quote(url, safe='')}&sig={signature}"

    def html(self, html: str) -> str:
        return _HREF.sub(lambda m: escape(self.counted(unescape(m.group(1)))), html)

    def text(self, text: str, urls: set[str]) -> str:
        """The plain text's links: the URLs the HTML links to (`urls`), wherever one stands
        as a whole (a closing bracket or a full stop after it is not part of it)."""

        def swap(match: re.Match[str]) -> str:
            token = match.group(0)
            for end in range(len(token), max(len(token) - 3, 0), -1):
                if token[:end] in urls:
                    return self.counted(token[:end]) + token[end:]
            return token

        return _TEXT_URL.sub(swap, text)


_TEXT_URL = re.compile(r"https?://[^\s<>]+")


def counted_target(link: str) -> str | None:
    """Where a counted link (`.../r/WEEK/STORY?to=URL&sig=S`) sends its reader, or None."""
    parts = urlsplit(unescape(link))
    if re.search(r"/r/[^/]+/[^/]+$", parts.path) is None:
        return None
    targets = parse_qs(parts.query).get("to")
    return targets[0] if targets else None


def digest_probe(settings: Settings) -> Callable[[Issue, Newsletter], Digest]:
    """An issue's digest as `brief check` examines it (see `sample_digest`)."""
    renderer = DigestRenderer(settings)
    return lambda issue, newsletter: sample_digest(renderer, issue, newsletter)


def sample_digest(renderer: DigestRenderer, issue: Issue, newsletter: Newsletter) -> Digest:
    """A personal digest with a sample unsubscribe link and counted links: its heaviest
    form, every link in."""
    link = renderer.sample_unsubscribe_url()
    sample = Audience(
        "personal", unsubscribe=link, preferences=link.replace("unsubscribe?", "preferences?")
    )
    return renderer.render(issue, newsletter, audience=sample, counted=_sample_signature)


def _sample_signature(week: str, story: str, url: str) -> str:
    """As long as a real signature (the counted links weigh what they will weigh)."""
    return "x" * 27


def build_digests(
    settings: Settings,
    newsletter: Newsletter,
    weeks: Sequence[str] | None = None,
    audience: Audience = GENERIC,
) -> list[Path]:
    """Write `output/digest/<week>.html|.txt|.eml` for these issues: generic digests, with no
    personal link (for any email service: its own unsubscribe link goes with it).

    For an email service's `audience`, `<week>.<service>.html|.txt` carry its merge tags.
    Named weeks are always rewritten. Without names, every issue is considered and those
    whose inputs (the issue file, its articles, the templates, the settings) did not change
    since the last build are left as they are.
    """
    if audience is not GENERIC:
        assert weeks is not None, "a service's digest is written for named weeks"
        return [
            path
            for week in weeks
            for path in DigestRenderer(settings)
            .render(newsletter.issue(week), newsletter, audience=audience)
            .write(settings.output / "digest", f"{week}.{audience.name}", eml=False)
        ]
    renderer = DigestRenderer(settings)
    folder = settings.output / "digest"
    manifest = folder / ".inputs.json"
    known: dict[str, str] = {}
    if weeks is None and manifest.is_file():
        try:
            known = json.loads(manifest.read_text(encoding="utf-8"))
        except ValueError:
            known = {}
    shared = _shared_inputs(settings, renderer)
    written: list[Path] = []
    for week in weeks if weeks is not None else sorted(newsletter.issues):
        issue = newsletter.issue(week)
        inputs = _inputs(issue, newsletter, shared)
        paths = [folder / f"{week}.{ext}" for ext in ("html", "txt", "eml")]
        if known.get(week) == inputs and all(p.is_file() for p in paths):
            continue
        written += renderer.render(issue, newsletter).write(folder)
        known[week] = inputs
    folder.mkdir(parents=True, exist_ok=True)
    manifest.write_text(json.dumps(known, indent=1, sort_keys=True), encoding="utf-8")
    return written


def _shared_inputs(settings: Settings, renderer: DigestRenderer) -> str:
    digest = hashlib.sha256()
    for template in sorted(renderer.templates.iterdir()):
        if template.is_file():
            digest.update(template.read_bytes())
    shown = (
        settings.digest, settings.sitename, settings.public_url, settings.markdown,
        renderer.calendar,
    )  # fmt: skip
    digest.update(repr((shown, settings.urls)).encode())
    return digest.hexdigest()


def _inputs(issue: Issue, newsletter: Newsletter, shared: str) -> str:
    """A fingerprint of everything the issue's digest shows, from the records in memory
    (a build has just read every file; nothing is read again)."""
    digest = hashlib.sha256(shared.encode())
    digest.update(repr(issue).encode())
    for slug in issue.slugs:
        article = newsletter.articles.get(slug)
        digest.update(repr(_shown(article) if article else f"missing {slug}").encode())
    return digest.hexdigest()


def _shown(article: Article) -> str:
    return repr(article)  # every field of the record (the file's Document is not one)


def _preheader(text: str, subject: str) -> str:
    """40 to 140 characters of the intro, cut at a word."""
    text = " ".join(text.split()) or subject
    if len(text) <= PREHEADER_MAX:
        return text
    cut = text[: PREHEADER_MAX - 1].rsplit(" ", 1)[0]
    return cut.rstrip(",;:") + "…"


def _listed(names: Sequence[str]) -> str:
    """ "A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _verbatim(value: str | None) -> Verbatim | None:
    return None if value is None else Verbatim(value)


def article_block(renderer: DigestRenderer, article: Article, when: datetime) -> str:
    """An article's block as a digest shows it (its section's heading, then the article),
    styles inlined as they leave: the web desk's preview of an article being written."""
    from bs4 import BeautifulSoup

    from brief.content.issues import Entry, Section

    section = Section(article.section or "News", 1, (Entry(article.slug, 1),))
    issue = Issue(Path("preview.md"), f"{when:%G-W%V}", "", when, "draft", "", "", (section,), ())
    digest = renderer.render(issue, Newsletter({article.slug: article}, {}), when)
    soup = BeautifulSoup(digest.html, "html.parser")
    rows = [td.parent for td in soup.select("td.section, td.article")]
    styles = "".join(str(style) for style in soup.select("head style"))
    body = soup.body.get("style", "") if soup.body else ""
    table = "".join(str(row) for row in rows if row is not None)
    return (
        f'{styles}<div style="{body}"><table role="presentation" width="600"'
        f' style="max-width:600px;width:100%;margin:0 auto">{table}</table></div>'
    )
