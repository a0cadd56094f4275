"""The `brief` command: a thin layer over the library; errors become exit codes here only.

Exit codes: 0 success, 1 a problem with content or a feed, 2 a usage or configuration error.
"""

from __future__ import annotations

import getpass
import json
import logging
import math
import os
import re
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import click

if TYPE_CHECKING:
    from brief.triage import TriageStatus
    from scrapers.records import Action

from brief.errors import BriefError, ConfigError, DeliveryError
from brief.paths import display_path
from brief.settings import Settings, SmtpSettings, load_settings
from brief.terminal import echo, shown


def _now() -> datetime:
    return datetime.now(UTC)


INTERNAL_ERROR = 70  # EX_SOFTWARE: a bug of ours, never the editor's input


class _Group(click.Group):
    """Turns every error into a one-line message and an exit code: never a traceback.

    2 for usage and configuration errors, 1 for problems with content, feeds or delivery,
    70 for a bug in brief (the traceback is printed only with BRIEF_DEBUG=1).
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as err:
            _fail(str(err), 2)
        except BriefError as err:
            _fail(str(err), 1)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            _fail("interrupted; whatever was committed is kept, run the command again", 130)
        except Exception as err:
            if os.environ.get("BRIEF_DEBUG"):
                raise
            _fail(
                f"internal error: {type(err).__name__}: {err}. This is a bug in brief;"
                " run again with BRIEF_DEBUG=1 to see where, and report it",
                INTERNAL_ERROR,
            )


def _fail(message: str, code: int) -> NoReturn:
    echo(f"brief: error: {shown(message)}", err=True)
    sys.exit(code)


@click.group(cls=_Group)
@click.option(
    "--settings",
    "settings_file",
    type=click.Path(path_type=Path, dir_okay=False),
    default="pelicanconf.py",
    show_default=True,
    help="Settings file of the newsletter (run brief in its repository).",
)
@click.version_option(package_name="live-commerce-brief")
@click.pass_context
def cli(ctx: click.Context, settings_file: Path) -> None:
    """Live Commerce Brief: scrape, triage, accept, assemble, build and check the newsletter."""
    ctx.obj = {"settings_file": settings_file}


def _settings(ctx: click.Context, **overrides: Any) -> Settings:
    obj = ctx.ensure_object(dict)
    return load_settings(Path(obj["settings_file"]), overrides or None)


MAX_ID = 2**63 - 1  # SQLite's largest integer
ID = click.IntRange(1, MAX_ID)
MAX_DAYS = 36_500  # "--since 36500d": a century back is far enough


class _Number(click.FloatRange):
    """A float in a range that is also finite: click's FloatRange lets "nan" through."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        return number


def _db_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "--db",
        type=click.Path(path_type=Path, dir_okay=False),
        help="SQLite store (default: BRIEF_DB in the settings, data/brief.sqlite).",
    )(func)


# -- scrape ------------------------------------------------------------------------------------


