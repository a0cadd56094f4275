"""Stories: new candidates stored (copies of a known story joining its cluster), and the
queries triage asks, best first."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial

from scrapers.clean import canonical_url
from scrapers.cluster import (
    CLUSTER_WINDOW,
    EVENT_COMPARED,
    EVENT_WINDOW,
    TEXT_WORDS,
    EventNeighbour,
    Neighbourhood,
    band_keys,
    event_keys,
    find_copy,
    is_band,
    title_key,
    words,
)
from scrapers.records import AddResult, Candidate, Copy, Status, Story
from scrapers.storage.rows import chunks, date, marks, optional_date


@dataclass(frozen=True)
class StoryQuery:
    """What triage asks for; every filter given must hold."""

    statuses: Sequence[Status] = ("new",)
    search: str | None = None
    shortlisted: bool | None = None
    source: str | None = None
    entity: str | None = None
    since: datetime | None = None
    min_score: float | None = None


@dataclass(frozen=True)
class RankFacts:
    """A story as the queue ranks it (and guesses its section), read in one row."""

    id: int
    score: float
    published_text: str
    shortlisted_flag: int
    section: str | None
    about_json: str
    entities_json: str
    copies: int  # outlets that ran it

    @property
    def published(self) -> datetime:
        return date(self.published_text)

    @property
    def shortlisted(self) -> bool:
        return bool(self.shortlisted_flag)

    @property
    def about(self) -> tuple[str, ...]:
        return tuple(json.loads(self.about_json))

    @property
    def entities(self) -> tuple[str, ...]:
        return tuple(json.loads(self.entities_json))


def _where(query: StoryQuery) -> tuple[str, list[object]]:
    """The WHERE clause (and its parameters) of what triage asks for."""
    params: list[object] = list(query.statuses)
    sql = f"status IN ({marks(len(query.statuses))})"
    if query.search:
        sql += " AND id IN (SELECT rowid FROM candidates_fts WHERE candidates_fts MATCH ?)"
        params.append(fts_query(query.search))
    if query.shortlisted is not None:
        sql += " AND shortlisted = ?"
        params.append(int(query.shortlisted))
    if query.source:
        sql += " AND id IN (SELECT candidate_id FROM copies WHERE source = ? COLLATE NOCASE)"
        params.append(query.source)
    if query.entity:
        sql += " AND EXISTS (SELECT 1 FROM json_each(entities) WHERE value = ? COLLATE NOCASE)"
        params.append(query.entity)
    if query.since is not None:
        sql += " AND published >= ?"
        params.append(query.since.astimezone(UTC).isoformat())
    if query.min_score is not None:
        sql += " AND score >= ?"
        params.append(query.min_score)
    return sql, params


class Stories:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    # -- ingest ----------------------------------------------------------------------------

    def add(self, candidates: Iterable[Candidate]) -> AddResult:
        """Store new stories; a copy of a known story joins that story's cluster.

        Works on the batch as a whole (one source's items, typically): a handful of
        queries per batch rather than several per item.
        """
        batch = list(candidates)
        known = self._known(batch)
        title_words = [words(title_key(c.title)) for c in batch]
        all_keys = [
            band_keys(w) + event_keys(c.title, c.summary_text)
            for c, w in zip(batch, title_words, strict=True)
        ]
        near = self._neighbourhood(batch, all_keys)
        new = seen = clustered = 0
        copies: list[tuple[int, Candidate]] = []
        # Full-text rows are written at the end; a story promoted before then is updated here.
        search_rows: dict[int, tuple[str, str]] = {}
        for candidate, its_words, keys in zip(batch, title_words, all_keys, strict=True):
            if candidate.canonical_url in known or candidate.guid in known:
                seen += 1
                continue
            known |= {candidate.canonical_url, candidate.guid}
            text_words = words(candidate.summary_text, TEXT_WORDS)
            story = find_copy(
                its_words,
                text_words,
                keys,
                candidate.published,
                near,
                partial(self._events, keys, candidate.published),
                candidate.title,
                candidate.summary_text,
            )
            if story is not None:
                copies.append((story, candidate))
                if self._promote_if_first(story, candidate, indexed=story not in search_rows):
                    search_rows[story] = (candidate.title, candidate.summary_text)
                clustered += 1
                seen += 1
                continue
            published = candidate.published.isoformat()
            text = " ".join(sorted(text_words))
            story_id = self._insert(candidate, text)
            bands = [key for key in keys if is_band(key)]  # event keys are asked of the store
            near.add(story_id, published, bands, title_key(candidate.title), text)
            # Written at once: the next items of the batch look for event keys in the store.
            self._db.executemany(
                "INSERT INTO cluster_keys (key, candidate_id, published) VALUES (?, ?, ?)",
                [(key, story_id, published) for key in keys],
            )
            copies.append((story_id, candidate))
            search_rows[story_id] = (candidate.title, candidate.summary_text)
            new += 1
        self._db.executemany(
            "INSERT INTO candidates_fts (rowid, title, summary_text) VALUES (?, ?, ?)",
            [(sid, title, text) for sid, (title, text) in search_rows.items()],
        )
        self._db.executemany(
            "INSERT INTO copies (candidate_id, source, link, canonical_url, published, outlet)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (sid, c.source, c.link, c.canonical_url, c.published.isoformat(), c.outlet)
                for sid, c in copies
            ],
        )
        # The aggregator's link a publisher's was found from: a copy too, so the aggregator
        # is credited, and the next scrape knows the item without following it again.
        self._db.executemany(
            "INSERT OR IGNORE INTO copies (candidate_id, source, link, canonical_url,"
            " published, outlet) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (sid, c.source, c.via, canonical_url(c.via), c.published.isoformat(), c.outlet)
                for sid, c in copies
                if c.via
            ],
        )
        return AddResult(new, seen, clustered)

    def _insert(self, candidate: Candidate, text_words: str) -> int:
        columns = _story_columns(candidate)
        cursor = self._db.execute(
            f"""INSERT INTO candidates ({", ".join(columns)}, fetched, date_flag, section,
                   text_words) VALUES ({marks(len(columns) + 4)})""",
            (
                *columns.values(),
                candidate.fetched.isoformat(),
                candidate.date_flag,
                candidate.section,
                text_words,
            ),
        )
        assert cursor.lastrowid is not None  # always set after an INSERT
        return cursor.lastrowid

    def _known(self, batch: list[Candidate]) -> set[str]:
        """The batch's canonical URLs and GUIDs that the store already has."""
        found: set[str] = set()
        for chunk in chunks(batch):
            found |= {
                row[0]
                for row in self._db.execute(
                    "SELECT canonical_url FROM copies"
                    f" WHERE canonical_url IN ({marks(len(chunk))})",
                    [c.canonical_url for c in chunk],
                )
            }
            found |= {
                row[0]
                for row in self._db.execute(
                    f"SELECT guid FROM candidates WHERE guid IN ({marks(len(chunk))})",
                    [c.guid for c in chunk],
                )
            }
        return found

    def _neighbourhood(self, batch: list[Candidate], batch_keys: list[list[str]]) -> Neighbourhood:
        """Stored stories sharing a title band key with the batch, within the window."""
        near = Neighbourhood()
        keys = sorted({k for ks in batch_keys for k in ks if is_band(k)})
        if not keys:
            return near
        low = (min(c.published for c in batch) - CLUSTER_WINDOW).isoformat()
        high = (max(c.published for c in batch) + CLUSTER_WINDOW).isoformat()
        for chunk in chunks(keys):
            rows = self._db.execute(
                f"""SELECT k.candidate_id, group_concat(k.key, ' '), k.published,
                           c.title_key, c.text_words
                    FROM cluster_keys k JOIN candidates c ON c.id = k.candidate_id
                    WHERE k.key IN ({marks(len(chunk))}) AND k.published BETWEEN ? AND ?
                    GROUP BY k.candidate_id""",
                (*chunk, low, high),
            )
            for story_id, found, published, title, text in rows:
                near.add(story_id, published, found.split(), title, text)
        return near

    def _events(self, keys: list[str], published: datetime) -> list[EventNeighbour]:
        """The EVENT_COMPARED stories sharing the most event keys with an item, within
        EVENT_WINDOW (SQLite counts and chooses; only those few rows are read)."""
        event = [key for key in keys if not is_band(key)]
        if not event:
            return []
        rows = self._db.execute(
            f"""SELECT n.candidate_id, c.title_key, c.text_words, c.title, c.summary_text,
                       n.numbers
                FROM (SELECT candidate_id, count(*) AS shared,
                             sum(key LIKE 'n:%') AS numbers FROM cluster_keys
                      WHERE key IN ({marks(len(event))}) AND published BETWEEN ? AND ?
                      GROUP BY candidate_id
                      ORDER BY shared DESC, candidate_id DESC
                      LIMIT ?) AS n
                JOIN candidates c ON c.id = n.candidate_id
                ORDER BY n.shared DESC, n.candidate_id DESC""",
            (
                *event,
                (published - EVENT_WINDOW).isoformat(),
                (published + EVENT_WINDOW).isoformat(),
                EVENT_COMPARED,
            ),
        ).fetchall()
        return [
            EventNeighbour(sid, title_key, text_words, title, text, numbers > 0)
            for sid, title_key, text_words, title, text, numbers in rows
        ]

    def _promote_if_first(self, story_id: int, candidate: Candidate, indexed: bool) -> bool:
        """The copy published first speaks for an undecided story, whatever the fetch order.

        True when the story was promoted; its full-text entry is rewritten here when it
        is `indexed` already, else the caller writes the new one.
        """
        row = self._db.execute(
            "SELECT title, summary_text, published, status FROM candidates WHERE id = ?",
            (story_id,),
        ).fetchone()
        if row["status"] != "new" or date(row["published"]) <= candidate.published:
            return False
        if indexed:
            self._db.execute(
                "INSERT INTO candidates_fts (candidates_fts, rowid, title, summary_text)"
                " VALUES ('delete', ?, ?, ?)",
                (story_id, row["title"], row["summary_text"]),
            )
            self._db.execute(
                "INSERT INTO candidates_fts (rowid, title, summary_text) VALUES (?, ?, ?)",
                (story_id, candidate.title, candidate.summary_text),
            )
        columns = _story_columns(candidate)
        assignments = ", ".join(
            "score = MAX(score, ?)" if column == "score" else f"{column} = ?" for column in columns
        )
        self._db.execute(
            f"UPDATE candidates SET {assignments} WHERE id = ?", (*columns.values(), story_id)
        )
        return True

    # -- queries ---------------------------------------------------------------------------

    def find(self, query: StoryQuery, limit: int | None = None) -> Iterator[Story]:
        """Stories matching the query, best first (shortlist, score, newest), read lazily."""
        where, params = _where(query)
        sql = f"SELECT * FROM candidates WHERE {where}"
        sql += " ORDER BY shortlisted DESC, score DESC, published DESC, id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        for row in self._db.execute(sql, params).fetchall():
            yield self._story(row)

    def rank_facts(self, query: StoryQuery) -> list[RankFacts]:
        """What the queue ranks each matching story by, without reading whole stories: the
        queue ranks 10,000 of these, then reads the page it shows."""
        where, params = _where(query)
        rows = self._db.execute(
            "SELECT id, score, published, shortlisted, section, about, entities, (SELECT"
            " COUNT(DISTINCT CASE WHEN outlet != '' THEN outlet ELSE source END) FROM copies"
            f" WHERE candidate_id = candidates.id) FROM candidates WHERE {where}",
            params,
        )
        return [RankFacts(*row) for row in rows]

    def by_ids(self, ids: Sequence[int]) -> list[Story]:
        """These stories, in this order (ids not stored are left out)."""
        found: dict[int, Story] = {}
        for chunk in chunks(ids):
            rows = self._db.execute(
                f"SELECT * FROM candidates WHERE id IN ({marks(len(chunk))})", list(chunk)
            )
            for row in rows.fetchall():
                found[row["id"]] = self._story(row)
        return [found[i] for i in ids if i in found]

    def undecided_below(
        self, below: float, older_than: datetime | None = None, source: str | None = None
    ) -> list[int]:
        """Ids of new, not shortlisted stories scoring under `below`; optionally published
        before `older_than` and run by `source` (a feed's name or an outlet's)."""
        sql = "SELECT id FROM candidates WHERE status = 'new' AND shortlisted = 0 AND score < ?"
        params: list[object] = [below]
        if older_than is not None:
            sql += " AND published < ?"
            params.append(older_than.astimezone(UTC).isoformat())
        if source:
            sql += (
                " AND (outlet = ? COLLATE NOCASE OR id IN (SELECT candidate_id FROM copies"
                " WHERE source = ? COLLATE NOCASE OR outlet = ? COLLATE NOCASE))"
            )
            params += [source, source, source]
        return [row[0] for row in self._db.execute(sql + " ORDER BY id", params)]

    def decided(self) -> list[tuple[Story, int]]:
        """Every story the editor decided, with 1 if accepted or shortlisted else 0, oldest
        story first: what a relevance model learns from."""
        rows = self._db.execute(
            "SELECT *, CASE WHEN status = 'accepted' OR shortlisted = 1 THEN 1 ELSE 0 END AS kept"
            " FROM candidates WHERE status IN ('accepted', 'rejected') OR shortlisted = 1"
            " ORDER BY published, id"
        )
        return [(self._story(row), row["kept"]) for row in rows.fetchall()]

    def model_scores(self, ids: Sequence[int], model: str) -> dict[int, float]:
        """Cached scores of `model` for these stories (those it has scored)."""
        found: dict[int, float] = {}
        for chunk in chunks(ids):
            rows = self._db.execute(
                f"SELECT candidate_id, score FROM model_scores WHERE model = ?"
                f" AND candidate_id IN ({marks(len(chunk))})",
                [model, *chunk],
            )
            found.update({row[0]: row[1] for row in rows})
        return found

    def save_model_scores(self, model: str, pairs: Sequence[tuple[int, float]]) -> None:
        self._db.execute("DELETE FROM model_scores WHERE model != ?", (model,))
        self._db.executemany(
            "INSERT OR REPLACE INTO model_scores (candidate_id, model, score) VALUES (?, ?, ?)",
            [(candidate_id, model, score) for candidate_id, score in pairs],
        )

    def mentions(
        self, since: datetime, until: datetime, min_score: float = 0.0
    ) -> Iterator[tuple[datetime, list[str]]]:
        """(published, entity names) of every story published in [since, until) that was
        not rejected and scored at least `min_score`: a cluster of copies is one story, so
        it counts once."""
        rows = self._db.execute(
            "SELECT published, entities FROM candidates WHERE published >= ? AND published < ?"
            " AND status != 'rejected' AND score >= ?",
            (since.astimezone(UTC).isoformat(), until.astimezone(UTC).isoformat(), min_score),
        )
        for published, entities in rows:
            yield date(published), json.loads(entities)

    def known_links(self, links: Sequence[str]) -> set[str]:
        """The links (as given) whose canonical URL the store already has as a copy."""
        by_canonical = {canonical_url(link): link for link in links}
        found: set[str] = set()
        keys = list(by_canonical)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            rows = self._db.execute(
                f"SELECT canonical_url FROM copies WHERE canonical_url IN ({marks(len(chunk))})",
                chunk,
            )
            found |= {by_canonical[row[0]] for row in rows}
        return found

    def resolved(self, links: Sequence[str]) -> dict[str, tuple[str | None, str | None]]:
        """What earlier scrapes found behind aggregators' links: link -> (target, error)."""
        found: dict[str, tuple[str | None, str | None]] = {}
        for start in range(0, len(links), 500):
            chunk = list(links[start : start + 500])
            rows = self._db.execute(
                "SELECT link, target, error FROM resolved_links"
                f" WHERE link IN ({marks(len(chunk))})",
                chunk,
            )
            found |= {link: (target, error) for link, target, error in rows}
        return found

    def remember_resolved(
        self, answers: Iterable[tuple[str, str | None, str | None]], now: datetime
    ) -> None:
        self._db.executemany(
            "INSERT OR REPLACE INTO resolved_links (link, target, error, resolved_at)"
            " VALUES (?, ?, ?, ?)",
            [(link, target, error, now.isoformat()) for link, target, error in answers],
        )

    def collecting_since(self) -> datetime | None:
        """When the store fetched its first story (None when it has none)."""
        first = self._db.execute("SELECT MIN(fetched) FROM candidates").fetchone()[0]
        return date(first) if first else None

    def get(self, story_id: int) -> Story | None:
        row = self._db.execute("SELECT * FROM candidates WHERE id = ?", (story_id,)).fetchone()
        return self._story(row) if row else None

    def _story(self, row: sqlite3.Row) -> Story:
        copies = self._db.execute(
            "SELECT source, link, published, outlet FROM copies WHERE candidate_id = ?"
            " ORDER BY published, rowid",
            (row["id"],),
        )
        return Story(
            id=row["id"],
            title=row["title"],
            link=row["link"],
            canonical_url=row["canonical_url"],
            source=row["source"],
            published=date(row["published"]),
            fetched=date(row["fetched"]),
            summary_html=row["summary_html"],
            summary_text=row["summary_text"],
            summary_cut=bool(row["summary_cut"]),
            link_note=row["link_note"],
            score=row["score"],
            entities=tuple(json.loads(row["entities"])),
            about=tuple(json.loads(row["about"])),
            guid=row["guid"],
            signals=tuple(json.loads(row["signals"])),
            date_flag=row["date_flag"],
            section=row["section"],
            status=row["status"],
            article_path=row["article_path"],
            shortlisted=bool(row["shortlisted"]),
            decided_by=row["decided_by"],
            decided_at=optional_date(row["decided_at"]),
            sources=tuple(Copy(s, link, date(p), outlet) for s, link, p, outlet in copies),
            outlet=row["outlet"],
        )


def _story_columns(candidate: Candidate) -> dict[str, object]:
    """The columns that say what a story is (the first copy's, for a cluster)."""
    return {
        "guid": candidate.guid,
        "canonical_url": candidate.canonical_url,
        "title_key": title_key(candidate.title),
        "title": candidate.title,
        "link": candidate.link,
        "source": candidate.source,
        "outlet": candidate.outlet,
        "published": candidate.published.isoformat(),
        "summary_html": candidate.summary_html,
        "summary_text": candidate.summary_text,
        "summary_cut": int(candidate.summary_cut),
        "link_note": candidate.link_note,
        "score": candidate.score,
        "entities": json.dumps(candidate.entities, ensure_ascii=False),
        "about": json.dumps(candidate.about, ensure_ascii=False),
        "signals": json.dumps(candidate.signals, ensure_ascii=False),
    }


def fts_query(text: str) -> str:
    """User text as an FTS5 query: every word must appear (prefix match on the last)."""
    terms = [t.replace('"', '""') for t in text.split() if t.strip()]
    if not terms:
        return '""'
    quoted = [f'"{t}"' for t in terms]
    quoted[-1] += "*"
    return " AND ".join(quoted)
