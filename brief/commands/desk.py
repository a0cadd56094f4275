"""The desk: `brief triage`, `accept`, `reject`, `shortlist`, `unaccept`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from brief.commands.options import (
    ID,
    Number,
    db_option,
    now,
    report,
    settings_of,
    since_moment,
    who,
)
from brief.ground.errors import ContentError
from brief.ground.paths import display_path
from brief.ground.terminal import echo, plural

if TYPE_CHECKING:
    from brief.desk.queue import TriageStatus
    from scrapers.records import Action


STATUS_CHOICES = ["new", "shortlisted", "accepted", "rejected", "all"]


@click.command()
@db_option
@click.option(
    "--limit",
    type=click.IntRange(1, 100_000),
    default=30,
    show_default=True,
    help="Show at most this many stories.",
)
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
@click.option("--min-score", type=Number(0, 1), help="Only scores at least this.")
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
    from brief.desk.queue import Queue, QueueFilter, UnknownEntity
    from brief.desk.triage import explain_text, print_table, run_interactive
    from scrapers.storage import open_store

    settings = settings_of(ctx)
    if section is not None and section not in settings.sections:
        raise click.BadParameter(
            f"choose one of: {', '.join(settings.sections)}", param_hint="--section"
        )
    store_path = db or settings.db
    with open_store(store_path) as store:
        queue = Queue(store, settings, store_path.parent)
        if queue.notice:
            click.echo(f"note: {queue.notice}", err=True)
        if explain is not None:
            echo(explain_text(queue.row(explain, now())))
            return
        try:
            company = queue.entity(entity) if entity is not None else None
        except UnknownEntity as err:
            raise click.BadParameter(str(err), param_hint="--entity") from None
        chosen = QueueFilter(
            status, search=search, section=section, entity=company, source=source,
            since=since_moment(since), min_score=min_score, limit=limit,
        )  # fmt: skip
        rows = queue.rows(chosen, now())
        if interactive:
            run_interactive(store, rows, settings, queue.entities, who(), now)
            return
    if as_json:
        echo(json.dumps([r.as_json() for r in rows], ensure_ascii=False, indent=2))
    elif not rows:
        echo("Nothing to triage here: run `brief scrape`, or loosen the filters.")
    else:
        print_table(rows)


# -- decisions ---------------------------------------------------------------------------------


@click.command()
@click.argument("ids", nargs=-1, required=True, type=ID)
@click.option("--section", help="Section of the new articles (default: guessed).")
@db_option
@click.pass_context
def accept(ctx: click.Context, ids: tuple[int, ...], section: str | None, db: Path | None) -> None:
    """Write each candidate as a draft article under content/articles/ and print its path."""
    from brief.desk.decisions import accept as accept_candidates
    from scrapers.entities import load_entities
    from scrapers.storage import open_store

    settings = settings_of(ctx)
    if section is not None and section not in settings.sections:
        raise click.BadParameter(
            f"{section!r} is not a section; choose one of: {', '.join(settings.sections)}",
            param_hint="--section",
        )
    entities = load_entities(settings.entities)
    with open_store(db or settings.db) as store:
        outcomes = accept_candidates(store, ids, settings, entities, now(), section, who())
    report(outcomes, lambda o: str(o.path))


def _decision_command(name: str, action: Action, summary: str) -> click.Command:
    @click.command(name=name, help=summary)
    @click.argument("ids", nargs=-1, required=True, type=ID)
    @db_option
    @click.pass_context
    def command(ctx: click.Context, ids: tuple[int, ...], db: Path | None) -> None:
        from brief.desk.decisions import decide
        from scrapers.storage import open_store

        settings = settings_of(ctx)
        with open_store(db or settings.db) as store:
            outcomes = decide(store, ids, action, now(), who())
        report(outcomes, lambda o: f"#{o.story_id} {action}")

    return command


@click.command()
@click.argument("ids", nargs=-1, type=ID)
@click.option(
    "--below", type=Number(0, 1), metavar="SCORE",
    help="Reject every undecided story scoring under SCORE (shortlisted ones stay).",
)  # fmt: skip
@click.option("--older-than", metavar="Nd|DATE", help="With --below: only stories older than this.")
@click.option("--source", help="With --below: only stories from this feed or outlet.")
@db_option
@click.pass_context
def reject(
    ctx: click.Context,
    ids: tuple[int, ...],
    below: float | None,
    older_than: str | None,
    source: str | None,
    db: Path | None,
) -> None:
    """Mark candidates rejected: they leave the triage queue. With --below, reject in bulk;
    `brief undo` takes the whole batch back."""
    from brief.desk.decisions import decide, reject_below
    from scrapers.storage import open_store

    if bool(ids) == (below is not None):
        raise click.UsageError("give candidate IDs, or --below SCORE (not both)")
    if below is None and (older_than or source):
        raise click.UsageError("--older-than and --source go with --below")
    settings = settings_of(ctx)
    with open_store(db or settings.db) as store:
        if below is None:
            outcomes = decide(store, ids, "rejected", now(), who())
            report(outcomes, lambda o: f"#{o.story_id} rejected")
            return
        cutoff = since_moment(older_than) if older_than else None
        rejected = reject_below(store, below, now(), who(), cutoff, source)
    echo(f"rejected {plural(len(rejected), 'story')} scoring under {below:.2f}" + (
        "; `brief undo` takes them all back" if rejected else ""
    ))  # fmt: skip


@click.command()
@db_option
@click.pass_context
def undo(ctx: click.Context, db: Path | None) -> None:
    """Take back the latest decision, or the whole batch it was part of (a bulk reject)."""
    from brief.desk.decisions import undo_last
    from scrapers.storage import open_store

    settings = settings_of(ctx)
    with open_store(db or settings.db) as store:
        restored, problems = undo_last(store, settings, now(), who())
    for problem in problems:
        echo(f"brief: error: {problem}", err=True)
    if not restored and not problems:
        echo("Nothing to undo.")
    elif restored:
        count = len(restored)
        ids = ", ".join(f"#{i}" for i in restored[:10]) + (" ..." if count > 10 else "")
        echo(f"undone: {plural(count, 'decision')} ({ids})")
    if problems:
        raise SystemExit(1)


shortlist = _decision_command(
    "shortlist", "shortlisted", "Shortlist candidates: they stay undecided, listed first."
)


@click.command()
@click.argument("ids", nargs=-1, required=True, type=ID)
@db_option
@click.pass_context
def unaccept(ctx: click.Context, ids: tuple[int, ...], db: Path | None) -> None:
    """Undo an accept: delete the draft, only if nobody edited it, and requeue the story."""
    from brief.desk.decisions import unaccept as unaccept_candidates
    from scrapers.storage import open_store

    settings = settings_of(ctx)
    with open_store(db or settings.db) as store:
        outcomes = unaccept_candidates(store, ids, settings, now(), who())
    report(outcomes, lambda o: f"deleted {o.path}; #{o.story_id} is back in the queue")


@click.group()
def relevance() -> None:
    """The relevance model: learn from the editor's own decisions."""


