"""`brief check`: everything wrong in content/, as `path:line: level: message` findings."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from bs4 import BeautifulSoup

from brief.content.articles import Article, read_also, read_figures
from brief.content.calendar import load_calendar
from brief.content.document import Document, read_document
from brief.content.files import Newsletter, content_writer
from brief.content.issues import Issue, placeholder_title
from brief.ground.errors import ConfigError, ContentError
from brief.ground.paths import display_path
from brief.ground.settings import Settings
from brief.ground.terminal import plural
from scrapers.clean import (
    canonical_url,
    html_to_text,
    inert_text,
    internal_host,
    slug_problem,
    urlsplit_scheme,
    web_url,
)
from scrapers.entities import Watchlist, load_entities

if TYPE_CHECKING:
    from brief.mail.digest import Digest

PAGE_STATUSES = ("draft", "published", "hidden")  # of an article or issue file


@dataclass(frozen=True, order=True)
class Finding:
    path: Path
    line: int
    level: str  # "error" or "warning"
    message: str

    def format(self) -> str:
        """`path:line: level: message`, the path as the editor would type it."""
        return f"{display_path(self.path)}:{self.line}: {self.level}: {self.message}"


DigestProbe = Callable[[Issue, Newsletter], "Digest"]  # an issue's digest, as it would leave


def check_newsletter(
    newsletter: Newsletter,
    settings: Settings,
    week: str | None = None,
    publishing: bool = False,
    digest: DigestProbe | None = None,
) -> list[Finding]:
    """All findings, or only those about one issue and its articles.

    `publishing`: the check `brief issue publish` runs, where draft articles are expected
    (publishing flips them) but every one of them needs its annotation. `digest` measures
    each issue's digest (its size, its links, its Message-ID); without it (say, for accept)
    no digest is made.
    """
    findings = [
        Finding(err.path or settings.content, err.line or 1, "error", str(err.args[0]))
        for err in newsletter.unreadable
    ]
    if settings.subscriptions is None:
        findings.append(
            Finding(
                settings.config_file,
                1,
                "warning",
                "no subscription service (BRIEF_SUBSCRIPTIONS): readers can only subscribe by"
                f" writing to {settings.digest.sender_address}, and brief send refuses to run",
            )
        )
    findings += _check_calendar(settings)
    findings += _check_welcome(settings)
    for first, second in newsletter.duplicates:
        for this, other in ((first, second), (second, first)):
            line = this.document.line_of("slug") if this.document else 1
            message = f"slug {this.slug!r} is also used by {display_path(other.path)}"
            findings.append(Finding(this.path, line, "error", message))
    if week is None:
        articles: Iterable[Article] = newsletter.articles.values()
        issues: Iterable[Issue] = newsletter.issues.values()
    else:
        issue = newsletter.issue(week)
        issues = [issue]
        articles = [newsletter.articles[s] for s in issue.slugs if s in newsletter.articles]
    watchlist, unreadable = _watchlist(settings)
    findings += unreadable
    for article in articles:
        findings += check_article(article, settings, watchlist)
    for issue in issues:
        findings += _check_issue(issue, newsletter, settings, publishing)
        if digest is not None and issue.slugs:
            findings += _check_digest(issue, digest(issue, newsletter), settings)
    return sorted(findings)


def _check_digest(issue: Issue, digest: Digest, settings: Settings) -> list[Finding]:
    """The digest as it would leave: its size, its links, its Message-ID."""
    found: list[Finding] = []

    def add(message: str) -> None:
        found.append(Finding(issue.path, 1, "error", message))

    budget = settings.digest_budget
    size = len(digest.html.encode())
    if size > budget:
        add(
            f"the digest is {size:,} bytes, over the {budget:,} budget (Gmail clips long"
            " emails): cut articles or shorten annotations"
        )
    own_hosts = {urlsplit(settings.public_url).hostname}
    if settings.subscriptions:
        own_hosts.add(urlsplit(settings.subscriptions.url).hostname)
    links = [*digest_links(digest.html), *re.findall(r"https?://[^\s<>()]+", digest.text)]
    from brief.mail.digest import counted_target

    links += [target for link in links if (target := counted_target(link))]  # where they go
    bad: dict[str, list[str]] = {}  # one finding per problem, however many links share it
    for href in dict.fromkeys(links):
        if problem := link_problem(href, own_hosts):
            bad.setdefault(problem, []).append(href)
    for problem, hrefs in bad.items():
        more = f" (and {len(hrefs) - 1} more)" if len(hrefs) > 1 else ""
        add(f"the digest links to {hrefs[0]!r}{more}: {problem}{_HINT}")
    message_id = str(digest.message["Message-ID"] or "")
    domain = message_id.strip("<>").rpartition("@")[2].lower()
    allowed = {settings.digest.sender_address.rpartition("@")[2].lower(), *own_hosts}
    if domain not in allowed or internal_host(domain):
        theirs = "not a public domain of the sender or the site"
        add(f"the digest's Message-ID ends in @{domain}, {theirs}{_HINT}")
    return found


_HINT = " (publish with the public settings: publishconf.py sets SITEURL and BRIEF_SUBSCRIPTIONS)"


def digest_links(html: str) -> list[str]:
    """Every href and src in a digest, in order."""
    soup = BeautifulSoup(html, "html.parser")
    return [
        str(element.get(attribute))
        for element in soup.find_all(True)
        for attribute in ("href", "src")
        if element.get(attribute)
    ]


def link_problem(href: str, own_hosts: set[str | None]) -> str | None:
    """Why a digest may not carry this link, or None.

    No link may reach a loopback, private or link-local address (or localhost); a link to
    the newsletter's own site or service must be absolute and https. Sources may be http.
    """
    if urlsplit_scheme(href) == "mailto":
        return None
    try:
        parts = urlsplit(href)
        host = (parts.hostname or "").lower().rstrip(".")  # "localhost." is localhost
    except ValueError:
        return "not a valid URL"
    if not parts.scheme or not host:
        return "a relative link, which no mail client can follow"
    if internal_host(host):
        return "a loopback, private or link-local address no reader can reach"
    if host in own_hosts and parts.scheme != "https":
        return "the newsletter's own links must use https"
    return None


def check_article(
    article: Article, settings: Settings, watchlist: Watchlist | None = None
) -> list[Finding]:
    # The document the newsletter was read from: its header lines, without reading it again.
    document = article.document or read_document(article.path)
    found: list[Finding] = []

    def add(key: str | None, message: str, level: str = "error", line: int | None = None) -> None:
        found.append(Finding(article.path, line or document.line_of(key or ""), level, message))

    for key in ("title", "date", "category", "source", "link"):
        if not document.meta.get(key):
            add(None, f"missing '{key.capitalize()}:' in the metadata header")
    found += _control_characters(document)
    if document.meta.get("date") and article.date is None:
        add("date", f"Date {document.meta['date']!r} is not YYYY-MM-DD [HH:MM]")
    if article.section and article.section not in settings.sections:
        known = ", ".join(settings.sections)
        add("category", f"section {article.section!r} is not one of: {known}", "warning")
    if problem := slug_problem(article.slug):
        add("slug", problem)
    if article.status not in PAGE_STATUSES:
        add("status", f"Status must be one of {', '.join(PAGE_STATUSES)}, not {article.status!r}")
    if article.link and web_url(article.link) != article.link:
        add("link", f"Link must be an absolute http(s) URL with a valid host, not {article.link!r}")
    for problem in read_also(document.meta.get("also", ""))[1]:
        add("also", problem)
    for name in article.entities if watchlist else ():
        if watchlist and watchlist.resolve(name) is None:
            guess = watchlist.closest(name)
            hint = (
                f"did you mean {guess!r}?"
                if guess
                else f"add it to {display_path(settings.entities)} or take it out"
            )
            add("entities", f"Entities: {name!r} is not on the watchlist: {hint}")
    for tag in article.tags:
        if watchlist and watchlist.resolve(tag) is not None:
            add(
                "tags",
                f"tag {tag!r} repeats a company: companies go in Entities (they have their own"
                " pages); tags are topics. The site leaves this tag out",
                "warning",
            )
    figures, problems = read_figures(document.meta.get("figures", ""))
    for problem in problems:
        add("figures", problem)
    for figure in figures:
        if _repeats_number(figure.words):
            add(
                "figures",
                f"Figures: the label {figure.words!r} repeats a number: say what it measures"
                " and whose; the page shows the number before it",
                "warning",
            )
    if article.status == "published" and not article.dek:
        add(None, "no 'Dek:' (the story's fact in one sentence): issues show it first", "warning")
    for problem in dek_problems(article):
        add("dek", problem, "warning")
    for name in content_writer(settings).unreviewed(article.path, document.meta):
        add(
            name,
            f"{name.capitalize()}: as brief accept proposed it, not reviewed: correct it, or"
            f" add 'Reviewed: {name}' to the header if it is right",
            "warning",
        )
    if article.status == "published":
        if article.annotation_line is None:
            add(
                None,
                "published article has no '## Why it matters' section",
                line=document.body_line,
            )
        elif not article.has_annotation:
            add(None, "published article has an empty annotation", line=article.annotation_line)
    return found


def _check_welcome(settings: Settings) -> list[Finding]:
    """content/mail/welcome.md, the welcome email's words, if the editors wrote them."""
    from brief.mail.welcome import read_welcome, welcome_path

    try:
        read_welcome(settings)
    except ContentError as err:
        return [
            Finding(err.path or welcome_path(settings), err.line or 1, "error", str(err.args[0]))
        ]
    return []


