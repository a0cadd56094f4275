"""`brief send` against a real SMTP server on 127.0.0.1 (aiosmtpd)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import brief
from tests.smtp_server import Recorder, SmtpServer

WEEK = "2026-W46"


@pytest.fixture
def newsletter_to_send(sendable: Path) -> Path:
    return sendable


def send(
    root: Path, csv: Path, server: SmtpServer, *extra: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return brief(
        root, "send", WEEK, "--to", str(csv), "--smtp", server.address, *extra, check=check
    )


def subscribers(root: Path, count: int, extra: str = "") -> Path:
    rows = ["name,email"] + [f"Reader {n},reader{n}@example.org" for n in range(count)]
    path = root / "subscribers.csv"
    path.write_text("\n".join(rows) + "\n" + extra, encoding="utf-8")
    return path


@pytest.mark.slow
def test_two_hundred_recipients_once_each(newsletter_to_send: Path) -> None:
    csv = subscribers(newsletter_to_send, 200, "Bad,not-an-address\nDup,READER7@example.org\n")
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        first = send(newsletter_to_send, csv, server)
        again = send(newsletter_to_send, csv, server)
    assert "sent 200, skipped 0 already sent, failed 0" in first.stdout, first.output
    assert "subscribers.csv:202: skipped: not an email address: 'not-an-address'" in first.stderr
    assert "subscribers.csv:203: skipped: READER7@example.org is already on line 9" in first.stderr
    assert "sent 0, skipped 200 already sent" in again.stdout
    assert len(recorder.messages) == 200
    assert set(recorder.recipients.values()) == {1}
    ids = {m["Message-ID"] for m in recorder.messages}
    assert len(ids) == 200  # each message its own Message-ID
    one = next(m for m in recorder.messages if "reader42@example.org" in m["To"])
    assert one["To"] == "Reader 42 <reader42@example.org>"
    # Each message carries its subscriber's own signed link, with no address in it.
    (link,) = re.findall(r"<(https://[^>]+)>", one["List-Unsubscribe"])
    assert link.startswith("https://brief.example.com/subscriptions/unsubscribe?token=")
    assert "reader42" not in link and "%40" not in link and "@" not in link
    assert one["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in one.get_body(("plain",)).get_content()
    assert link.replace("&", "&amp;") in one.get_body(("html",)).get_content()
    links = {re.findall(r"<(https://[^>]+)>", m["List-Unsubscribe"])[0] for m in recorder.messages}
    assert len(links) == 200  # one per subscriber
    assert "unsubscribe.invalid" not in one.as_string()


def test_temporary_error_is_retried_and_permanent_one_reported(newsletter_to_send: Path) -> None:
    csv = subscribers(newsletter_to_send, 5)
    recorder = Recorder(refuse={"reader3@example.org"}, busy_once={"reader1@example.org"})
    with SmtpServer(recorder) as server:
        result = send(newsletter_to_send, csv, server, check=False)
    assert result.returncode == 1
    assert "sent 4, skipped 0 already sent, failed 1" in result.stdout
    assert "failed: reader3@example.org: 550" in result.stderr
    assert (
        recorder.attempts["reader1@example.org"] == 2
        and recorder.recipients["reader1@example.org"] == 1
    )
    assert "reader3@example.org" not in recorder.recipients


def test_dry_run_writes_messages_and_sends_nothing(newsletter_to_send: Path) -> None:
    csv = subscribers(newsletter_to_send, 3)
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        result = send(newsletter_to_send, csv, server, "--dry-run")
    assert "wrote 3 messages" in result.stdout
    written = sorted((newsletter_to_send / "data" / "send" / WEEK).glob("*.eml"))
    assert len(written) == 3 and "reader2@example.org" in written[2].read_text()
    assert recorder.messages == []
    # The store is unchanged: a new address's preview says its link is made when sent.
    assert "made-when-sent" in written[0].read_text()
    listed = brief(newsletter_to_send, "subscribers", "list", "--json").stdout
    assert json.loads(listed) == []
    brief(newsletter_to_send, "subscribers", "add", "reader1@example.org", "--confirmed")
    send(newsletter_to_send, csv, server, "--dry-run")
    known = (newsletter_to_send / "data" / "send" / WEEK / written[1].name).read_text()
    assert "made-when-sent" not in known and "unsubscribe?token=" in known  # their own link


def test_nothing_is_sent_when_the_issue_fails_check(newsletter_to_send: Path) -> None:
    article = (
        newsletter_to_send
        / "content/articles/2026/whatnot-built-live-shopping-around-collectors.md"
    )
    text = article.read_text()
    article.write_text(text[: text.index("## Why it matters")] + "## Why it matters\n")
    csv = subscribers(newsletter_to_send, 3)
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        result = send(newsletter_to_send, csv, server, check=False)
    assert result.returncode == 1 and "nothing was sent" in result.stderr
    assert "has no annotation yet" in result.stderr
    assert recorder.messages == []


@pytest.mark.slow
def test_killed_half_way_then_resumed_never_sends_twice(newsletter_to_send: Path) -> None:
    csv = subscribers(newsletter_to_send, 120)
    recorder = Recorder(delay=0.02)
    with SmtpServer(recorder) as server:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "brief",
                "send",
                WEEK,
                "--to",
                str(csv),
                "--smtp",
                server.address,
            ],
            cwd=newsletter_to_send,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while len(recorder.messages) < 40 and time.monotonic() < deadline:
            time.sleep(0.01)
        process.send_signal(signal.SIGKILL)
        process.wait()
        delivered_before = len(recorder.messages)
        assert 0 < delivered_before < 120, "the kill should land half way"
        resumed = send(newsletter_to_send, csv, server)
    assert max(recorder.recipients.values()) == 1  # nobody got two copies
    uncertain = resumed.stdout.split("uncertain ")[1].split(",")[0]
    assert int(uncertain) <= 1  # at most the one in flight when the process died
    assert len(recorder.recipients) + int(uncertain) >= 120 - 1
    assert len(recorder.recipients) >= 119


def test_a_local_mail_sink_takes_plain_smtp_by_an_option(sample: Path) -> None:
    """The sample's settings ask for STARTTLS, which a local sink does not speak; one
    documented option sends there in plain SMTP, and only there."""
    csv = subscribers(sample, 2)
    recorder = Recorder()
    with SmtpServer(recorder) as server:
        refused = brief(sample, "send", WEEK, "--to", str(csv), "--smtp", server.address,
                        check=False)  # fmt: skip
        assert refused.returncode != 0 and recorder.messages == []
        sent = brief(
            sample, "send", WEEK, "--to", str(csv), "--smtp", server.address,
            "--smtp-security", "none",
        )  # fmt: skip
    assert "sent 2, skipped 0 already sent, failed 0" in sent.stdout
    assert sorted(recorder.recipients) == ["reader0@example.org", "reader1@example.org"]
    for host in ("mail.example.com:25", "10.0.0.5:1025", "[2001:db8::1]:25"):
        far = brief(sample, "send", WEEK, "--to", str(csv), "--smtp", host,
                    "--smtp-security", "none", check=False)  # fmt: skip
        assert far.returncode == 2, far.stderr
        assert "--smtp-security" in far.stderr and "only to a server on this machine" in far.stderr