@relevance.command("train")
@click.option(
    "--force", is_flag=True, help="Switch the model on even if it did not beat the rules."
)
@db_option
@click.pass_context
def relevance_train(ctx: click.Context, force: bool, db: Path | None) -> None:
    """Fit a model on your decisions (accepted and shortlisted against rejected), judged
    forward in time: fitted on the decisions about older stories, measured on the later
    ones against the rules alone. It is saved under data/ and switched on only if its blend
    with the rules ranks the later decisions better by 0.02 of average precision (or with
    --force). `brief triage --explain ID` then shows what moved a story most."""
    from brief.desk.learn import MIN_GAIN, current_model, train
    from scrapers.relevance import load_rules
    from scrapers.storage import open_store

    settings = settings_of(ctx)
    weight = load_rules(settings.relevance).ranking.model
    store_path = db or settings.db
    with open_store(store_path) as store:
        report = train(store, store_path.parent, weight, force)
    negatives = report.decisions - report.positives
    echo(
        f"Trained on {report.decisions} decisions ({report.positives} accepted or shortlisted,"
        f" {negatives} rejected) in {report.seconds:.1f} s."
    )
    since = f" published from {report.since:%Y-%m-%d}" if report.since else ""
    positives = report.held_out_positives
    echo(
        f"Forward in time: fitted on the {report.trained_on} older decisions, measured on the"
        f" {report.held_out} later ones{since} ({positives} kept, {report.held_out - positives}"
        " rejected)."
    )
    echo("Average precision on the later decisions (95% bootstrap interval):")
    echo(f"  rules alone        {report.rules}")
    echo(f"  model alone        {report.model}")
    echo(f"  blend (model {report.weight:.2f})  {report.blend}")
    echo(f"  blend - rules      {report.gain:+.3f} (needed: {MIN_GAIN:+.2f})")
    if report.too_small:
        echo(
            f"Only {plural(report.held_out, 'later decision')}: too few for these figures to"
            " mean much. Keep deciding, and train again."
        )
    if not report.saved:
        kept = (
            f"triage keeps the model already in {display_path(report.path)}"
            if current_model(report.path.parent)
            else "triage keeps ranking by the rules alone"
        )
        raise ContentError(
            f"the blend did not rank the later decisions better than the rules alone (by"
            f" {MIN_GAIN:.2f} of average precision), so the new model was not switched on;"
            f" {kept} (--force switches it on anyway)"
        )
    echo(
        f"Saved {display_path(report.path)}; triage now blends the rules and the model"
        " (`model` in [ranking] of relevance.toml; 0 turns the model off)."
    )
