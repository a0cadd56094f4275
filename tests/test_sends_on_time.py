"""Sends on time: `brief send WEEK --at` schedules, `brief due` sends what is due exactly
once, across repeated runs, two runs at once and a run killed half way (real processes, a
real SMTP server); `--list` and `--cancel`; times read in the newsletter's time zone."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from brief.desk.schedule import ScheduleRefused, parse_at
from tests.conftest import brief
from tests.smtp_server import Recorder, SmtpServer

WEEK = "2026-W47"
PARIS = ZoneInfo("Europe/Paris")


def _later(minutes: int = 90) -> str:
    return f"{datetime.now(UTC) + timedelta(minutes=minutes):%Y-%m-%d %H:%M}"


def _schedules(root: Path) -> list[dict[str, str]]:
    return json.loads(brief(root, "send", "--list", "--json").stdout)


def _time_passes(root: Path) -> None:
    """The scheduled moment comes: moved an hour into the past, as if we had waited."""
    with sqlite3.connect(root / "data" / "brief.sqlite") as db:
        past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
        db.execute("UPDATE schedules SET at = ?", (past,))


def test_times_are_read_in_the_newsletters_zone() -> None:
    assert parse_at("2026-12-04 08:00", PARIS) == datetime(2026, 12, 4, 7, 0, tzinfo=UTC)
    assert parse_at("2026-07-01T08:00:30", PARIS) == datetime(2026, 7, 1, 6, 0, 30, tzinfo=UTC)
    # Autumn's repeated hour is its first pass (summer time, UTC+2).
    # (PEP 495: a repeated hour never equals a time of another zone; compare in UTC.)
    assert parse_at("2026-10-25 02:30", PARIS).astimezone(UTC) == datetime(
        2026, 10, 25, 0, 30, tzinfo=UTC
    )
    with pytest.raises(ScheduleRefused, match="the clocks skip it"):
        parse_at("2027-03-28 02:30", PARIS)  # spring's skipped hour does not exist
    for bad in ("tomorrow", "2026-12-04", "2026-13-01 08:00", "2026-12-04 25:00", "04/12/2026 08:00",
                "2026-12-04 08:00; rm -rf /", "\uff12\uff10\uff12\uff16-12-04 08:00"):  # fmt: skip
        with pytest.raises(ScheduleRefused):
            parse_at(bad, PARIS)


def test_a_schedule_is_refused_in_the_past_for_a_draft_or_with_a_csv(sendable: Path) -> None:
    past = brief(sendable, "send", WEEK, "--at", "2020-01-01 08:00", check=False)
    assert (
        past.returncode == 1 and "has passed: to send now, run brief send 2026-W47" in past.stderr
    )
    issue = sendable / "content" / "issues" / f"{WEEK}.md"
    issue.write_text(issue.read_text().replace("Status: published", "Status: draft"))
    draft = brief(sendable, "send", WEEK, "--at", _later(), check=False)
    assert draft.returncode == 1 and "publish it first" in draft.stderr
    (sendable / "list.csv").write_text("email\na@example.org\n")
    mixed = brief(sendable, "send", WEEK, "--at", _later(), "--to", "list.csv", check=False)
    assert mixed.returncode == 2
    assert _schedules(sendable) == []  # nothing stored by any of them


def test_list_cancel_and_move_a_schedule(sendable: Path) -> None:
    conf = sendable / "pelicanconf.py"
    conf.write_text(conf.read_text() + '\nTIMEZONE = "Europe/Paris"\n')
    said = brief(sendable, "send", WEEK, "--at", "2099-12-04 08:00").stdout
    assert "Friday 4 December 2099, 08:00 (Europe/Paris)" in said
    (scheduled,) = _schedules(sendable)
    assert scheduled["at"] == "2099-12-04T07:00:00Z" and scheduled["state"] == "scheduled"
    brief(sendable, "send", WEEK, "--at", "2099-12-05 09:30")  # moved, not doubled
    (moved,) = _schedules(sendable)
    assert moved["at"] == "2099-12-05T08:30:00Z"
    assert "2099-12-05 09:30\tscheduled" in brief(sendable, "send", "--list").stdout
    brief(sendable, "send", "--cancel", WEEK)
    assert _schedules(sendable)[0]["state"] == "cancelled"
    again = brief(sendable, "send", "--cancel", WEEK, check=False)
    assert again.returncode == 1 and "no send of issue 2026-W47 is scheduled" in again.stderr
    # A cancelled send is never sent, however late it gets.
    _time_passes(sendable)
    brief(sendable, "subscribers", "add", "ana@example.org", "--confirmed")
    assert brief(sendable, "due").stdout == ""


def _due(root: Path, smtp: SmtpServer) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "brief", "due", "--smtp", smtp.address],
        cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


@pytest.mark.slow
def test_due_sends_once_across_runs_two_at_once_and_a_crash(sendable: Path) -> None:
    readers = [f"reader{n}@example.org" for n in range(40)]
    (sendable / "readers.csv").write_text("email\n" + "\n".join(readers) + "\n")
    brief(sendable, "subscribers", "import", "readers.csv", "--confirmed")
    brief(sendable, "send", WEEK, "--at", _later())
    recorder = Recorder()
    running: list[subprocess.Popen[str]] = []
    held, released = threading.Event(), threading.Event()

    def on_message(_message: object) -> None:
        """The mail server's side: at the 5th message it holds the run (a long send) while
        the next minute's run starts; at the 15th the run is killed, that message unanswered."""
        if len(recorder.messages) == 5:
            held.set()
            released.wait(60)
        elif len(recorder.messages) == 15:
            running[0].send_signal(signal.SIGKILL)

    recorder.on_message = on_message
    with SmtpServer(recorder) as smtp:
        early = brief(sendable, "due", "--smtp", smtp.address)
        assert early.stdout == "" and recorder.messages == []  # not due yet: nothing, silently
        _time_passes(sendable)
        running.append(_due(sendable, smtp))
        assert held.wait(60)
        second = _due(sendable, smtp)  # cron's next minute, while the first still sends
        _, said = second.communicate(timeout=60)
        released.set()
        assert second.returncode == 0 and "nothing done: another due" in said
        running[0].wait(60)
        assert running[0].returncode == -signal.SIGKILL
        half = len(recorder.messages)
        assert half == 15
        assert _schedules(sendable)[0]["state"] == "sending"  # what the crash left
        resumed = brief(sendable, "due", "--smtp", smtp.address, check=False)
        assert f"{WEEK}: sent " in resumed.stdout
        (done,) = _schedules(sendable)
        assert done["state"] == "sent" and done["outcome"].startswith("sent ")
        # Every minute after: nothing more.
        for _ in range(3):
            assert brief(sendable, "due", "--smtp", smtp.address).stdout == ""
    assert max(recorder.recipients.values()) == 1  # nobody got it twice
    # Everyone got it but, at most, the one message in flight when the run was killed
    # (left uncertain: sending it again could make two).
    assert len(recorder.recipients) >= len(readers) - 1
    stats = json.loads(brief(sendable, "stats", WEEK, "--json").stdout)
    # The log knows what the server took, and the one it cannot be sure of (the kill came
    # while it was being sent: the server may or may not have it).
    assert stats["sent"] <= len(recorder.recipients) <= stats["sent"] + stats["uncertain"]
    assert stats["uncertain"] <= 1
    again = brief(sendable, "send", WEEK, "--at", _later(), check=False)
    assert again.returncode == 1 and "was sent on schedule already" in again.stderr
