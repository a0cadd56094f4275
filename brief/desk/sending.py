"""Sending an issue's digest to its subscribers (`brief send`), through `transport`.

The store's delivery log records every recipient of every issue, so that nobody is skipped
and nobody is mailed twice:

- a recipient becomes *pending* (committed) only when their SMTP transaction starts
  (MAIL FROM); anything that fails before that (no connection, no password, a server
  without SMTPUTF8 for a non-ASCII address) leaves them unsent, and the next run sends;
- a refusal by the server before or at the end of DATA is unambiguous: the message was
  not taken; temporary ones (4xx) are retried, permanent ones (5xx) recorded as *failed*;
- once the message body is on the wire, a timeout or a dropped connection is ambiguous:
  the server may have delivered it. The recipient is *uncertain* and never sent again
  automatically (`--retry-uncertain` does, at the risk of a second copy). A run killed at
  any moment leaves at most the one recipient in flight pending, reported the same way.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.message import EmailMessage
from html import escape as html_escape
from pathlib import Path

from brief.audience.subscribers import Subscriber, envelope_of
from brief.audience.tokens import Tokens, read_secret
from brief.content.files import Newsletter
from brief.content.issues import Issue
from brief.desk.check import Finding, check_newsletter, has_errors
from brief.ground.errors import ConfigError, DeliveryError
from brief.ground.settings import Settings, SmtpSettings, SubscriptionSettings
from brief.mail.digest import (
    NOBODY,
    Audience,
    Digest,
    DigestRenderer,
    Follows,
    Sign,
    sample_digest,
)
from brief.mail.headers import MAIL_POLICY
from brief.mail.transport import Ambiguous, Mailer, NotStarted, Refused
from scrapers.records import NOT_TO_MAIL, SubscriberStatus
from scrapers.storage import Store, open_store
from scrapers.storage.deliveries import Deliveries


@dataclass
class SendReport:
    week: str
    sent: int = 0
    skipped: int = 0  # already delivered in an earlier run
    failed: list[tuple[str, str]] = field(default_factory=list)
    suppressed: list[tuple[str, str]] = field(default_factory=list)  # (address, status)
    left: list[tuple[str, str]] = field(default_factory=list)  # (address, status) mid-send
    recipients: int = 0  # to be served in this run
    # May have been delivered, so not sent again: (address, why).
    uncertain: list[tuple[str, str]] = field(default_factory=list)
    unsent: list[tuple[str, str]] = field(default_factory=list)  # not tried: sent next run
    written: list[Path] = field(default_factory=list)  # dry run
    stopped: str | None = None  # why the run stopped before the end, if it did
    findings: list[Finding] = field(default_factory=list)  # the check's warnings

    @property
    def not_to_mail(self) -> int:
        """Recipients the list said not to mail: before this run, or since it started."""
        return len(self.suppressed) + len(self.left)

    def summary(self, bad_rows: int = 0) -> str:
        return (
            f"sent {self.sent}, skipped {self.skipped} already sent, failed {len(self.failed)},"
            f" uncertain {len(self.uncertain)}, bad rows {bad_rows},"
            f" not to be mailed {self.not_to_mail}"
        )

    @property
    def untried(self) -> int:
        """Recipients of this run that it never got to (it stopped early)."""
        done = self.sent + self.skipped + len(self.failed) + len(self.uncertain)
        return self.recipients - done - len(self.unsent) - len(self.left)


class SendRefused(DeliveryError):
    """The issue may not be sent (it fails the check, or is not published); nothing was."""

    def __init__(self, message: str, findings: list[Finding]):
        self.findings = findings
        super().__init__(message)


class _LeftTheList(DeliveryError):
    """The recipient unsubscribed (or bounced, or complained) while this send was running."""

    def __init__(self, status: SubscriberStatus):
        self.status = status
        super().__init__(f"{status} during this send")


def dry_run_folder(settings: Settings, week: str) -> Path:
    """Where `brief send --dry-run` writes its messages: beside the store, never in the
    site's output (each message holds a reader's address and their own unsubscribe link)."""
    return settings.db.parent / "send" / week


def send_issue(
    settings: Settings,
    newsletter: Newsletter,
    week: str,
    subscribers: Sequence[Subscriber] | None,
    smtp: SmtpSettings,
    *,
    dry_run: bool = False,
    rate: float | None = None,
    retry_uncertain: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    on_progress: Callable[[str, str], None] | None = None,
) -> SendReport:
    """Send the issue's digest to every subscriber not yet served (see the module doc).

    `subscribers` is a CSV's list, or None for every confirmed subscriber in the store. An
    address the store knows as unsubscribed, bounced or complained is never mailed. Each
    message carries the subscriber's own signed one-click unsubscribe link.

    Nothing is sent (SendRefused) when the issue fails `brief check`, or, unless this is a
    dry run, when it is not published; nor (ConfigError) without the subscription service,
    its secret and a postal address.
    """
    service, tokens = requirements(settings)
    issue = newsletter.issue(week)
    renderer = DigestRenderer(settings)
    findings = check_newsletter(
        newsletter, settings, week, digest=lambda i, n: sample_digest(renderer, i, n)
    )
    if has_errors(findings):
        raise SendRefused(f"issue {week} fails `brief check`: nothing was sent", findings)
    if issue.status != "published" and not dry_run:
        raise SendRefused(
            f"issue {week} is a {issue.status}: publish it first (brief issue publish {week})",
            findings,
        )
    digests = Digests(renderer, issue, newsletter, tokens.links.sign)
    digests.of(NOBODY)  # the issue as edited, rendered before anyone is sent anything
    sender = settings.digest.sender_address
    report = SendReport(week, findings=findings)
    if smtp.user and os.environ.get(smtp.password_env) is None and not dry_run:
        raise ConfigError(
            f"BRIEF_SMTP has user {smtp.user!r}: set {smtp.password_env} to its password"
            " (nothing was sent)"
        )
    with open_store(settings.db) as store, store.exclusive("send"):
        recipients = _recipients(store, subscribers, service, tokens, report, dry_run)
        report.recipients = len(recipients)
        if dry_run:
            folder = dry_run_folder(settings, week)
            report.written = _write_dry_run(folder, digests, recipients)
            return report
        mailer = Mailer(smtp)
        interval = 1.0 / rate if rate else 0.0
        try:
            for recipient in recipients:
                started = time.monotonic()
                outcome = _serve(
                    store.deliveries, mailer, digests, recipient, sender, smtp, sleep, report,
                    retry_uncertain,
                )  # fmt: skip
                person = recipient.person
                if report.stopped:
                    break
                if on_progress is not None and outcome:
                    on_progress(person.email, outcome)
                if interval and outcome in ("sent", "failed", "uncertain"):
                    sleep(max(0.0, interval - (time.monotonic() - started)))
        finally:
            mailer.close()
    return report


PLACEHOLDER_UNSUBSCRIBE = "https://unsubscribe.invalid/link"  # replaced per recipient
PLACEHOLDER_PREFERENCES = "https://preferences.invalid/link"  # likewise


@dataclass(frozen=True)
class Recipient:
    person: Subscriber
    unsubscribe: str  # their own one-click link
    preferences: str  # their own preferences page
    follows: Follows = NOBODY


class Digests:
    """The issue's digest as each reader gets it: rendered once per set of what they follow
    that this issue is about (most readers follow nothing here, or the same few companies),
    then made a reader's own by their two links."""

    def __init__(
        self, renderer: DigestRenderer, issue: Issue, newsletter: Newsletter, sign: Sign | None
    ):
        self.renderer, self.issue, self.newsletter, self.sign = renderer, issue, newsletter, sign
        self._rendered: dict[Follows, Digest] = {}
        self._here = renderer.followable(issue, newsletter)
        self.audience = Audience(
            "personal", unsubscribe=PLACEHOLDER_UNSUBSCRIBE, preferences=PLACEHOLDER_PREFERENCES
        )

    def of(self, follows: Follows) -> Digest:
        here = self._here
        follows = Follows(follows.companies & here.companies, follows.sections & here.sections)
        found = self._rendered.get(follows)
        if found is None:
            found = self.renderer.render(
                self.issue, self.newsletter, audience=self.audience, counted=self.sign,
                follows=follows,
            )  # fmt: skip
            self._rendered[follows] = found
        return found

    def message(self, recipient: Recipient) -> EmailMessage:
        """The digest made this reader's: their stories first, their links, their address."""
        digest = self.of(recipient.follows)
        html, text = digest.html, digest.text
        for placeholder, link in (
            (PLACEHOLDER_UNSUBSCRIBE, recipient.unsubscribe),
            (PLACEHOLDER_PREFERENCES, recipient.preferences),
        ):
            html = html.replace(placeholder, html_escape(link))
            text = text.replace(placeholder, link)
        person = recipient.person
        return self.renderer.message(
            self.issue, digest.subject, html, text, person.address, name=person.name,
            unsubscribe=recipient.unsubscribe,
        )  # fmt: skip


