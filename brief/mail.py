"""Sending an issue's digest over SMTP: the only module that talks SMTP.

A ledger in SQLite records every recipient of every issue. A recipient is marked
*pending* (committed) before their message goes out and *sent* after, so a send that
crashes and is run again delivers to the rest and never twice to anyone: a recipient left
pending is reported as uncertain and is not sent again unless asked.
"""

from __future__ import annotations

import contextlib
import csv
import os
import re
import smtplib
import sqlite3
import ssl
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from urllib.parse import quote

from brief.content import Newsletter
from brief.digest import Digest, DigestRenderer
from brief.errors import ConfigError, DeliveryError
from brief.issues import Issue
from brief.settings import Settings

_ADDRESS = re.compile(
    r"^[^@\s<>,;\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$"
)
TOKEN = "subscriber@recipient.invalid"  # rendered once, replaced per recipient


@dataclass(frozen=True)
class Subscriber:
    email: str
    name: str | None
    line: int


@dataclass(frozen=True)
class BadRow:
    line: int
    reason: str


@dataclass
class SendReport:
    week: str
    sent: int = 0
    skipped: int = 0  # already delivered in an earlier run
    failed: list[tuple[str, str]] = field(default_factory=list)
    uncertain: list[str] = field(default_factory=list)  # a crash left them pending
    bad_rows: list[BadRow] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)  # dry run


@dataclass(frozen=True)
class SmtpSettings:
    host: str = "localhost"
    port: int = 25
    security: str = "starttls"  # "starttls", "ssl" or "none"
    user: str | None = None
    password_env: str = "BRIEF_SMTP_PASSWORD"
    timeout: float = 30.0
    retries: int = 3
    backoff: float = 2.0  # seconds, doubled at each retry of a temporary (4xx) error


def smtp_settings(settings: Settings, override: str | None = None) -> SmtpSettings:
    raw = dict(settings.pelican.get("BRIEF_SMTP", {}))
    try:
        smtp = SmtpSettings(**raw)
    except TypeError as err:
        raise ConfigError(f"BRIEF_SMTP: {err}", settings.config_file) from err
    if override:
        host, _, port = override.rpartition(":")
        if not host or not port.isdigit():
            raise ConfigError(f"--smtp {override!r}: write HOST:PORT")
        smtp = SmtpSettings(**{**smtp.__dict__, "host": host, "port": int(port)})
    if smtp.security not in ("starttls", "ssl", "none"):
        raise ConfigError("BRIEF_SMTP security must be starttls, ssl or none", settings.config_file)
    return smtp


def read_subscribers(path: Path) -> tuple[list[Subscriber], list[BadRow]]:
    """Subscribers from a CSV with a header row and an `email` column (`name` optional)."""
    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as err:
        raise ConfigError(f"cannot read subscribers: {err.strerror}", path) from err
    with handle:
        reader = csv.DictReader(handle)
        fields = [f.strip().lower() for f in reader.fieldnames or []]
        if "email" not in fields:
            raise ConfigError("the header row needs an 'email' column", path, 1)
        reader.fieldnames = fields
        good: list[Subscriber] = []
        bad: list[BadRow] = []
        seen: dict[str, int] = {}
        for row in reader:
            line = reader.line_num
            email = (row.get("email") or "").strip()
            if not _ADDRESS.match(email):
                bad.append(BadRow(line, f"not an email address: {email!r}"))
                continue
            key = email.casefold()
            if key in seen:
                bad.append(BadRow(line, f"{email} is already on line {seen[key]}"))
                continue
            seen[key] = line
            good.append(Subscriber(email, (row.get("name") or "").strip() or None, line))
    return good, bad


