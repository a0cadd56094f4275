"""Sending: `brief send`."""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from brief.commands.options import Number, settings_of
from brief.ground.errors import DeliveryError
from brief.ground.settings import Settings, SmtpSettings
from brief.ground.terminal import echo


def _mail_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """--rate, --smtp and --smtp-security: how `brief send` and `brief due` mail."""
    for option in reversed([
        click.option("--rate", type=Number(0.01, 10_000), help="At most N messages a second."),
        click.option(
            "--smtp", "smtp_override", metavar="HOST:PORT",
            help="SMTP server (default: BRIEF_SMTP).",
        ),
        click.option(
            "--smtp-security",
            type=click.Choice(["starttls", "ssl", "none"]),
            help="How to talk to the SMTP server (default: BRIEF_SMTP's, starttls). 'none' is"
            " plain SMTP, for a server on this machine only (a local mail sink: see the README).",
        ),
    ]):  # fmt: skip
        func = option(func)
    return func


@click.command()
@click.argument("week", metavar="YYYY-Www", required=False)
@click.option(
    "--at",
    "at_text",
    metavar='"YYYY-MM-DD HH:MM"',
    help="Schedule the send for then, in the newsletter's time zone (TIMEZONE), instead of"
    " sending now; `brief due` (cron, a systemd timer) sends it.",
)
@click.option(
    "--list", "list_", is_flag=True, help="List the scheduled sends and what became of each."
)
@click.option("--cancel", is_flag=True, help="Cancel the scheduled send of WEEK.")
@click.option("--json", "as_json", is_flag=True, help="With --list: print JSON for scripts.")
@click.option(
    "--to",
    "csv_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="CSV of recipients: a header row with an 'email' column ('name' optional)."
    " Default: every confirmed subscriber in the store.",
)
@click.option(
    "--dry-run",
    is_flag=True,
    help="Write each message as .eml under data/send/WEEK/ (private: never the site); send"
    " nothing.",
)
@_mail_options
@click.option(
    "--retry-uncertain",
    is_flag=True,
    help="Also send to recipients an interrupted run left uncertain (they may get two copies).",
)
@click.pass_context
def send(
    ctx: click.Context,
    week: str | None,
    at_text: str | None,
    list_: bool,
    cancel: bool,
    as_json: bool,
    csv_path: Path | None,
    dry_run: bool,
    rate: float | None,
    smtp_override: str | None,
    smtp_security: str | None,
    retry_uncertain: bool,
) -> None:
    """Email the issue's digest to every confirmed subscriber, once each.

    A delivery log in the store remembers who got it. Nothing is sent when the issue fails
    `brief check`, and an address the store knows as unsubscribed, bounced or complained
    is never mailed, even from --to. Uses the production settings (publishconf.py). The SMTP
    password comes only from the environment variable named in BRIEF_SMTP (default
    BRIEF_SMTP_PASSWORD).

    --at schedules the send instead, --list shows what is scheduled, --cancel takes a
    scheduled send back.
    """
    from brief.audience.subscribers import read_subscribers
    from brief.content.files import load_newsletter
    from brief.content.weeks import parse_week
    from brief.desk.sending import SendRefused, send_issue

    settings = settings_of(ctx, production=True)
    if list_:
        _list_schedules(settings, as_json)
        return
    if week is None:
        raise click.UsageError("name the issue: brief send YYYY-Www (or brief send --list)")
    parse_week(week)
    if cancel or at_text is not None:
        if csv_path or dry_run:
            raise click.UsageError(
                "--at and --cancel send to the store's subscribers: no --to or --dry-run"
            )
        _schedule(settings, week, at_text, cancel)
        return
    smtp = _smtp_override(settings, smtp_override, smtp_security)
    newsletter = load_newsletter(settings)
    newsletter.issue(week)  # a missing issue is said before the CSV is read
    subscribers, bad = read_subscribers(csv_path) if csv_path else (None, [])
    for row in bad:
        echo(f"{csv_path}:{row.line}: skipped: {row.reason}", err=True)
    try:
        report = send_issue(
            settings, newsletter, week, subscribers, smtp,
            dry_run=dry_run, rate=rate, retry_uncertain=retry_uncertain,
        )  # fmt: skip
    except SendRefused as refused:
        for finding in refused.findings:
            echo(finding.format(), err=True)
        raise
    for finding in report.findings:
        echo(finding.format(), err=True)
    if csv_path is None and report.recipients == 0:
        echo(
            "no confirmed subscribers in the store: readers subscribe through the service"
            " (brief subscriptions serve), or add them with brief subscribers add|import",
            err=True,
        )
    if dry_run:
        from brief.desk.sending import dry_run_folder

        folder = report.written[0].parent if report.written else dry_run_folder(settings, week)
        echo(f"dry run: wrote {len(report.written)} messages to {folder}; sent nothing")
        return
    for email, reason in report.failed:
        echo(f"failed: {email}: {reason}", err=True)
    for email, reason in report.unsent:
        echo(f"not sent: {email}: {reason}; it will be sent by a later run", err=True)
    for email, status in report.suppressed:
        echo(f"not to be mailed: {email}: {status} in the store", err=True)
    for email, status in report.left:
        echo(f"not to be mailed: {email}: {status} while this send ran", err=True)
    for email, why in report.uncertain:
        echo(f"uncertain: {email}: {why}; not sent again (--retry-uncertain sends anyway)",
             err=True)  # fmt: skip
    echo(f"{week}: {report.summary(len(bad))}")
    if report.stopped:
        raise DeliveryError(
            f"{report.stopped}. Stopped after {report.sent} sent; the other {report.untried}"
            f" were not tried: run `brief send {week}` again to send them (never twice)"
        )
    if report.failed or report.unsent:
        sys.exit(1)