def requirements(settings: Settings) -> tuple[SubscriptionSettings, Tokens]:
    """What a real send needs besides the issue: a working unsubscribe, and a postal address."""
    service = settings.subscriptions
    if service is None:
        raise ConfigError(
            "set BRIEF_SUBSCRIPTIONS (the subscription service's public URL): every message"
            " carries its one-click unsubscribe link (nothing was sent)",
            settings.config_file,
        )
    if not settings.digest.postal_address:
        raise ConfigError(
            'set BRIEF_DIGEST["postal_address"]: commercial email must give a postal address'
            " (CAN-SPAM); nothing was sent",
            settings.config_file,
        )
    return service, Tokens(read_secret(service.secret_env))


def _recipients(
    store: Store,
    subscribers: Sequence[Subscriber] | None,
    service: SubscriptionSettings,
    tokens: Tokens,
    report: SendReport,
    dry_run: bool,
) -> list[Recipient]:
    """Each recipient with their own links and what they follow; a CSV's new addresses
    join the store."""

    def recipient(person: Subscriber, subscriber_id: int | None) -> Recipient:
        if subscriber_id is None:  # a dry run adds no one: their links are made when sent
            made = "made-when-sent"
            return Recipient(person, f"{service.url}unsubscribe?token={made}",
                             f"{service.url}preferences?token={made}")  # fmt: skip
        companies, sections = followed.get(subscriber_id, (frozenset(), frozenset()))
        return Recipient(
            person,
            f"{service.url}unsubscribe?token={tokens.make(subscriber_id, 'unsubscribe')}",
            f"{service.url}preferences?token={tokens.make(subscriber_id, 'preferences')}",
            Follows(companies, sections),
        )

    followed = store.follows.every()
    if subscribers is None:
        return [
            recipient(Subscriber(s.email, s.name, 0, envelope_of(s.email)), s.id)
            for s in store.subscribers.all("confirmed")
        ]
    found = []
    for person in subscribers:
        known = store.subscribers.get(person.email)
        if known is not None and known.status in NOT_TO_MAIL:
            report.suppressed.append((person.email, known.status))
            continue
        if known is None and not dry_run:
            with store.transaction():
                known = store.subscribers.add(
                    person.email, person.name, "confirmed", how="listed in the CSV of brief send"
                )
        found.append(recipient(person, known.id if known else None))
    return found


