"""The candidate store: one SQLite file (WAL), safe to interrupt at any point."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from brief.errors import BriefError
from scrapers.candidate import Candidate, SourceLink
from scrapers.fetch import FetchResult, Validators

SCHEMA_VERSION = 1
STATUSES = ("new", "accepted", "rejected")
CLUSTER_WINDOW = timedelta(days=7)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sources (
    name TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    etag TEXT,
    last_modified TEXT,
    last_status TEXT,
    last_attempt TEXT,
    last_success TEXT,
    last_error TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    items INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS candidates (
    id INTEGER PRIMARY KEY,
    guid TEXT NOT NULL UNIQUE,
    canonical_url TEXT NOT NULL UNIQUE,
    title_key TEXT NOT NULL,
    title TEXT NOT NULL,
    link TEXT NOT NULL,
    source TEXT NOT NULL,
    published TEXT NOT NULL,
    fetched TEXT NOT NULL,
    summary_html TEXT NOT NULL,
    summary_text TEXT NOT NULL,
    score REAL NOT NULL,
    entities TEXT NOT NULL,
    about TEXT NOT NULL,
    signals TEXT NOT NULL,
    date_flag TEXT NOT NULL DEFAULT '',
    section TEXT,
    status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'accepted', 'rejected')),
    decided_at TEXT,
    article_path TEXT
);
CREATE INDEX IF NOT EXISTS candidates_triage ON candidates (status, score DESC, published DESC);
CREATE INDEX IF NOT EXISTS candidates_title_key ON candidates (title_key);
CREATE TABLE IF NOT EXISTS copies (
    candidate_id INTEGER NOT NULL REFERENCES candidates (id),
    source TEXT NOT NULL,
    link TEXT NOT NULL,
    canonical_url TEXT NOT NULL UNIQUE,
    published TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS copies_candidate ON copies (candidate_id);
"""


class StoreError(BriefError):
    pass


@dataclass(frozen=True)
class AddResult:
    new: int
    seen: int


@dataclass(frozen=True)
class SourceState:
    name: str
    url: str
    last_status: str | None
    last_attempt: datetime | None
    last_success: datetime | None
    last_error: str | None
    failures: int
    items: int


class Store:
    """Candidates and per-source fetch state. Use `open_store()`."""

    def __init__(self, connection: sqlite3.Connection, path: Path):
        self._db = connection
        self.path = path

    # -- sources ---------------------------------------------------------------------------

    def validators(self) -> dict[str, Validators]:
        rows = self._db.execute("SELECT name, etag, last_modified FROM sources")
        return {name: Validators(etag, modified) for name, etag, modified in rows}

    def record_fetch(self, result: FetchResult, items: int = 0) -> None:
        """Remember how fetching a source went, in the same transaction as its items."""
        now = result.fetched_at.isoformat()
        ok = result.status != "failed"
        self._db.execute(
            "INSERT INTO sources (name, url) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
            (result.source.name, result.source.url),
        )
        self._db.execute(
            """UPDATE sources SET url = ?, last_status = ?, last_attempt = ?, last_error = ?,
                   last_success = CASE WHEN ? THEN ? ELSE last_success END,
                   failures = CASE WHEN ? THEN 0 ELSE failures + 1 END,
                   items = items + ?,
                   etag = CASE WHEN ? = 'ok' THEN ? ELSE etag END,
                   last_modified = CASE WHEN ? = 'ok' THEN ? ELSE last_modified END
               WHERE name = ?""",
            (
                result.source.url,
                result.status if ok else f"failed: {result.error}",
                now,
                result.error,
                ok,
                now,
                ok,
                items,
                result.status,
                result.validators.etag,
                result.status,
                result.validators.last_modified,
                result.source.name,
            ),
        )

    def sources(self) -> list[SourceState]:
        rows = self._db.execute(
            "SELECT name, url, last_status, last_attempt, last_success, last_error, failures,"
            " items FROM sources ORDER BY name"
        )
        return [
            SourceState(r[0], r[1], r[2], _date(r[3]), _date(r[4]), r[5], r[6], r[7]) for r in rows
        ]

    # -- candidates ------------------------------------------------------------------------

    def add_candidates(self, candidates: Iterable[Candidate]) -> AddResult:
        """Store new stories; a copy of a known story joins that story's cluster."""
        new = seen = 0
        for candidate in candidates:
            if self._known(candidate):
                seen += 1
                continue
            cluster = self._cluster_for(candidate)
            if cluster is not None:
                self._add_copy(cluster, candidate)
                seen += 1
                continue
            cursor = self._db.execute(
                """INSERT INTO candidates (guid, canonical_url, title_key, title, link, source,
                       published, fetched, summary_html, summary_text, score, entities, about,
                       signals, date_flag, section)
                   VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
                (
                    candidate.guid,
                    candidate.canonical_url,
                    candidate.title_key,
                    candidate.title,
                    candidate.link,
                    candidate.source,
                    candidate.published.isoformat(),
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
            self._add_copy(cursor.lastrowid, candidate)
            new += 1
        return AddResult(new, seen)

    def _known(self, candidate: Candidate) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM copies WHERE canonical_url = ? UNION ALL"
            " SELECT 1 FROM candidates WHERE guid = ? LIMIT 1",
            (candidate.canonical_url, candidate.guid),
        ).fetchone()
        return row is not None

    def _cluster_for(self, candidate: Candidate) -> int | None:
        if len(candidate.title_key) < 12:
            return None
        low = (candidate.published - CLUSTER_WINDOW).isoformat()
        high = (candidate.published + CLUSTER_WINDOW).isoformat()
        row = self._db.execute(
            "SELECT id FROM candidates WHERE title_key = ? AND published BETWEEN ? AND ?"
            " ORDER BY id LIMIT 1",
            (candidate.title_key, low, high),
        ).fetchone()
        return int(row[0]) if row else None

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
        self, statuses: Sequence[str] = ("new",), limit: int | None = None
    ) -> list[Candidate]:
        """Candidates with these statuses, best first (score, then newest)."""
        marks = ",".join("?" * len(statuses))
        sql = (
            f"SELECT * FROM candidates WHERE status IN ({marks})"
            " ORDER BY score DESC, published DESC, id"
        )
        params: list[object] = list(statuses)
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
            published=_required_date(row["published"]),
            fetched=_required_date(row["fetched"]),
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
            sources=tuple(SourceLink(s, link, _required_date(p)) for s, link, p in copies),
        )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._db:
            yield


@contextmanager
def open_store(path: Path) -> Iterator[Store]:
    """Open (creating or migrating) the store; changes commit per `transaction()`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        db = sqlite3.connect(path)
    except sqlite3.Error as err:
        raise StoreError(f"{path}: cannot open the store: {err}") from err
    db.row_factory = sqlite3.Row
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA foreign_keys = ON")
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{path}: made by a newer version of brief (schema {version}); upgrade brief"
            )
        with db:
            db.executescript(_SCHEMA)
            db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        yield Store(db, path)
    except sqlite3.DatabaseError as err:
        raise StoreError(f"{path}: not a usable store: {err}") from err
    finally:
        db.close()


def _date(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


def _required_date(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)