def _list_schedules(settings: Settings, as_json: bool) -> None:
    import json

    from brief.desk.schedule import schedules

    found = schedules(settings)
    if as_json:
        echo(json.dumps([s.as_json() for s in found], ensure_ascii=False, indent=2))
        return
    for item in found:
        local = item.at.astimezone(settings.timezone)
        echo(f"{item.week}\t{local:%Y-%m-%d %H:%M}\t{item.state}\t{item.made_by}\t{item.outcome}")
    if not found:
        echo('no send is scheduled (brief send WEEK --at "YYYY-MM-DD HH:MM")', err=True)


def _schedule(settings: Settings, week: str, at_text: str | None, cancel: bool) -> None:
    import getpass

    from brief.commands.options import now
    from brief.desk.schedule import cancel_send, parse_at, schedule_send
    from brief.desk.sending import SendRefused

    if cancel:
        cancel_send(settings, week)
        echo(f"cancelled the scheduled send of {week}")
        return
    assert at_text is not None
    at = parse_at(at_text, settings.timezone)
    try:
        schedule_send(settings, week, at, now(), f"{getpass.getuser()} (brief send --at)")
    except SendRefused as refused:
        for finding in refused.findings:
            echo(finding.format(), err=True)
        raise
    echo(
        f"{week} will be sent at {at:%A %-d %B %Y, %H:%M} ({settings.timezone.key}) by brief"
        " due: run it every minute (cron or a systemd timer, see the README)"
    )


@click.command()
@_mail_options
@click.pass_context
def due(
    ctx: click.Context, rate: float | None, smtp_override: str | None, smtp_security: str | None
) -> None:
    """Send every scheduled issue that is due (brief send WEEK --at), exactly once.

    Safe to run every minute: a second run while one is sending leaves at once, and a run
    that died half way is resumed by the next, which skips every reader already served.
    Says nothing when nothing is due (cron mails what a job prints).
    """
    from brief.commands.options import now
    from brief.desk.schedule import AnotherRun, send_due

    settings = settings_of(ctx, production=True)
    smtp = _smtp_override(settings, smtp_override, smtp_security)
    try:
        results = send_due(settings, smtp, now(), rate)
    except AnotherRun as running:
        echo(f"nothing done: {running}", err=True)
        return
    failed = False
    for result in results:
        if result.report is None:
            echo(
                f"{result.week}: not sent yet: {result.error}; tried again at the next run",
                err=True,
            )
            failed = True
        elif result.done:
            echo(f"{result.week}: {result.report.summary()}")
        else:
            echo(f"{result.week}: {result.report.summary()}; the rest at the next run", err=True)
            failed = True
    if failed:
        sys.exit(1)


