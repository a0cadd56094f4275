"""The welcome email, through the real service (uvicorn) and a real SMTP server (aiosmtpd):
sent once when a reader confirms, in the digest's look, with the editors' words from
content/mail/welcome.md, the latest issue and the reader's own way to leave; kept and
retried through a mail server's outage; the pages around it link where readers go next."""

from __future__ import annotations

import json
import os
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from tests.conftest import brief
from tests.service import PUBLIC, Service, links, mail_to, start_service, stop, unsubscribe_link
from tests.smtp_server import Recorder, SmtpServer

pytestmark = pytest.mark.slow

LATEST = "https://brief.example.com/issues/2026-w47/"
SHOTS = Path(__file__).parent / "artifacts"


def _confirm(service: Service, email: str, name: str = "") -> BeautifulSoup:
    before = len(service.mail.messages)
    service.subscribe(email, name)
    service.wait_for_mail(before + 1)
    confirm, _ = links(service.mail.messages[-1])
    with service.client() as client:
        page = client.get(service.local(confirm))
    assert page.status_code == 200
    return BeautifulSoup(page.text, "html.parser")


def _welcome(service: Service, email: str) -> EmailMessage:
    (welcome,) = [m for m in service.mailed(email) if not m["Subject"].startswith("Confirm")]
    return welcome


def test_a_confirmed_reader_is_welcomed_once(service: Service, browser: object) -> None:
    page = _confirm(service, "ana@example.org", "Ana Lima")
    # The confirm page says a welcome is coming and links to the latest issue.
    assert page.h1.get_text() == "You are subscribed"
    latest = page.select_one("p.next a")
    assert latest["href"] == LATEST and "Before Black Friday" in latest.get_text()
    service.wait_for_mail(2)
    welcome = _welcome(service, "ana@example.org")
    assert welcome["Subject"] == "Welcome to Live Commerce Brief"  # content/mail/welcome.md
    assert welcome["To"] == "Ana Lima <ana@example.org>"
    html = welcome.get_body(("html",)).get_content()  # type: ignore[union-attr]
    text = welcome.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    soup = BeautifulSoup(html, "html.parser")
    # The editors' words, the latest issue with its stories, and how to leave.
    assert "Hello Ana Lima" in text and "You are on the list." in text
    assert "one email" in soup.get_text() and soup.find("strong", string="one email")
    assert LATEST in {a["href"] for a in soup.find_all("a")} and LATEST in text
    assert "Issue 3" in text and "amazon-live-puts-influencers" in html
    link = unsubscribe_link(welcome)  # in the headers and both parts
    assert link.startswith(f"{PUBLIC}unsubscribe?token=")
    assert 'style="' in html and "<style" in html  # inlined, dark rules kept: the digest's look
    # Following the confirmation link again welcomes nobody twice.
    confirm, _ = links(service.mailed("ana@example.org")[0])
    with service.client() as client:
        assert client.get(service.local(confirm)).status_code == 200
    history = json.loads(
        brief(service.root, "subscribers", "history", "ana@example.org", "--json").stdout
    )
    assert [e["status"] for e in history][-2:] == ["confirmed", "welcome sent"]
    # The welcome's own link unsubscribes, and the page after it offers to subscribe again.
    with service.client() as client:
        gone = client.post(service.local(link), content=b"List-Unsubscribe=One-Click")
    again = BeautifulSoup(gone.text, "html.parser").select_one("p.next a")
    assert again.get_text() == "Subscribe again"
    assert again["href"] == "https://brief.example.com/subscribe/"
    service.wait_for_mail(2)  # nothing more was sent
    if os.environ.get("BRIEF_SCREENSHOTS"):
        SHOTS.mkdir(exist_ok=True)
        for width in (390, 1280):
            for scheme in ("light", "dark"):
                shot = browser.new_page(  # type: ignore[attr-defined]
                    viewport={"width": width, "height": 900}, color_scheme=scheme
                )
                shot.set_content(html)
                shot.screenshot(path=str(SHOTS / f"welcome-{width}-{scheme}.png"), full_page=True)
                shot.close()


def test_the_welcome_survives_an_outage_and_follows_the_editors_words(sample: Path) -> None:
    """Mail refused at first: the reader is confirmed at once and welcomed when the mail
    server is back; the editors' edited welcome is the one sent."""
    welcome = sample / "content" / "mail" / "welcome.md"
    welcome.write_text(
        "Subject: Glad you are here\nPreheader: Fridays, from now on.\n\n"
        "Hosts, platforms and <b>numbers</b>: *every Friday*.\n"
    )
    conf = sample / "pelicanconf.py"
    conf.write_text(conf.read_text() + '\nBRIEF_SMTP = {"security": "none", "backoff": 0.05}\n')
    recorder = Recorder()
    with SmtpServer(recorder) as smtp:
        mail_to(sample, smtp)
        process, base = start_service(sample)
        service = Service(sample, base, recorder, smtp, process)
        try:
            service.subscribe("bo@example.org")
            service.wait_for_mail(1)
            confirm, _ = links(service.mail.messages[0])
            recorder.refuse = {"bo@example.org"}  # from now on, the mail server says 550
            with service.client() as client:
                assert client.get(service.local(confirm)).status_code == 200
            assert service.statuses()["bo@example.org"] == "confirmed"  # at once
            deadline = time.monotonic() + 15
            while recorder.attempts["bo@example.org"] < 3:  # two welcomes turned away
                assert time.monotonic() < deadline
                time.sleep(0.02)
            recorder.refuse = set()
            service.wait_for_mail(2)  # the welcome, retried, once
        finally:
            stop(process)
    sent = _welcome(service, "bo@example.org")
    assert sent["Subject"] == "Glad you are here"
    html = sent.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<em>every Friday</em>" in html and "<b>numbers</b>" in html  # editors' Markdown
    assert "Hello" not in html  # no name given, no greeting


def test_check_reports_a_welcome_without_a_subject(sample: Path) -> None:
    welcome = sample / "content" / "mail" / "welcome.md"
    welcome.write_text("Preheader: Fridays.\n\nHello.\n")
    result = brief(sample, "check", check=False)
    assert "content/mail/welcome.md:1: error: missing 'Subject:'" in result.stdout
