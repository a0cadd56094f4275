"""The `brief` command: a thin layer over the library; errors become exit codes here only.

Exit codes: 0 success, 1 a problem with content or a feed, 2 a usage or configuration error.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NoReturn

import click

from brief.errors import BriefError, ConfigError
from brief.settings import Settings, load_settings


def _now() -> datetime:
    return datetime.now(UTC)


class _Group(click.Group):
    """Turns the project's errors into one-line messages and exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except ConfigError as err:
            _fail(str(err), 2)
        except BriefError as err:
            _fail(str(err), 1)


def _fail(message: str, code: int) -> NoReturn:
    click.echo(f"brief: error: {message}", err=True)
    sys.exit(code)


pass_settings = click.make_pass_decorator(dict, ensure=True)


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

    One broken feed never stops the others: it is listed under "failed" and the exit
    code is still 0 when at least one source worked. Paused sources (HTTP 410) and
    sources backing off after failures are skipped until they are due.
    """
    from brief.progress import ScrapeProgress, print_scrape_summary
    from scrapers.entities import EntityTagger, load_entities
    from scrapers.relevance import load_rules
    from scrapers.scrape import scrape as run_scrape
    from scrapers.sources import load_sources
    from scrapers.store import open_store

    settings = _settings(ctx)
    sources = load_sources(feeds or settings.feeds)
    tagger = EntityTagger(load_entities(settings.entities))
    rules = load_rules(settings.relevance)
    limits = _fetch_limits(settings)
    active = len([s for s in sources if s.enabled])
    with (
        open_store(db or settings.db) as store,
        ScrapeProgress(active, enabled=not as_json) as progress,
    ):
        report = run_scrape(
            sources, store, tagger, rules, limits, force=force, on_result=progress.advance
        )
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        print_scrape_summary(report)
    if report.sources and report.failed and len(report.failed) == report.sources:
        sys.exit(1)


def _fetch_limits(settings: Settings) -> Any:
    from scrapers.fetch import FetchLimits

    try:
        return FetchLimits(**settings.fetch)  # type: ignore[arg-type]
    except TypeError as err:
        raise ConfigError(f"BRIEF_FETCH: {err}", settings.config_file) from err


@cli.command()
@_db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option("--resume", metavar="NAME", help="Un-pause a source and forget its back-off.")
@click.pass_context
def sources(ctx: click.Context, db: Path | None, as_json: bool, resume: str | None) -> None:
    """How each source fared: last status, last success, items, failures, next attempt."""
    from scrapers.store import open_store

    settings = _settings(ctx)
    with open_store(db or settings.db) as store:
        if resume is not None:
            state = store.source_state(resume)
            if state is None:
                raise BriefError(f"no source named {resume!r} has been scraped yet")
            with store.transaction():
                store.reset_source(state.name, state.url)
            click.echo(f"{resume}: resumed; it will be fetched on the next scrape")
            return
        states = store.sources()
    rows = [
        {
            "source": s.name,
            "url": s.url,
            "current_url": s.fetch_url,
            "last_status": s.last_status,
            "last_attempt": _iso(s.last_attempt),
            "last_success": _iso(s.last_success),
            "last_error": s.last_error,
            "items": s.items,
            "consecutive_failures": s.failures,
            "paused": bool(s.paused),
            "paused_reason": s.paused,
            "next_attempt": _iso(s.next_attempt),
        }
        for s in states
    ]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    from brief.progress import print_sources

    print_sources(rows)


# -- triage ------------------------------------------------------------------------------------


@cli.command()
@_db_option
@click.option("--limit", type=click.IntRange(min=1), default=30, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list for scripts.")
@click.option(
    "--explain", type=int, metavar="ID", help="Show the signals behind one candidate's score."
)
@click.option("--search", metavar="TEXT", help="Only candidates whose title or summary match.")
@click.pass_context
def triage(
    ctx: click.Context,
    db: Path | None,
    limit: int,
    as_json: bool,
    explain: int | None,
    search: str | None,
) -> None:
    """Undecided candidates, best first."""
    from scrapers.store import open_store

    settings = _settings(ctx)
    with open_store(db or settings.db) as store:
        if explain is not None:
            candidate = store.get(explain)
            if candidate is None:
                raise BriefError(f"no candidate #{explain} in {store.path}")
            click.echo(f"#{candidate.id} {candidate.title}\nscore {candidate.score:.2f}")
            for signal in candidate.signals or ("(no signal: nothing about livestream commerce)",):
                click.echo(f"  {signal}")
            return
        candidates = store.candidates(("new",), limit, search=search)
    if as_json:
        click.echo(
            json.dumps([_candidate_json(c) for c in candidates], ensure_ascii=False, indent=2)
        )
        return
    if not candidates:
        click.echo("Nothing to triage: run `brief scrape` to fetch new stories.")
        return
    for c in candidates:
        bar = "█" * round(c.score * 10) + "·" * (10 - round(c.score * 10))
        extra = ""
        if len(c.sources) > 1:
            extra = f" · {len(c.sources)} sources, first reported by {c.first_reported_by}"
        click.echo(f"{c.id:>5}  {bar} {c.score:.2f}  {c.title}")
        who = ", ".join(c.entities[:4]) or "-"
        click.echo(f"       {c.source} · {c.published:%Y-%m-%d} · {who}{extra}")
    click.echo("\nAccept with `brief accept ID...`, reject with `brief reject ID...`.")


def _candidate_json(c: Any) -> dict[str, Any]:
    return {
        "id": c.id,
        "title": c.title,
        "link": c.link,
        "source": c.source,
        "published": c.published.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "score": c.score,
        "entities": list(c.entities),
        "about": list(c.about),
        "status": c.status,
        "sources": [{"source": s.source, "link": s.link} for s in c.sources],
        "first_reported_by": c.first_reported_by,
        "date_flag": c.date_flag,
        "summary": c.summary_text,
    }


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment else None


# -- accept / reject ---------------------------------------------------------------------------


@cli.command()
@click.argument("ids", nargs=-1, required=True, type=int)
@click.option("--section", help="Section of the new articles (default: guessed).")
@_db_option
@click.pass_context
def accept(ctx: click.Context, ids: tuple[int, ...], section: str | None, db: Path | None) -> None:
    """Write each candidate as a draft article under content/articles/ and print its path."""
    from brief.desk import accept as accept_candidates
    from scrapers.entities import load_entities
    from scrapers.store import open_store

    settings = _settings(ctx)
    if section is not None and section not in settings.sections:
        raise click.BadParameter(
            f"{section!r} is not a section; choose one of: {', '.join(settings.sections)}",
            param_hint="--section",
        )
    entities = load_entities(settings.entities)
    with open_store(db or settings.db) as store:
        outcomes = accept_candidates(store, ids, settings, entities, _now(), section)
    failed = False
    for outcome in outcomes:
        if outcome.error is not None:
            failed = True
            click.echo(f"brief: error: #{outcome.candidate_id}: {outcome.error}", err=True)
        elif outcome.note:
            click.echo(f"{outcome.path}  (#{outcome.candidate_id} {outcome.note})", err=True)
        else:
            click.echo(str(outcome.path))
    if failed:
        sys.exit(1)


@cli.command()
@click.argument("ids", nargs=-1, required=True, type=int)
@_db_option
@click.pass_context
def reject(ctx: click.Context, ids: tuple[int, ...], db: Path | None) -> None:
    """Mark candidates rejected: they leave the triage queue."""
    from brief.desk import reject as reject_candidates
    from scrapers.store import open_store

    settings = _settings(ctx)
    with open_store(db or settings.db) as store:
        outcomes = reject_candidates(store, ids, _now())
    failed = [o for o in outcomes if o.error is not None]
    for outcome in failed:
        click.echo(f"brief: error: {outcome.error}", err=True)
    click.echo(f"rejected {len(outcomes) - len(failed)} of {len(outcomes)}")
    if failed:
        sys.exit(1)


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
    from brief.desk import new_issue
    from brief.issues import parse_week, week_of

    settings = _settings(ctx)
    week = week or week_of(_now().astimezone(settings.timezone))
    parse_week(week)
    path, count = new_issue(settings, week)
    click.echo(str(path.relative_to(settings.root) if path.is_relative_to(settings.root) else path))
    if count == 0:
        click.echo(f"note: no accepted article is dated in {week}; add slugs by hand", err=True)


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
    click.echo(summary)


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
        click.echo(str(path))


@cli.command()
@click.option("--issue", "week", metavar="YYYY-Www", help="Only this issue and its articles.")
@click.pass_context
def check(ctx: click.Context, week: str | None) -> None:
    """Validate content/: print `path:line: level: message`; exit 1 on any error."""
    from brief.check import check_newsletter, has_errors
    from brief.content import load_newsletter

    settings = _settings(ctx)
    findings = check_newsletter(load_newsletter(settings), settings, week)
    for finding in findings:
        click.echo(finding.format(Path.cwd()))
    errors = sum(f.level == "error" for f in findings)
    warnings = len(findings) - errors
    click.echo(f"{errors} errors, {warnings} warnings", err=True)
    if has_errors(findings):
        sys.exit(1)


def main() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    cli(prog_name="brief")