@cli.command()
@click.option(
    "--feeds",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Feeds file (default: feeds.toml).",
)
@_db_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object for scripts.")
@click.option("--force", is_flag=True, help="Fetch every source now: no back-off, no 304.")
@click.pass_context
def scrape(
    ctx: click.Context, feeds: Path | None, db: Path | None, as_json: bool, force: bool
) -> None:
    """Fetch every source in feeds.toml and store new candidates.

    One broken feed never stops the others: it is listed under "failed", every other
    source is stored, and the exit code is 1. An entry that cannot be used is skipped with
    a warning. Paused sources (HTTP 410) and sources backing off after failures are skipped
    until they are due. Only one scrape runs at a time on a store.
    """
    from brief.progress import ScrapeProgress, print_scrape_summary
    from scrapers.entities import EntityTagger, load_entities
    from scrapers.relevance import load_rules
    from scrapers.scrape import scrape as run_scrape
    from scrapers.sources import load_sources
    from scrapers.storage import open_store

    settings = _settings(ctx)
    sources = load_sources(feeds or settings.feeds)
    tagger = EntityTagger(load_entities(settings.entities))
    rules = load_rules(settings.relevance)
    limits = settings.fetch
    active = len([s for s in sources if s.enabled])
    with (
        open_store(db or settings.db) as store,
        ScrapeProgress(active, enabled=not as_json) as progress,
    ):
        report = run_scrape(
            sources, store, tagger, rules, limits, force=force, on_result=progress.advance
        )
    if as_json:
        echo(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        print_scrape_summary(report)
    if report.failed:
        sys.exit(1)


@cli.command()
@_db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option("--resume", metavar="NAME", help="Un-pause a source and forget its back-off.")
@click.pass_context
def sources(ctx: click.Context, db: Path | None, as_json: bool, resume: str | None) -> None:
    """How each source fared: last status, last success, items, failures, next attempt."""
    from scrapers.storage import open_store

    settings = _settings(ctx)
    with open_store(db or settings.db) as store:
        if resume is not None:
            state = store.sources.state(resume)
            if state is None:
                raise BriefError(f"no source named {resume!r} has been scraped yet")
            with store.transaction():
                store.sources.reset(state.name, state.url)
            echo(f"{resume}: resumed; it will be fetched on the next scrape")
            return
        states = store.sources.all()
    if as_json:
        echo(json.dumps([s.as_json() for s in states], ensure_ascii=False, indent=2))
        return
    from brief.progress import print_sources

    print_sources(states)


# -- triage ------------------------------------------------------------------------------------

STATUS_CHOICES = ["new", "shortlisted", "accepted", "rejected", "all"]


@cli.command()
@_db_option
@click.option("--limit", type=click.IntRange(1, 100_000), default=30, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list for scripts.")
@click.option(
    "--explain", type=ID, metavar="ID", help="Show the signals behind one candidate's score."
)
@click.option("--search", metavar="TEXT", help="Only candidates whose title or summary match.")
@click.option("--section", help="Only candidates whose guessed section is this one.")
@click.option("--entity", help="Only candidates naming this company or platform.")
@click.option("--source", help="Only candidates from this source (any outlet of a cluster).")
@click.option(
    "--since", metavar="DATE|Nd", help="Only stories published since a date or N days ago (7d)."
)
@click.option("--min-score", type=_Number(0, 1), help="Only scores at least this.")
@click.option(
    "--status",
    type=click.Choice(STATUS_CHOICES),
    default="new",
    show_default=True,
    help="Which decisions to list (shortlisted stories are undecided, listed first).",
)
@click.option("-i", "--interactive", is_flag=True, help="Decide one story at a time, by key.")
@click.pass_context
def triage(
    ctx: click.Context,
    db: Path | None,
    limit: int,
    as_json: bool,
    explain: int | None,
    search: str | None,
    section: str | None,
    entity: str | None,
    source: str | None,
    since: str | None,
    min_score: float | None,
    status: TriageStatus,
    interactive: bool,
) -> None:
    """Candidates, best first: score, title, source, age, companies, sources, section guess."""
    from brief.triage import find_rows, print_table, run_interactive, story_query
    from scrapers.entities import load_entities
    from scrapers.storage import open_store

    settings = _settings(ctx)
    if section is not None and section not in settings.sections:
        raise click.BadParameter(
            f"choose one of: {', '.join(settings.sections)}", param_hint="--section"
        )
    entities = load_entities(settings.entities)
    with open_store(db or settings.db) as store:
        if explain is not None:
            candidate = store.stories.get(explain)
            if candidate is None:
                raise BriefError(f"no candidate #{explain} in {store.path}")
            echo(f"#{candidate.id} {candidate.title}\nscore {candidate.score:.2f}")
            for signal in candidate.signals or ("(no signal: nothing about livestream commerce)",):
                echo(f"  {signal}")
            return
        query = story_query(
            status, search=search, source=source, entity=entity, since=_since(since),
            min_score=min_score,
        )  # fmt: skip
        rows = find_rows(store, query, settings, entities, _now(), section=section, limit=limit)
        if interactive:
            run_interactive(store, rows, settings, entities, _who(), _now)
            return
    if as_json:
        echo(json.dumps([r.as_json() for r in rows], ensure_ascii=False, indent=2))
    elif not rows:
        echo("Nothing to triage here: run `brief scrape`, or loosen the filters.")
    else:
        print_table(rows)


def _since(value: str | None) -> datetime | None:
    if not value:
        return None
    hint = "give a date (2026-11-01) or a number of days (7d)"
    if match := re.fullmatch(r"([0-9]+)d", value.strip()):
        days = int(match.group(1))
        if days > MAX_DAYS:
            raise click.BadParameter(
                f"{value!r}: at most {MAX_DAYS}d (a century)", param_hint="--since"
            )
        return _now() - timedelta(days=days)
    if not value.isascii():
        raise click.BadParameter(f"{value!r}: {hint}", param_hint="--since")
    try:
        moment = datetime.fromisoformat(value)
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        raise click.BadParameter(f"{value!r}: {hint}", param_hint="--since") from None


def _who() -> str:
    """Who is deciding: BRIEF_EDITOR, else git's user.name, else the login name."""
    if name := os.environ.get("BRIEF_EDITOR"):
        return name
    try:
        result = subprocess.run(
            ["git", "config", "user.name"], capture_output=True, text=True, timeout=5, check=False
        )
        if result.stdout.strip():
            return result.stdout.strip()
    except OSError:
        pass
    return getpass.getuser()


# -- decisions ---------------------------------------------------------------------------------


@cli.command()
@click.argument("ids", nargs=-1, required=True, type=ID)
@click.option("--section", help="Section of the new articles (default: guessed).")
@_db_option
@click.pass_context
def accept(ctx: click.Context, ids: tuple[int, ...], section: str | None, db: Path | None) -> None:
    """Write each candidate as a draft article under content/articles/ and print its path."""
    from brief.desk import accept as accept_candidates
    from scrapers.entities import load_entities
    from scrapers.storage import open_store

    settings = _settings(ctx)
    if section is not None and section not in settings.sections:
        raise click.BadParameter(
            f"{section!r} is not a section; choose one of: {', '.join(settings.sections)}",
            param_hint="--section",
        )
    entities = load_entities(settings.entities)
    with open_store(db or settings.db) as store:
        outcomes = accept_candidates(store, ids, settings, entities, _now(), section, _who())
    _report(outcomes, lambda o: str(o.path))


def _report(outcomes: Sequence[Any], done: Callable[[Any], str]) -> None:
    failed = False
    for outcome in outcomes:
        if outcome.error is not None:
            failed = True
            echo(f"brief: error: #{outcome.candidate_id}: {outcome.error}", err=True)
        elif outcome.note:
            echo(f"{outcome.path}  (#{outcome.candidate_id} {outcome.note})", err=True)
        else:
            echo(done(outcome))
    if failed:
        sys.exit(1)


def _decision_command(name: str, action: Action, summary: str) -> None:
    @cli.command(name=name, help=summary)
    @click.argument("ids", nargs=-1, required=True, type=ID)
    @_db_option
    @click.pass_context
    def command(ctx: click.Context, ids: tuple[int, ...], db: Path | None) -> None:
        from brief.desk import decide
        from scrapers.storage import open_store

        settings = _settings(ctx)
        with open_store(db or settings.db) as store:
            outcomes = decide(store, ids, action, _now(), _who())
        _report(outcomes, lambda o: f"#{o.candidate_id} {action}")


_decision_command("reject", "rejected", "Mark candidates rejected: they leave the triage queue.")
_decision_command(
    "shortlist", "shortlisted", "Shortlist candidates: they stay undecided, listed first."
)


@cli.command()
@click.argument("ids", nargs=-1, required=True, type=ID)
@_db_option
@click.pass_context
def unaccept(ctx: click.Context, ids: tuple[int, ...], db: Path | None) -> None:
    """Undo an accept: delete the draft, only if nobody edited it, and requeue the story."""
    from brief.desk import unaccept as unaccept_candidates
    from scrapers.storage import open_store

    settings = _settings(ctx)
    with open_store(db or settings.db) as store:
        outcomes = unaccept_candidates(store, ids, settings, _now(), _who())
    _report(outcomes, lambda o: f"deleted {o.path}; #{o.candidate_id} is back in the queue")


# -- issues ------------------------------------------------------------------------------------


@cli.group()
def issue() -> None:
    """Weekly issues: content/issues/YYYY-Www.md."""


def _week_option(func: Callable[..., Any]) -> Callable[..., Any]:
    return click.option("--week", metavar="YYYY-Www", help="ISO week (default: this week).")(func)


@issue.command("new")
@_week_option
@click.pass_context
def issue_new(ctx: click.Context, week: str | None) -> None:
    """Start an issue with the week's accepted articles, grouped by section."""
    from brief.issues import parse_week, week_of
    from brief.publishing import new_issue

    settings = _settings(ctx)
    week = week or week_of(_now().astimezone(settings.timezone))
    parse_week(week)
    path, count = new_issue(settings, week)
    echo(display_path(path))
    if count == 0:
        echo(f"note: no accepted article is dated in {week}; add slugs by hand", err=True)


@issue.command("publish")
@click.argument("week", metavar="YYYY-Www")
@click.pass_context
def issue_publish(ctx: click.Context, week: str) -> None:
    """Check the issue; if it passes, mark it and its articles published today, then build.

    When the check fails nothing is changed, and every problem is listed.
    """
    from brief.issues import parse_week
    from brief.publishing import PublishRefused, publish_issue
    from brief.site import build_site

    parse_week(week)
    settings = _settings(ctx)
    try:
        publication = publish_issue(settings, week, _now())
    except PublishRefused as refused:
        for finding in refused.findings:
            echo(finding.format(), err=True)
        raise
    for finding in publication.findings:
        echo(finding.format(), err=True)
    echo(f"published {display_path(publication.issue)} and {len(publication.articles)} articles")
    echo(build_site(settings))


# -- build, digest, check ----------------------------------------------------------------------


@cli.command()
@click.option(
    "--output",
    type=click.Path(path_type=Path, file_okay=False),
    help="Output folder (default: output/).",
)
@click.pass_context
def build(ctx: click.Context, output: Path | None) -> None:
    """Build the site with Pelican, then the search index, then every issue's digest."""
    from brief.site import build_site

    overrides = {"OUTPUT_PATH": str(output.resolve())} if output else {}
    settings = _settings(ctx, **overrides)
    summary = build_site(settings)
    echo(summary)


@cli.command()
@click.argument("week", metavar="YYYY-Www")
@click.pass_context
def digest(ctx: click.Context, week: str) -> None:
    """(Re)write output/digest/WEEK.html, .txt and .eml from the issue file."""
    from brief.content import load_newsletter
    from brief.digest import build_digests
    from brief.issues import parse_week

    parse_week(week)
    settings = _settings(ctx)
    for path in build_digests(settings, load_newsletter(settings), [week]):
        echo(str(path))


@cli.command()
@click.option("--issue", "week", metavar="YYYY-Www", help="Only this issue and its articles.")
@click.pass_context
def check(ctx: click.Context, week: str | None) -> None:
    """Validate content/: print `path:line: level: message`; exit 1 on any error."""
    from brief.check import check_newsletter, has_errors
    from brief.content import load_newsletter
    from brief.digest import digest_size

    settings = _settings(ctx)
    newsletter = load_newsletter(settings)
    findings = check_newsletter(newsletter, settings, week, digest_size=digest_size(settings))
    for finding in findings:
        echo(finding.format())
    errors = sum(f.level == "error" for f in findings)
    warnings = len(findings) - errors
    echo(f"{errors} errors, {warnings} warnings", err=True)
    if has_errors(findings):
        sys.exit(1)


@cli.command()
@click.argument("week", metavar="YYYY-Www")
@click.option(
    "--to",
    "csv_path",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="CSV of subscribers: a header row with an 'email' column ('name' optional).",
)
@click.option(
    "--dry-run", is_flag=True, help="Write each message as .eml under output/send/; send nothing."
)
@click.option("--rate", type=_Number(0.01, 10_000), help="At most N messages a second.")
@click.option(
    "--smtp", "smtp_override", metavar="HOST:PORT", help="SMTP server (default: BRIEF_SMTP)."
)
@click.option(
    "--retry-uncertain",
    is_flag=True,
    help="Also send to recipients an interrupted run left uncertain (they may get two copies).",
)
@click.pass_context
def send(
    ctx: click.Context,
    week: str,
    csv_path: Path,
    dry_run: bool,
    rate: float | None,
    smtp_override: str | None,
    retry_uncertain: bool,
) -> None:
    """Email the issue's digest to every subscriber, once (a ledger remembers who got it).

    Nothing is sent when the issue fails `brief check`. The SMTP password comes only from
    the environment variable named in BRIEF_SMTP (default BRIEF_SMTP_PASSWORD).
    """
    from brief.content import load_newsletter
    from brief.issues import parse_week
    from brief.mail import SendRefused, send_issue
    from brief.subscribers import read_subscribers

    parse_week(week)
    settings = _settings(ctx)
    smtp = _smtp_override(settings, smtp_override)
    newsletter = load_newsletter(settings)
    newsletter.issue(week)  # a missing issue is said before the CSV is read
    subscribers, bad = read_subscribers(csv_path)
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
    if dry_run:
        folder = report.written[0].parent if report.written else settings.output / "send" / week
        echo(f"dry run: wrote {len(report.written)} messages to {folder}; sent nothing")
        return
    for email, reason in report.failed:
        echo(f"failed: {email}: {reason}", err=True)
    for email, reason in report.unsent:
        echo(f"not sent: {email}: {reason}; it will be sent by a later run", err=True)
    for email, why in report.uncertain:
        echo(f"uncertain: {email}: {why}; not sent again (--retry-uncertain sends anyway)",
             err=True)  # fmt: skip
    echo(
        f"{week}: sent {report.sent}, skipped {report.skipped} already sent,"
        f" failed {len(report.failed)}, uncertain {len(report.uncertain)},"
        f" bad rows {len(bad)}"
    )
    if report.stopped:
        untried = len(subscribers) - report.sent - report.skipped - len(report.failed)
        untried -= len(report.uncertain) + len(report.unsent)
        raise DeliveryError(
            f"{report.stopped}. Stopped after {report.sent} sent; the other {untried} were not"
            f" tried: run `brief send {week}` again to send them (never twice)"
        )
    if report.failed or report.unsent:
        sys.exit(1)


def _smtp_override(settings: Settings, override: str | None) -> SmtpSettings:
    """BRIEF_SMTP, with --smtp HOST:PORT instead of its host and port."""
    if not override:
        return settings.smtp
    host, _, port = override.rpartition(":")
    host = host.strip("[]")
    if not host or not (port.isascii() and port.isdigit()) or not 0 < int(port) < 65536:
        raise click.BadParameter(f"{override!r}: write HOST:PORT", param_hint="--smtp")
    return replace(settings.smtp, host=host, port=int(port))


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    cli(prog_name="brief")