def _serve(
    deliveries: Deliveries,
    mailer: Mailer,
    digests: Digests,
    recipient: Recipient,
    sender: str,
    smtp: SmtpSettings,
    sleep: Callable[[float], None],
    report: SendReport,
    retry_uncertain: bool,
) -> str:
    """Deliver to one subscriber (or say why not); records the outcome in `report`."""
    week = report.week
    person = recipient.person
    state = deliveries.state(week, person.email)
    if state == "sent":
        report.skipped += 1
        return ""
    if state in ("pending", "uncertain") and not retry_uncertain:
        why = (
            "an earlier run stopped while sending to them"
            if state == "pending"
            else "an earlier run got no answer after sending (it may have been delivered)"
        )
        report.uncertain.append((person.email, why))
        return ""
    try:
        if person.needs_smtputf8 and not mailer.supports_smtputf8():
            reason = "the SMTP server does not accept non-ASCII addresses (no SMTPUTF8)"
            report.unsent.append((person.email, f"line {person.line}: {reason}"))
            return "unsent"
    except DeliveryError as err:
        report.stopped = str(err)
        return ""
    message = digests.message(recipient)
    data = message.as_bytes(policy=MAIL_POLICY.clone(utf8=person.needs_smtputf8))
    message_id = str(message["Message-ID"])
    delay = smtp.backoff

    def started() -> None:
        left = deliveries.start(week, person.email, message_id)
        if left is not None:
            raise _LeftTheList(left)

    for attempt in range(smtp.retries + 1):
        try:
            mailer.transact(data, sender, person.address, person.needs_smtputf8, started)
        except _LeftTheList as gone:
            report.left.append((person.email, gone.status))
            return "left"
        except NotStarted:
            deliveries.forget(week, person.email)
            if attempt == smtp.retries:
                report.stopped = "the SMTP server keeps closing the connection"
                return ""
            continue  # a stale connection: reconnect and start this transaction again
        except Ambiguous as err:
            deliveries.mark(week, person.email, "uncertain", message_id, str(err))
            report.uncertain.append(
                (person.email, "the server did not answer after the message was sent"
                 " (it may have been delivered)")
            )  # fmt: skip
            return "uncertain"
        except Refused as refusal:
            if 400 <= refusal.code < 500 and attempt < smtp.retries:
                deliveries.forget(week, person.email)
                sleep(delay)
                delay *= 2
                continue
            deliveries.mark(week, person.email, "failed", error=str(refusal))
            report.failed.append((person.email, str(refusal)))
            return "failed"
        except DeliveryError as err:  # no connection: nothing started for this recipient
            report.stopped = str(err)
            return ""
        deliveries.mark(week, person.email, "sent", message_id)
        report.sent += 1
        return "sent"
    return ""


def _write_dry_run(folder: Path, digests: Digests, recipients: Sequence[Recipient]) -> list[Path]:
    """Every message as .eml in `folder`, which holds exactly these and nothing older."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    temp = Path(tempfile.mkdtemp(dir=folder.parent, prefix=f".{folder.name}."))
    try:
        for number, recipient in enumerate(recipients, 1):
            message = digests.message(recipient)
            data = message.as_bytes(policy=MAIL_POLICY.clone(utf8=recipient.person.needs_smtputf8))
            (temp / f"{number:05d}.eml").write_bytes(data)
        if folder.exists():
            shutil.rmtree(folder)
        temp.rename(folder)
    except OSError as err:
        shutil.rmtree(temp, ignore_errors=True)
        raise DeliveryError(f"cannot write the dry run to {folder}: {err.strerror}") from err
    return sorted(folder.glob("*.eml"))