class Ledger:
    """Who received which issue, in the store's SQLite file."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db
        db.execute(
            """CREATE TABLE IF NOT EXISTS deliveries (
                   week TEXT NOT NULL, email TEXT NOT NULL, state TEXT NOT NULL,
                   message_id TEXT, at TEXT NOT NULL, error TEXT,
                   PRIMARY KEY (week, email))"""
        )
        db.commit()

    def state(self, week: str, email: str) -> str | None:
        row = self._db.execute(
            "SELECT state FROM deliveries WHERE week = ? AND email = ?", (week, email.casefold())
        ).fetchone()
        return str(row[0]) if row else None

    def mark(
        self, week: str, email: str, state: str, message_id: str = "", error: str = ""
    ) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO deliveries (week, email, state, message_id, at, error)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (week, email) DO UPDATE SET"
                " state = excluded.state, message_id = excluded.message_id, at = excluded.at,"
                " error = excluded.error",
                (week, email.casefold(), state, message_id, datetime.now(UTC).isoformat(), error),
            )

    def count(self, week: str, state: str) -> int:
        row = self._db.execute(
            "SELECT COUNT(*) FROM deliveries WHERE week = ? AND state = ?", (week, state)
        ).fetchone()
        return int(row[0])


@contextmanager
def open_ledger(path: Path) -> Iterator[Ledger]:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, timeout=30)
    try:
        db.execute("PRAGMA journal_mode = WAL")
        yield Ledger(db)
    finally:
        db.close()


class _Mailer:
    """One SMTP connection, reopened when the server drops it."""

    def __init__(self, smtp: SmtpSettings):
        self.smtp = smtp
        self._client: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.smtp
        try:
            if s.security == "ssl":
                tls = ssl.create_default_context()
                client: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=tls
                )
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    client.starttls(context=ssl.create_default_context())
            if s.user:
                password = os.environ.get(s.password_env)
                if password is None:
                    raise DeliveryError(f"set {s.password_env} to the SMTP password of {s.user}")
                client.login(s.user, password)
        except (OSError, smtplib.SMTPException) as err:
            raise DeliveryError(f"cannot connect to SMTP server {s.host}:{s.port}: {err}") from err
        return client

    def send(self, message: EmailMessage, sender: str, recipient: str) -> None:
        if self._client is None:
            self._client = self._connect()
        try:
            self._client.send_message(message, from_addr=sender, to_addrs=[recipient])
        except smtplib.SMTPServerDisconnected:
            self._client = self._connect()
            self._client.send_message(message, from_addr=sender, to_addrs=[recipient])

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._client.quit()


def send_issue(
    settings: Settings,
    newsletter: Newsletter,
    week: str,
    subscribers: Sequence[Subscriber],
    smtp: SmtpSettings,
    *,
    dry_run: bool = False,
    rate: float | None = None,
    retry_uncertain: bool = False,
    sleep: Callable[[float], None] = time.sleep,
    on_progress: Callable[[str, str], None] | None = None,
) -> SendReport:
    """Send the issue's digest to every subscriber not yet served (see the module doc)."""
    issue = newsletter.issue(week)
    renderer = DigestRenderer(settings)
    digest = renderer.render(issue, newsletter, recipient=TOKEN)
    sender = _address(settings.digest.sender)
    report = SendReport(week)
    if dry_run:
        folder = settings.output / "send" / week
        folder.mkdir(parents=True, exist_ok=True)
        for number, subscriber in enumerate(subscribers, 1):
            message = _personal(renderer, issue, digest, subscriber)
            path = folder / f"{number:05d}.eml"
            path.write_bytes(message.as_bytes(policy=SMTP))
            report.written.append(path)
        return report
    mailer = _Mailer(smtp)
    interval = 1.0 / rate if rate else 0.0
    try:
        with open_ledger(settings.db) as ledger:
            for subscriber in subscribers:
                state = ledger.state(week, subscriber.email)
                if state == "sent":
                    report.skipped += 1
                    continue
                if state == "pending" and not retry_uncertain:
                    report.uncertain.append(subscriber.email)
                    continue
                message = _personal(renderer, issue, digest, subscriber)
                ledger.mark(week, subscriber.email, "pending", str(message["Message-ID"]))
                started = time.monotonic()
                outcome = _deliver(mailer, message, sender, subscriber.email, smtp, sleep)
                if outcome is None:
                    ledger.mark(week, subscriber.email, "sent", str(message["Message-ID"]))
                    report.sent += 1
                else:
                    ledger.mark(week, subscriber.email, "failed", error=outcome)
                    report.failed.append((subscriber.email, outcome))
                if on_progress is not None:
                    on_progress(subscriber.email, outcome or "sent")
                if interval:
                    sleep(max(0.0, interval - (time.monotonic() - started)))
    finally:
        mailer.close()
    return report


def _deliver(
    mailer: _Mailer,
    message: EmailMessage,
    sender: str,
    recipient: str,
    smtp: SmtpSettings,
    sleep: Callable[[float], None],
) -> str | None:
    """None when delivered; else why not. Temporary (4xx) errors are retried with backoff."""
    delay = smtp.backoff
    for attempt in range(smtp.retries + 1):
        text: bytes | str
        try:
            mailer.send(message, sender, recipient)
            return None
        except smtplib.SMTPRecipientsRefused as err:
            code, text = next(iter(err.recipients.values()))
        except smtplib.SMTPResponseException as err:
            code, text = err.smtp_code, err.smtp_error
        reason = f"{code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
        if not 400 <= code < 500 or attempt == smtp.retries:
            return reason
        sleep(delay)
        delay *= 2
    return "gave up"


def _personal(
    renderer: DigestRenderer, issue: Issue, digest: Digest, subscriber: Subscriber
) -> EmailMessage:
    token = quote(TOKEN, safe="@")
    mine = quote(subscriber.email, safe="@")
    html = digest.html.replace(token, mine)
    text = digest.text.replace(token, mine)
    return renderer.message(
        issue, digest.subject, html, text, subscriber.email, name=subscriber.name
    )


def _address(sender: str) -> str:
    from email.utils import parseaddr

    return parseaddr(sender)[1] or sender
