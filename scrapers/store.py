"""The candidate store: one SQLite file (WAL), safe to interrupt at any point.

Each source's items and its new fetch state commit in one transaction, so a scrape
killed at any moment (even kill -9) leaves the store as it was before that source, and
the next scrape simply fetches it again, without duplicates.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from brief.errors import BriefError
from scrapers.candidate import Candidate, SourceLink
from scrapers.cluster import band_keys, same_story, title_key, words
from scrapers.fetch import Validators
from scrapers.schedule import SourceState

STATUSES = ("new", "accepted", "rejected")
CLUSTER_WINDOW = timedelta(days=7)
TEXT_WORDS = 60


def _v1(db: sqlite3.Connection) -> None:
    db.executescript(
        """
        CREATE TABLE sources (
            name TEXT PRIMARY KEY, url TEXT NOT NULL, etag TEXT, last_modified TEXT,
            last_status TEXT, last_attempt TEXT, last_success TEXT, last_error TEXT,
            failures INTEGER NOT NULL DEFAULT 0, items INTEGER NOT NULL DEFAULT 0
        );
        CREATE TABLE candidates (
            id INTEGER PRIMARY KEY, guid TEXT NOT NULL UNIQUE,
            canonical_url TEXT NOT NULL UNIQUE, title_key TEXT NOT NULL, title TEXT NOT NULL,
            link TEXT NOT NULL, source TEXT NOT NULL, published TEXT NOT NULL,
            fetched TEXT NOT NULL, summary_html TEXT NOT NULL, summary_text TEXT NOT NULL,
            score REAL NOT NULL, entities TEXT NOT NULL, about TEXT NOT NULL,
            signals TEXT NOT NULL, date_flag TEXT NOT NULL DEFAULT '', section TEXT,
            status TEXT NOT NULL DEFAULT 'new'
                CHECK (status IN ('new', 'accepted', 'rejected')),
            decided_at TEXT, article_path TEXT
        );
        CREATE INDEX candidates_triage ON candidates (status, score DESC, published DESC);
        CREATE INDEX candidates_title_key ON candidates (title_key);
        CREATE TABLE copies (
            candidate_id INTEGER NOT NULL REFERENCES candidates (id), source TEXT NOT NULL,
            link TEXT NOT NULL, canonical_url TEXT NOT NULL UNIQUE, published TEXT NOT NULL
        );
        CREATE INDEX copies_candidate ON copies (candidate_id);
        """
    )


def _v2(db: sqlite3.Connection) -> None:
    """Source scheduling, near-duplicate clustering keys, full-text search."""
    db.executescript(
        """
        ALTER TABLE sources ADD COLUMN current_url TEXT;
        ALTER TABLE sources ADD COLUMN paused TEXT;
        ALTER TABLE sources ADD COLUMN next_attempt TEXT;
        ALTER TABLE candidates ADD COLUMN text_words TEXT NOT NULL DEFAULT '';
        CREATE TABLE cluster_keys (
            key TEXT NOT NULL, candidate_id INTEGER NOT NULL REFERENCES candidates (id),
            published TEXT NOT NULL
        );
        CREATE INDEX cluster_keys_key ON cluster_keys (key, published);
        CREATE VIRTUAL TABLE candidates_fts USING fts5(
            title, summary_text, content='candidates', content_rowid='id'
        );
        """
    )
    rows = db.execute("SELECT id, title, summary_text, published FROM candidates").fetchall()
    for candidate_id, title, text, published in rows:
        _index(db, candidate_id, title, text, published)


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2]
SCHEMA_VERSION = len(MIGRATIONS)


def _index(
    db: sqlite3.Connection, candidate_id: int, title: str, text: str, published: str
) -> None:
    db.execute(
        "UPDATE candidates SET text_words = ? WHERE id = ?",
        (" ".join(sorted(words(text, TEXT_WORDS))), candidate_id),
    )
    db.executemany(
        "INSERT INTO cluster_keys (key, candidate_id, published) VALUES (?, ?, ?)",
        [(key, candidate_id, published) for key in band_keys(words(title_key(title)))],
    )
    db.execute(
        "INSERT INTO candidates_fts (rowid, title, summary_text) VALUES (?, ?, ?)",
        (candidate_id, title, text),
    )


class StoreError(BriefError):
    pass


@dataclass(frozen=True)
class AddResult:
    new: int
    seen: int  # already stored: the same URL or GUID, or a copy of a stored story
    clustered: int  # of those, new outlets' copies that joined a story's cluster


class Store:
    """Candidates and per-source fetch state. Use `open_store()`."""

    def __init__(self, connection: sqlite3.Connection, path: Path):
        self._db = connection
        self.path = path

    # -- sources ---------------------------------------------------------------------------

    def validators(self) -> dict[str, Validators]:
        rows = self._db.execute("SELECT name, etag, last_modified FROM sources")
        return {name: Validators(etag, modified) for name, etag, modified in rows}

    def source_state(self, name: str) -> SourceState | None:
        row = self._db.execute("SELECT * FROM sources WHERE name = ?", (name,)).fetchone()
        return _source_state(row) if row else None

    def sources(self) -> list[SourceState]:
        return [_source_state(r) for r in self._db.execute("SELECT * FROM sources ORDER BY name")]

    def save_source(self, state: SourceState, validators: Validators | None = None) -> None:
        """Write a source's state; new validators only come with a successful fetch."""
        self._db.execute(
            """INSERT INTO sources (name, url) VALUES (?, ?)
               ON CONFLICT (name) DO UPDATE SET url = excluded.url""",
            (state.name, state.url),
        )
        self._db.execute(
            """UPDATE sources SET current_url = ?, last_status = ?, last_attempt = ?,
                   last_success = ?, last_error = ?, failures = ?, items = ?, paused = ?,
                   next_attempt = ? WHERE name = ?""",
            (
                state.current_url,
                state.last_status,
                _iso(state.last_attempt),
                _iso(state.last_success),
                state.last_error,
                state.failures,
                state.items,
                state.paused,
                _iso(state.next_attempt),
                state.name,
            ),
        )
        if validators is not None:
            self._db.execute(
                "UPDATE sources SET etag = ?, last_modified = ? WHERE name = ?",
                (validators.etag, validators.last_modified, state.name),
            )

    def reset_source(self, name: str, url: str) -> None:
        """Forget a source's redirects, pause and back-off (its URL changed, or on request)."""
        self._db.execute(
            "UPDATE sources SET url = ?, current_url = NULL, paused = NULL, next_attempt = NULL,"
            " failures = 0, etag = NULL, last_modified = NULL WHERE name = ?",
            (url, name),
        )

    # -- candidates ------------------------------------------------------------------------

    def add_candidates(self, candidates: Iterable[Candidate]) -> AddResult:
        """Store new stories; a copy of a known story joins that story's cluster."""
        new = seen = clustered = 0
        for candidate in candidates:
            if self._known(candidate):
                seen += 1
                continue
            cluster = self._cluster_for(candidate)
            if cluster is not None:
                self._add_copy(cluster, candidate)
                self._promote_if_first(cluster, candidate)
                clustered += 1
                seen += 1
                continue
            published = candidate.published.isoformat()
            cursor = self._db.execute(
                """INSERT INTO candidates (guid, canonical_url, title_key, title, link, source,
                       published, fetched, summary_html, summary_text, score, entities, about,
                       signals, date_flag, section)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    candidate.guid,
                    candidate.canonical_url,
                    title_key(candidate.title),
                    candidate.title,
                    candidate.link,
                    candidate.source,
                    published,
                    candidate.fetched.isoformat(),
                    candidate.summary_html,
                    candidate.summary_text,
                    candidate.score,
                    json.dumps(candidate.entities, ensure_ascii=False),
                    json.dumps(candidate.about, ensure_ascii=False),
                    json.dumps(candidate.signals, ensure_ascii=False),
                    candidate.date_flag,
                    candidate.section,
                ),
            )
            assert cursor.lastrowid is not None
            _index(self._db, cursor.lastrowid, candidate.title, candidate.summary_text, published)
            self._add_copy(cursor.lastrowid, candidate)
            new += 1
        return AddResult(new, seen, clustered)

    def _known(self, candidate: Candidate) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM copies WHERE canonical_url = ? UNION ALL"
            " SELECT 1 FROM candidates WHERE guid = ? LIMIT 1",
            (candidate.canonical_url, candidate.guid),
        ).fetchone()
        return row is not None

    def _cluster_for(self, candidate: Candidate) -> int | None:
        title_words = words(title_key(candidate.title))
        keys = band_keys(title_words)
        if len(title_words) < 3 or not keys:
            return None
        low = (candidate.published - CLUSTER_WINDOW).isoformat()
        high = (candidate.published + CLUSTER_WINDOW).isoformat()
        marks = ",".join("?" * len(keys))
        rows = self._db.execute(
            f"""SELECT DISTINCT c.id, c.title_key, c.text_words FROM cluster_keys k
                JOIN candidates c ON c.id = k.candidate_id
                WHERE k.key IN ({marks}) AND k.published BETWEEN ? AND ? ORDER BY c.id""",
            (*keys, low, high),
        ).fetchall()
        text_words = words(candidate.summary_text, TEXT_WORDS)
        for candidate_id, other_title, other_text in rows:
            if same_story(
                title_words, text_words, words(other_title), frozenset(other_text.split())
            ):
                return int(candidate_id)
        return None

    def _promote_if_first(self, candidate_id: int, candidate: Candidate) -> None:
        """The copy published first speaks for an undecided story, whatever the fetch order."""
        row = self._db.execute(
            "SELECT title, summary_text, published, status FROM candidates WHERE id = ?",
            (candidate_id,),
        ).fetchone()
        if row["status"] != "new" or _date(row["published"]) <= candidate.published:
            return
        self._db.execute(
            "INSERT INTO candidates_fts (candidates_fts, rowid, title, summary_text)"
            " VALUES ('delete', ?, ?, ?)",
            (candidate_id, row["title"], row["summary_text"]),
        )
        self._db.execute(
            "INSERT INTO candidates_fts (rowid, title, summary_text) VALUES (?, ?, ?)",
            (candidate_id, candidate.title, candidate.summary_text),
        )
        self._db.execute(
            """UPDATE candidates SET guid = ?, canonical_url = ?, title_key = ?, title = ?,
                   link = ?, source = ?, published = ?, summary_html = ?, summary_text = ?,
                   score = MAX(score, ?), entities = ?, about = ?, signals = ?
               WHERE id = ?""",
            (
                candidate.guid,
                candidate.canonical_url,
                title_key(candidate.title),
                candidate.title,
                candidate.link,
                candidate.source,
                candidate.published.isoformat(),
                candidate.summary_html,
                candidate.summary_text,
                candidate.score,
                json.dumps(candidate.entities, ensure_ascii=False),
                json.dumps(candidate.about, ensure_ascii=False),
                json.dumps(candidate.signals, ensure_ascii=False),
                candidate_id,
            ),
        )

    def _add_copy(self, candidate_id: int, candidate: Candidate) -> None:
        self._db.execute(
            "INSERT INTO copies (candidate_id, source, link, canonical_url, published)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                candidate_id,
                candidate.source,
                candidate.link,
                candidate.canonical_url,
                candidate.published.isoformat(),
            ),
        )

    def candidates(
        self,
        statuses: Sequence[str] = ("new",),
        limit: int | None = None,
        search: str | None = None,
    ) -> list[Candidate]:
        """Candidates with these statuses, best first (score, then newest)."""
        marks = ",".join("?" * len(statuses))
        params: list[object] = list(statuses)
        sql = f"SELECT * FROM candidates WHERE status IN ({marks})"
        if search:
            sql += " AND id IN (SELECT rowid FROM candidates_fts WHERE candidates_fts MATCH ?)"
            params.append(_fts_query(search))
        sql += " ORDER BY score DESC, published DESC, id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [self._candidate(row) for row in self._db.execute(sql, params)]

    def get(self, candidate_id: int) -> Candidate | None:
        row = self._db.execute("SELECT * FROM candidates WHERE id = ?", (candidate_id,)).fetchone()
        return self._candidate(row) if row else None

    def decide(
        self, candidate_id: int, status: str, when: datetime, article_path: str | None = None
    ) -> None:
        if status not in STATUSES:
            raise StoreError(f"unknown status {status!r}")
        self._db.execute(
            "UPDATE candidates SET status = ?, decided_at = ?,"
            " article_path = COALESCE(?, article_path) WHERE id = ?",
            (status, when.isoformat(), article_path, candidate_id),
        )

    def _candidate(self, row: sqlite3.Row) -> Candidate:
        copies = self._db.execute(
            "SELECT source, link, published FROM copies WHERE candidate_id = ?"
            " ORDER BY published, rowid",
            (row["id"],),
        )
        return Candidate(
            id=row["id"],
            title=row["title"],
            link=row["link"],
            canonical_url=row["canonical_url"],
            source=row["source"],
            published=_date(row["published"]),
            fetched=_date(row["fetched"]),
            summary_html=row["summary_html"],
            summary_text=row["summary_text"],
            score=row["score"],
            entities=tuple(json.loads(row["entities"])),
            about=tuple(json.loads(row["about"])),
            guid=row["guid"],
            signals=tuple(json.loads(row["signals"])),
            date_flag=row["date_flag"],
            section=row["section"],
            status=row["status"],
            article_path=row["article_path"],
            sources=tuple(SourceLink(s, link, _date(p)) for s, link, p in copies),
        )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._db:
            yield


@contextmanager
def open_store(path: Path) -> Iterator[Store]:
    """Open the store, creating it or migrating it to the current schema."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # One thread at a time, but not always the opening one: fetch_all may run its loop
    # (and so our per-source callback) on a thread of its own.
    db = sqlite3.connect(path, timeout=30, check_same_thread=False)
    db.row_factory = sqlite3.Row
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        _migrate(db, path)
        yield Store(db, path)
    except sqlite3.DatabaseError as err:
        raise StoreError(f"{path}: not a usable store: {err}") from err
    finally:
        db.close()


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path}: made by a newer brief (schema {version}); upgrade brief")
    for number, migration in enumerate(MIGRATIONS[version:], version + 1):
        with db:  # each migration and its version number commit together
            migration(db)
            db.execute(f"PRAGMA user_version = {number}")


def _fts_query(text: str) -> str:
    """User text as an FTS5 query: every word must appear (prefix match on the last)."""
    terms = [t.replace('"', '""') for t in text.split() if t.strip()]
    if not terms:
        return '""'
    quoted = [f'"{t}"' for t in terms]
    quoted[-1] += "*"
    return " AND ".join(quoted)


def _source_state(row: sqlite3.Row) -> SourceState:
    return SourceState(
        name=row["name"],
        url=row["url"],
        current_url=row["current_url"],
        last_status=row["last_status"],
        last_attempt=_optional_date(row["last_attempt"]),
        last_success=_optional_date(row["last_success"]),
        last_error=row["last_error"],
        failures=row["failures"],
        items=row["items"],
        paused=row["paused"],
        next_attempt=_optional_date(row["next_attempt"]),
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _optional_date(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


def _date(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)