def _numbered_for_good(issue: Issue) -> bool:
    """Published, or given a `Number:` by hand: a draft's own number is only the next one."""
    return issue.status == "published" or (
        issue.document is not None and "number" in issue.document.meta
    )


def _check_issue(
    issue: Issue, newsletter: Newsletter, settings: Settings, publishing: bool
) -> list[Finding]:
    document = issue.document or read_document(issue.path)
    found: list[Finding] = []

    def add(line: int, message: str, level: str = "error") -> None:
        found.append(Finding(issue.path, line, level, message))

    if not issue.week:
        add(1, f"file name {issue.path.name!r} must be an ISO week, like 2026-W46.md")
    found += _control_characters(document)
    for key in ("title", "date"):
        if not document.meta.get(key):
            add(1, f"missing '{key.capitalize()}:' in the metadata header")
    if document.meta.get("date") and issue.date is None:
        add(document.line_of("date"), "Date is not YYYY-MM-DD [HH:MM]")
    if issue.status not in PAGE_STATUSES:
        add(document.line_of("status"), f"Status must be one of {', '.join(PAGE_STATUSES)}")
    for problem in issue.problems:
        add(problem.line, problem.message)
    if not issue.slugs:
        add(document.body_line, "the issue lists no articles (- article-slug under ## Section)")
    if issue.number and _numbered_for_good(issue):
        for twin in newsletter.issues.values():
            if twin.path != issue.path and twin.number == issue.number and _numbered_for_good(twin):
                add(
                    document.line_of("number"),
                    f"{issue.label} is also the number of {display_path(twin.path)}:"
                    " readers would see two issues with one number",
                )
    seen: dict[str, int] = {}
    stories: dict[str, tuple[str, int]] = {}  # every link of every article -> (slug, line)
    for section in issue.sections:
        for entry in section.entries:
            article = newsletter.articles.get(entry.slug)
            if entry.slug in seen:
                add(entry.line, f"{entry.slug!r} is already listed on line {seen[entry.slug]}")
                continue
            seen[entry.slug] = entry.line
            if article is None:
                add(entry.line, f"no article with slug {entry.slug!r} under content/articles/")
                continue
            for link in _story_links(article):
                other = stories.get(link)
                if other is not None and other[0] != entry.slug:
                    add(
                        entry.line,
                        f"{entry.slug!r} is the same story as {other[0]!r} (line {other[1]}):"
                        f" both cite {link}",
                    )
                    break
                stories[link] = (entry.slug, entry.line)
            if article.status == "hidden":
                add(entry.line, f"{entry.slug!r} is hidden")
            elif not publishing and issue.status == "published" and article.status != "published":
                add(
                    entry.line,
                    f"{entry.slug!r} is still a {article.status} in a published issue: a publish"
                    f" did not finish; run `brief issue publish {issue.week}` again",
                )
            if not article.has_annotation:
                add(entry.line, f"{entry.slug!r} has no annotation yet (## Why it matters)")
    if issue.week and issue.title.strip() == placeholder_title(issue.week):
        add(
            document.line_of("title"),
            f"the title is still the placeholder {issue.title!r}: readers see it as the"
            " digest's subject; write the issue's headline",
        )
    if not issue.intro_md:
        add(
            document.body_line,
            "the issue has no intro (two or three sentences above the sections)",
            "warning",
        )
    minimum = settings.min_articles
    if 0 < len(seen) < minimum:
        add(
            document.body_line,
            f"thin issue: {plural(len(seen), 'article')} (fewer than {minimum})",
            "warning",
        )
    return found


