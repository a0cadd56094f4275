"""The editor's desk: deciding on stories (accept, reject, shortlist, unaccept).

Accepting writes a draft; nothing here renders a digest or checks an issue
(see `brief.desk.publishing`)."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from brief.content.articles import article_path, article_slug, render_article
from brief.content.files import content_writer, load_newsletter
from brief.desk.queue import guess_section
from brief.ground.errors import BriefError, ContentError
from brief.ground.paths import under
from brief.ground.settings import Settings
from scrapers.clean import SLUG_MAX
from scrapers.entities import Entity, load_entities
from scrapers.figures import story_figures
from scrapers.records import Action, Decision, Story
from scrapers.storage import Store, store_error

# What accept proposes for the editor to review: `brief check` warns until they have.
PROPOSED = ("dek", "figures")


@dataclass(frozen=True)
class Outcome:
    """What happened to one candidate of a batch: a path, or why nothing was written."""

    story_id: int
    path: Path | None = None
    error: BriefError | None = None
    note: str = ""
    warnings: tuple[str, ...] = ()  # said beside the path, which is still the result


# What an editor saw of a story when they chose (its latest decision's time, or None when
# it had none): another editor's decision since then wins, and the editor is told whose.
Seen = Mapping[int, datetime | None]


class DecidedMeanwhile(BriefError):
    """Another editor decided the story after this editor saw it."""


def _meanwhile(story: Story, seen: Seen | None) -> DecidedMeanwhile | None:
    if seen is None or story.id not in seen or seen[story.id] == story.decided_at:
        return None
    what: str = "shortlisted" if story.shortlisted else story.status
    if story.status == "new" and not story.shortlisted:
        what = "put back in the queue"
    by = story.decided_by or "someone"
    at = f"{story.decided_at:%Y-%m-%d %H:%M} UTC" if story.decided_at else "just now"
    return DecidedMeanwhile(
        f"#{story.id} was {what} by {by} at {at}, after you opened it; nothing was changed"
    )


def accept(
    store: Store,
    ids: Sequence[int],
    settings: Settings,
    entities: Sequence[Entity],
    now: datetime,
    section: str | None = None,
    who: str = "",
    seen: Seen | None = None,
) -> list[Outcome]:
    """Write a draft per candidate; already accepted ones are left alone, with a reason
    (and, given what the editor `seen`, ones another editor decided since)."""
    outcomes = []
    existing = load_newsletter(settings).articles
    taken = set(existing)
    by_link = {article.link: article.path for article in existing.values() if article.link}
    writer = content_writer(settings)
    for story_id in ids:
        story = store.stories.get(story_id)
        if story is None:
            outcomes.append(Outcome(story_id, error=BriefError(f"no candidate #{story_id}")))
            continue
        if (meanwhile := _meanwhile(story, seen)) is not None:
            outcomes.append(Outcome(story_id, error=meanwhile))
            continue
        if story.status == "accepted" and story.article_path:
            note = "already accepted; its file is left as it is"
            outcomes.append(Outcome(story_id, path=Path(story.article_path), note=note))
            continue
        links = {story.link, *(s.link for s in story.sources)}
        known = next((by_link[link] for link in links if link in by_link), None)
        if known is not None:
            with store.transaction():
                store.decisions.record(
                    story_id, "accepted", now, who, str(under(known, settings.root))
                )
            note = "already has an article file; left as it is"
            outcomes.append(Outcome(story_id, path=under(known, settings.root), note=note))
            continue
        slug = _free_slug(article_slug(story.title), taken)
        path = article_path(settings.content, story.published, slug)
        chosen = section or guess_section(story, entities, settings)
        try:
            found = story_figures(story.title, story.summary_text or "")
            text = render_article(story, chosen, slug, settings.timezone, found)
            writer.create(path, text, proposed=PROPOSED)
        except ContentError as err:
            outcomes.append(Outcome(story_id, error=err))
            continue
        taken.add(slug)
        relative = under(path, settings.root)
        try:
            with store.transaction():
                store.decisions.record(story_id, "accepted", now, who, str(relative))
        except sqlite3.Error as err:
            # The store cannot record the decision: take the new draft back, so content/,
            # the ledger and the store still agree, and stop (the next ones would fail too).
            writer.delete_untouched(path, "delete it by hand")
            raise store_error(store.path, err) from err
        doubts = dict.fromkeys(f"figure left out: {f.doubt}" for f in found if f.doubt)
        outcomes.append(Outcome(story_id, path=relative, warnings=tuple(doubts)))
    return outcomes


def decide(
    store: Store,
    ids: Sequence[int],
    action: Action,
    now: datetime,
    who: str = "",
    seen: Seen | None = None,
) -> list[Outcome]:
    """Reject, shortlist or put back (`new`) candidates; accepted ones need `unaccept`.
    Given what the editor `seen`, a story another editor decided since is left alone."""
    outcomes = []
    with store.transaction():
        for story_id in ids:
            story = store.stories.get(story_id)
            if story is None:
                outcomes.append(Outcome(story_id, error=BriefError(f"no candidate #{story_id}")))
            elif (meanwhile := _meanwhile(story, seen)) is not None:
                outcomes.append(Outcome(story_id, error=meanwhile))
            elif story.status == "accepted":
                error = BriefError(
                    f"candidate #{story_id} is accepted as {story.article_path};"
                    f" run `brief unaccept {story_id}` first"
                )
                outcomes.append(Outcome(story_id, error=error))
            else:
                store.decisions.record(story_id, action, now, who)
                outcomes.append(Outcome(story_id))
    return outcomes


def unaccept(
    store: Store, ids: Sequence[int], settings: Settings, now: datetime, who: str = ""
) -> list[Outcome]:
    """Delete the drafts of accepted candidates, but only drafts nobody edited."""
    outcomes = []
    writer = content_writer(settings)
    for story_id in ids:
        story = store.stories.get(story_id)
        if story is None or story.status != "accepted" or not story.article_path:
            error = BriefError(f"candidate #{story_id} is not accepted")
            outcomes.append(Outcome(story_id, error=error))
            continue
        path = settings.root / story.article_path
        draft = None
        if path.exists():
            try:
                draft = writer.delete_untouched(
                    path, "delete it yourself if you really want it gone, then unaccept again"
                )
            except ContentError as err:
                outcomes.append(Outcome(story_id, error=err))
                continue
        with store.transaction():
            store.decisions.record(
                story_id, "new", now, who, article_path=story.article_path, draft=draft
            )
        outcomes.append(Outcome(story_id, path=Path(story.article_path)))
    return outcomes


def _free_slug(slug: str, taken: set[str]) -> str:
    story, number = slug, 2
    while story in taken:
        suffix = f"-{number}"
        story, number = f"{slug[: SLUG_MAX - len(suffix)].rstrip('-')}{suffix}", number + 1
    return story


def undo_last(
    store: Store, settings: Settings, now: datetime, who: str = "", mine: bool = False
) -> tuple[list[int], list[str]]:
    """Take back the latest decision, or its whole batch: (candidates restored, problems).
    `mine`: the latest of `who`'s own (on the web desk, where several editors decide)."""
    restored: list[int] = []
    problems: list[str] = []
    for decision in store.decisions.last_batch(by=who if mine else None):
        try:
            undo_decision(store, settings, decision, now, who)
        except BriefError as err:
            problems.append(f"#{decision.story_id}: {err}")
            continue
        restored.append(decision.story_id)
    return restored, problems


