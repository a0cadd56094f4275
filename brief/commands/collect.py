"""Collecting: `brief scrape` and `brief sources`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from brief.commands.options import db_option, settings_of
from brief.ground.errors import BriefError
from brief.ground.paths import display_path
from brief.ground.terminal import echo, plural

if TYPE_CHECKING:
    pass


@click.command()
@click.option(
    "--feeds",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Feeds file (default: feeds.toml).",
)
@db_option
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
    from brief.ground.progress import ScrapeProgress, print_scrape_summary
    from scrapers.entities import EntityTagger, load_entities
    from scrapers.relevance import load_rules
    from scrapers.scrape import scrape as run_scrape
    from scrapers.sources import load_sources
    from scrapers.storage import open_store

    settings = settings_of(ctx)
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


@click.group(invoke_without_command=True)
@db_option
@click.option("--json", "as_json", is_flag=True, help="Print JSON for scripts.")
@click.option("--resume", metavar="NAME", help="Un-pause a source and forget its back-off.")
@click.pass_context
def sources(ctx: click.Context, db: Path | None, as_json: bool, resume: str | None) -> None:
    """How each source fared: status, last success, failures and why. `brief sources import
    FILE.opml` adds a feed reader's list; `brief sources export` writes ours as OPML."""
    if ctx.invoked_subcommand is not None:
        return
    from scrapers.storage import open_store

    settings = settings_of(ctx)
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
    from brief.ground.progress import print_sources

    print_sources(states, settings.timezone)


@sources.command("import")
@click.argument("opml", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--allow-internal",
    is_flag=True,
    help="Also add feeds on localhost or a private network (refused by default: an OPML file"
    " from elsewhere could point the scraper at this machine's own services).",
)
@click.pass_context
def sources_import(ctx: click.Context, opml: Path, allow_internal: bool) -> None:
    """Add the feeds of an OPML file to feeds.toml (those already there are skipped)."""
    from brief.desk.opml import import_opml

    settings = settings_of(ctx)
    result = import_opml(opml, settings.feeds, allow_internal=allow_internal)
    for feed in result.added:
        echo(f"added: {feed.name} <{feed.url}>")
    for feed in result.known:
        echo(f"already there: {feed.name} <{feed.url}>", err=True)
    for note in result.skipped:
        echo(f"skipped: {note}", err=True)
    echo(
        f"{plural(len(result.added), 'feed')} added to {display_path(settings.feeds)},"
        f" {len(result.known)} already there, {len(result.skipped)} skipped"
    )


@sources.command("export")
@click.option(
    "-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
    help="Write the OPML to this file (default: print it).",
)  # fmt: skip
@click.pass_context
def sources_export(ctx: click.Context, output: Path | None) -> None:
    """Write the sources of feeds.toml as OPML 2.0, for a feed reader."""
    from brief.desk.opml import export_opml
    from scrapers.sources import load_sources

    settings = settings_of(ctx)
    text = export_opml(load_sources(settings.feeds), f"{settings.sitename}: sources")
    if output is None:
        click.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    echo(f"wrote {display_path(output)}")