def _smtp_override(
    settings: Settings, override: str | None, security: str | None = None
) -> SmtpSettings:
    """BRIEF_SMTP, with --smtp HOST:PORT instead of its host and port and --smtp-security
    instead of its security (plain SMTP only to this machine: nothing crosses a network in
    clear, not a password, not a reader's address)."""
    smtp = settings.smtp
    if override:
        host, _, port = override.rpartition(":")
        host = host.strip("[]")
        if not host or not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
            raise click.BadParameter(f"{override!r}: write HOST:PORT", param_hint="--smtp")
        smtp = replace(smtp, host=host, port=int(port))
    if security == "none" and smtp.host.lower() not in ("127.0.0.1", "localhost", "::1"):
        raise click.BadParameter(
            f"plain SMTP goes only to a server on this machine (127.0.0.1, localhost, ::1),"
            f" not {smtp.host!r}: use starttls or ssl there",
            param_hint="--smtp-security",
        )
    if security is not None:
        smtp = replace(smtp, security=security)  # type: ignore[arg-type]
    return smtp


@click.command()
@click.argument("week", metavar="[YYYY-Www]", required=False)
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option(
    "--weeks",
    type=click.IntRange(1, 520),
    default=12,
    show_default=True,
    help="Weeks of list growth to show.",
)
@click.pass_context
def stats(ctx: click.Context, week: str | None, as_json: bool, weeks: int) -> None:
    """How issues did: sent, bounced, complained and unsubscribed after each, clicks per
    story (counted through the subscription service, never per reader), and the list's
    growth per week. WEEK: that issue in detail; without it, every issue sent."""
    import json

    from brief.audience.stats import every_issue, growth, issue_stats
    from brief.commands.options import now
    from brief.content.files import load_newsletter
    from brief.content.weeks import parse_week
    from scrapers.storage import open_store

    if week is not None:
        parse_week(week)
    settings = settings_of(ctx, production=True)
    newsletter = load_newsletter(settings)
    with open_store(settings.db) as store:
        issues = [issue_stats(store, newsletter, week)] if week else every_issue(store, newsletter)
        weekly = growth(store, settings, now(), weeks)
    if as_json:
        shown = {
            "issues": [issue.as_json() for issue in issues],
            "growth": [
                {"week": w.week, "joined": w.joined, "left": w.left, "net": w.net} for w in weekly
            ],
        }
        if week:
            shown = {**issues[0].as_json(), "growth": shown["growth"]}
        echo(json.dumps(shown, ensure_ascii=False, indent=2))
        return
    for issue in issues:
        label = f"Issue {issue.number}" if issue.number else "(no issue file)"
        echo(f"{issue.week} · {label} · {issue.title}")
        echo(
            f"  sent {issue.sent} (failed {issue.failed}, uncertain {issue.uncertain});"
            f" after it: unsubscribed {issue.unsubscribed}, bounced {issue.bounced},"
            f" complained {issue.complained}; clicks {issue.clicks}"
        )
        if week:
            for story in issue.stories:
                echo(f"  {story.clicks:>6}  {story.title}")
            if issue.other_links:
                echo(f"  {sum(issue.other_links.values()):>6}  (the issue's other links)")
    if not issues:
        echo("no issue has been sent yet (brief send)", err=True)
    echo("List growth (joined, left, per week):")
    for w in weekly:
        echo(f"  {w.week}  +{w.joined}  -{w.left}")
