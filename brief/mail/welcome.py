"""The welcome email: what a reader receives once they confirm.

Its words are the editors': `content/mail/welcome.md`, a `Subject:` and a `Preheader:`
header and a Markdown body. Around them, in the digest's frame and style: the latest
published issue (its title, its stories, a link to read it) and how to leave (the reader's
own one-click unsubscribe link, in the message and in its headers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

from brief.content.document import read_document
from brief.content.files import Newsletter
from brief.content.issues import Issue
from brief.ground.errors import ContentError
from brief.ground.settings import Settings
from brief.mail.digest import DigestRenderer, compose
from scrapers.clean import html_to_text

DEFAULT_BODY = (
    "Thank you for confirming. Every week we send the few livestream commerce stories"
    " worth your time, each with a note on why it matters."
)


@dataclass(frozen=True)
class WelcomeText:
    subject: str
    preheader: str
    body_md: str
    path: Path | None  # None: the built-in words (no content/mail/welcome.md)


@dataclass(frozen=True)
class Story:
    title_html: str
    title: str
    url: str


def welcome_path(settings: Settings) -> Path:
    return settings.content / "mail" / "welcome.md"


def read_welcome(settings: Settings) -> WelcomeText:
    """The editors' welcome, or built-in words when they wrote none. ContentError (with its
    file and line) for a file that cannot be read or lacks its subject."""
    path = welcome_path(settings)
    if not path.exists():
        return WelcomeText(f"Welcome to {settings.sitename}", "", DEFAULT_BODY, None)
    document = read_document(path)
    subject = " ".join(document.meta.get("subject", "").split())
    if not subject:
        raise ContentError("missing 'Subject:' in the metadata header", path, 1)
    if not document.body.strip():
        raise ContentError("the welcome has no words below its header", path, document.body_line)
    return WelcomeText(subject, document.meta.get("preheader", ""), document.body, path)


def latest_issue(newsletter: Newsletter) -> Issue | None:
    """The issue readers saw last: the latest published."""
    published = [i for i in newsletter.issues.values() if i.status == "published" and i.date]
    return max(published, key=lambda issue: issue.date or datetime.min, default=None)


def welcome_message(
    settings: Settings,
    renderer: DigestRenderer,
    newsletter: Newsletter,
    recipient: str,
    name: str | None,
    unsubscribe: str,
    now: datetime | None = None,
    preferences: str | None = None,
) -> EmailMessage:
    """The welcome for one reader, with their own unsubscribe and preferences links."""
    words = read_welcome(settings)
    issue = latest_issue(newsletter)
    base = settings.public_url + "/"
    stories = []
    if issue is not None:
        for slug in issue.slugs:
            article = newsletter.articles.get(slug)
            if article is not None:
                url = base + settings.urls.article_url(article.slug, article.date, article.status)
                stories.append(Story(article.title, html_to_text(article.title), url))
    body_html = renderer.markdown(words.body_md)
    context = {
        "subject": words.subject,
        "preheader": words.preheader or html_to_text(body_html)[:140],
        "body_html": body_html,
        "body_text": html_to_text(body_html, blocks=True),
        "name": name,
        "latest": issue,
        "latest_url": base + settings.urls.issue_url(issue.slug) if issue else "",
        "latest_title": html_to_text(issue.title) if issue else "",
        "stories": stories,
        "archive_url": base + "issues/",
        "unsubscribe_url": unsubscribe,
        "preferences_url": preferences,
    }
    html, text = renderer.frame("welcome", context)
    return compose(
        settings, words.subject, html, text, recipient, name, unsubscribe,
        now or datetime.now(UTC), idstring="welcome",
    )  # fmt: skip