def _watchlist(settings: Settings) -> tuple[Watchlist | None, list[Finding]]:
    """The watchlist, or the error that stops it from being read (the build would fail on
    it, and every company page with it)."""
    try:
        return Watchlist(load_entities(settings.entities)), []
    except ConfigError as err:
        path = err.path or settings.entities
        return None, [Finding(path, err.line or 1, "error", str(err.args[0]))]


def _check_calendar(settings: Settings) -> list[Finding]:
    """content/calendar.toml: TOML that parses, and events the build can place."""
    try:
        calendar = load_calendar(settings.calendar)
    except ConfigError as err:
        return [Finding(settings.calendar, err.line or 1, "error", str(err.args[0]))]
    return [
        Finding(settings.calendar, line, "error", message) for line, message in calendar.problems
    ]


def _control_characters(document: Document) -> list[Finding]:
    """Header values holding control characters (they break feeds and terminals)."""
    return [
        Finding(
            document.path,
            document.line_of(key),
            "error",
            f"{key.capitalize()} holds control characters; delete them",
        )
        for key, value in document.meta.items()
        if inert_text(value) != value.replace("\n", "")
    ]


def _story_links(article: Article) -> set[str]:
    """Canonical links that identify a story (a publication's home page does not)."""
    links = [web_url(article.link), *(outlet.link for outlet in article.also)]
    return {canonical_url(link) for link in links if link and urlsplit(link).path.strip("/")}


def has_errors(findings: Iterable[Finding]) -> bool:
    return any(f.level == "error" for f in findings)


def _repeats_number(label: str) -> bool:
    """A number in a figure's label, other than a year ("Black Friday 2024" is a label)."""
    numbers = re.findall(r"\d[\d,.]*", label)
    return any(not re.fullmatch(r"(?:19|20)\d\d", n.rstrip(".,")) for n in numbers)


def dek_problems(article: Article) -> list[str]:
    """A dek that only repeats the headline, or ends with an outlet's name."""
    dek = article.dek.strip()
    if not dek:
        return []
    problems = []
    words = set(_words(dek))
    if words and words <= set(_words(html_to_text(article.title))):
        problems.append("Dek: only repeats the headline: give the story's fact, number first")
    outlets = [o.source for o in article.outlets if o.source]
    tail = re.sub(r"[\s.]+$", "", dek)
    for name in outlets:
        if re.search(
            rf"(?:[-\u2013\u2014|:]|\bvia|\bby)\s*{re.escape(name)}$", tail, re.IGNORECASE
        ):
            problems.append(f"Dek: ends with the outlet's name ({name}): cut it")
            break
    return problems


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())