def undo_decision(
    store: Store, settings: Settings, decision: Decision, now: datetime, who: str = ""
) -> None:
    """Put a story back exactly as it was before `decision`: status, shortlist mark, author
    and time of the decision before; and its draft. An accept is undone like `unaccept` (the
    draft deleted, only if untouched); an unaccept is undone by writing back the draft it
    deleted, so the story is accepted with its file again. BriefError says why not."""
    if decision.action == "accepted":
        (outcome,) = unaccept(store, [decision.story_id], settings, now, who)
        if outcome.error is not None:
            raise outcome.error
        with store.transaction():
            # unaccept logged its own "back to the queue": forget it, then the accept.
            back = store.decisions.last(decision.story_id)
            if back is not None and back.action == "new":
                store.decisions.forget(back)
            store.decisions.undo(decision)
        return
    if decision.status_before == "accepted" and decision.article_path:
        _restore_draft(store, settings, decision)
    with store.transaction():
        store.decisions.undo(decision)


def _restore_draft(store: Store, settings: Settings, decision: Decision) -> None:
    """The draft an unaccept deleted, written back (a file now at its place is kept)."""
    assert decision.article_path is not None
    path = settings.root / decision.article_path
    if path.exists():
        return
    text = decision.draft
    if text is None:  # an unaccept from before drafts were kept: write it anew
        story = store.stories.get(decision.story_id)
        if story is None:
            raise BriefError(f"no candidate #{decision.story_id}")
        section = guess_section(story, load_entities(settings.entities), settings)
        text = render_article(story, section, path.stem, settings.timezone)
    content_writer(settings).create(path, text)


def reject_below(
    store: Store,
    below: float,
    now: datetime,
    who: str = "",
    older_than: datetime | None = None,
    source: str | None = None,
) -> list[int]:
    """Reject every undecided, not shortlisted candidate scoring under `below` (published
    before `older_than`, from `source`, when given), as one batch; the ids rejected."""
    batch = f"reject-below-{below}-{now.isoformat()}"
    ids = store.stories.undecided_below(below, older_than, source)
    with store.transaction():
        for story_id in ids:
            store.decisions.record(story_id, "rejected", now, who, batch=batch)
    return ids
