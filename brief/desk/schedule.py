"""Sends on time: `brief send WEEK --at "2026-12-04 08:00"` puts an issue's send in the
store; `brief due`, run every minute by cron or a systemd timer, sends whatever is due.

Exactly once: one `brief due` runs at a time (an flock the system releases however the
process ends, so a second run started a minute later simply leaves); a schedule is marked
`sending` before the first message and `sent` after the last; a run that died half way
leaves it `sending`, and the next run resumes it, the delivery log skipping everyone it
already reached. A send the mail server stopped, or that left readers for later, stays
`scheduled` and is tried again at the next run.
"""

from __future__ import annotations

import re
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from brief.content.files import load_newsletter
from brief.desk.check import check_newsletter, has_errors
from brief.desk.sending import SendRefused, SendReport, requirements, send_issue
from brief.ground.errors import BriefError
from brief.ground.settings import Settings, SmtpSettings
from brief.mail.digest import digest_probe
from scrapers.errors import StoreError
from scrapers.storage import open_store
from scrapers.storage.schedules import Schedule

_AT = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})[ T]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?")


class ScheduleRefused(BriefError):
    """The send cannot be scheduled (or cancelled) as asked; nothing changed."""


def parse_at(text: str, timezone: ZoneInfo) -> datetime:
    """`2026-12-04 08:00` (seconds optional) in the newsletter's time zone. A time the
    clocks skip (the spring change) is refused; one they repeat (autumn) is its first."""
    match = _AT.fullmatch(text.strip())
    if not match:
        raise ScheduleRefused(
            f"{text!r} is not a time: write YYYY-MM-DD HH:MM, for example 2026-12-04 08:00"
        )
    try:
        year, month, day, hour, minute, second = (int(part or 0) for part in match.groups())
        naive = datetime(year, month, day, hour, minute, second)
    except ValueError as err:
        raise ScheduleRefused(f"{text!r} is not a time: {err}") from None
    local = naive.replace(tzinfo=timezone)
    if local.astimezone(ZoneInfo("UTC")).astimezone(timezone).replace(tzinfo=None) != naive:
        raise ScheduleRefused(
            f"{text} does not exist in {timezone.key}: the clocks skip it (a change to"
            " summer time); choose a time outside the skipped hour"
        )
    return local


def schedule_send(settings: Settings, week: str, at: datetime, now: datetime, by: str) -> None:
    """Schedule the issue's send at `at`: refused (nothing stored) in the past, for an
    issue that is not published or fails `brief check`, or without what a send needs."""
    if at <= now:
        raise ScheduleRefused(
            f"{at:%Y-%m-%d %H:%M} ({settings.timezone.key}) has passed: to send now, run"
            f" brief send {week}"
        )
    requirements(settings)
    newsletter = load_newsletter(settings)
    issue = newsletter.issue(week)
    findings = check_newsletter(newsletter, settings, week, digest=digest_probe(settings))
    if has_errors(findings):
        raise SendRefused(f"issue {week} fails `brief check`: not scheduled", findings)
    if issue.status != "published":
        raise SendRefused(
            f"issue {week} is a {issue.status}: publish it first (brief issue publish {week}),"
            " then schedule its send",
            findings,
        )
    with open_store(settings.db) as store, store.transaction():
        known = store.schedules.get(week)
        if known is not None and known.state == "sending":
            raise ScheduleRefused(f"issue {week} is being sent now: it cannot be moved")
        if known is not None and known.state == "sent":
            raise ScheduleRefused(
                f"issue {week} was sent on schedule already ({known.outcome}); brief send"
                f" {week} mails only the readers who have not had it"
            )
        store.schedules.put(week, at, by)


def cancel_send(settings: Settings, week: str) -> None:
    with open_store(settings.db) as store, store.transaction():
        known = store.schedules.get(week)
        if known is None or known.state == "cancelled":
            raise ScheduleRefused(f"no send of issue {week} is scheduled")
        if not store.schedules.cancel(week):
            raise ScheduleRefused(f"the send of issue {week} is {known.state}: too late to cancel")


def schedules(settings: Settings) -> list[Schedule]:
    with open_store(settings.db) as store:
        return store.schedules.all()


@dataclass(frozen=True)
class DueSend:
    week: str
    report: SendReport | None  # None: the send did not start
    error: str = ""

    @property
    def done(self) -> bool:
        return self.report is not None and not (self.report.stopped or self.report.unsent)


class AnotherRun(BriefError):
    """A `brief due` is already running: this one leaves it the work."""


def send_due(
    settings: Settings, smtp: SmtpSettings, now: datetime, rate: float | None = None
) -> list[DueSend]:
    """Send every scheduled issue due by `now`, once."""
    results: list[DueSend] = []
    with open_store(settings.db) as store, ExitStack() as held:
        try:
            held.enter_context(store.exclusive("due"))
        except StoreError as err:
            raise AnotherRun(str(err)) from None
        for schedule in store.schedules.due(now):
            week = schedule.week
            with store.transaction():
                store.schedules.start(week)
            try:
                newsletter = load_newsletter(settings)
                report = send_issue(settings, newsletter, week, None, smtp, rate=rate)
            except BriefError as err:  # the check fails now, the store is busy...
                with store.transaction():
                    store.schedules.finish(week, "scheduled", f"not sent yet: {err}")
                results.append(DueSend(week, None, str(err)))
                continue
            result = DueSend(week, report)
            with store.transaction():
                if result.done:
                    store.schedules.finish(week, "sent", report.summary())
                else:
                    why = report.stopped or f"{len(report.unsent)} readers left for later"
                    store.schedules.finish(
                        week, "scheduled", f"{report.summary()}; {why}: the rest next run"
                    )
            results.append(result)
    return results
