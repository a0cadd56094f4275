"""The candidate store: one SQLite file (WAL), safe to interrupt at any point.

Each source's items and its new fetch state commit in one transaction, so a scrape
killed at any moment (even kill -9) leaves the store as it was before that source, and
the next scrape simply fetches it again, without duplicates.
"""

from __future__ import annotations

import fcntl
import json
import os
import sqlite3
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from scrapers.candidate import Candidate, SourceLink
from scrapers.cluster import band_keys, same_story, title_key, words
from scrapers.errors import StoreError
from scrapers.fetch import Validators
from scrapers.schedule import SourceState

_T = TypeVar("_T")
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
        db.execute(
            "UPDATE candidates SET text_words = ? WHERE id = ?", (_text_words(text), candidate_id)
        )
        _index(db, candidate_id, title, text, published)


def _v3(db: sqlite3.Connection) -> None:
    """Editorial decisions: who decided what and when (an audit log, and undo), shortlists."""
    db.executescript(
        """
        ALTER TABLE candidates ADD COLUMN shortlisted INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE candidates ADD COLUMN decided_by TEXT;
        CREATE TABLE decisions (
            id INTEGER PRIMARY KEY,
            candidate_id INTEGER NOT NULL REFERENCES candidates (id),
            action TEXT NOT NULL,
            status_before TEXT NOT NULL,
            shortlisted_before INTEGER NOT NULL,
            who TEXT NOT NULL,
            at TEXT NOT NULL,
            article_path TEXT
        );
        CREATE INDEX decisions_candidate ON decisions (candidate_id);
        """
    )


def _v4(db: sqlite3.Connection) -> None:
    """Deliveries of each issue to each recipient (`brief send`); stores from before this
    version may already have the table, made by the sender itself."""
    db.executescript(
        """
        CREATE TABLE IF NOT EXISTS deliveries (
            week TEXT NOT NULL, email TEXT NOT NULL, state TEXT NOT NULL,
            message_id TEXT, at TEXT NOT NULL, error TEXT,
            PRIMARY KEY (week, email)
        );
        """
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [_v1, _v2, _v3, _v4]
SCHEMA_VERSION = len(MIGRATIONS)


def _text_words(text: str) -> str:
    return " ".join(sorted(words(text, TEXT_WORDS)))


def _index(
    db: sqlite3.Connection,
    candidate_id: int,
    title: str,
    text: str,
    published: str,
    keys: list[str] | None = None,
) -> None:
    """Clustering keys and full-text entry of a stored candidate."""
    keys = band_keys(words(title_key(title))) if keys is None else keys
    db.executemany(
        "INSERT INTO cluster_keys (key, candidate_id, published) VALUES (?, ?, ?)",
        [(key, candidate_id, published) for key in keys],
    )
    db.execute(
        "INSERT INTO candidates_fts (rowid, title, summary_text) VALUES (?, ?, ?)",
        (candidate_id, title, text),
    )


@dataclass(frozen=True)
class Decision:
    id: int
    candidate_id: int
    action: str
    status_before: str
    shortlisted_before: bool
    who: str
    at: datetime
    article_path: str | None


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

    @property
    def connection(self) -> sqlite3.Connection:
        """The SQLite connection, for the tables other modules own (deliveries)."""
        return self._db

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
        """Store new stories; a copy of a known story joins that story's cluster.

        Works on the batch as a whole (one source's items, typically): a handful of
        queries per batch rather than several per item.
        """
        batch = list(candidates)
        known = self._known(batch)
        title_words = [words(title_key(c.title)) for c in batch]
        all_keys = [band_keys(w) for w in title_words]
        cache: dict[int, tuple[str, str]] = {}  # id -> (title key, summary words), as stored
        neighbours = self._neighbours(batch, all_keys, cache)
        new = seen = clustered = 0
        keys_rows: list[tuple[str, int, str]] = []
        copies: list[tuple[int, Candidate]] = []
        # Full-text rows are written at the end; a story promoted before then is updated here.
        search_rows: dict[int, tuple[str, str]] = {}
        for candidate, its_words, keys in zip(batch, title_words, all_keys, strict=True):
            if candidate.canonical_url in known or candidate.guid in known:
                seen += 1
                continue
            known |= {candidate.canonical_url, candidate.guid}
            text_words = words(candidate.summary_text, TEXT_WORDS)
            cluster = self._match(candidate, its_words, text_words, keys, neighbours, cache)
            if cluster is not None:
                copies.append((cluster, candidate))
                if self._promote_if_first(cluster, candidate, indexed=cluster not in search_rows):
                    search_rows[cluster] = (candidate.title, candidate.summary_text)
                clustered += 1
                seen += 1
                continue
            published = candidate.published.isoformat()
            candidate_id = self._insert(candidate, text_words)
            cache[candidate_id] = (title_key(candidate.title), " ".join(sorted(text_words)))
            for key in keys:
                keys_rows.append((key, candidate_id, published))
                neighbours.setdefault(key, []).append((candidate_id, published))
            copies.append((candidate_id, candidate))
            search_rows[candidate_id] = (candidate.title, candidate.summary_text)
            new += 1
        self._db.executemany(
            "INSERT INTO cluster_keys (key, candidate_id, published) VALUES (?, ?, ?)", keys_rows
        )
        self._db.executemany(
            "INSERT INTO candidates_fts (rowid, title, summary_text) VALUES (?, ?, ?)",
            [(cid, title, text) for cid, (title, text) in search_rows.items()],
        )
        self._db.executemany(
            "INSERT INTO copies (candidate_id, source, link, canonical_url, published)"
            " VALUES (?, ?, ?, ?, ?)",
            [
                (cid, c.source, c.link, c.canonical_url, c.published.isoformat())
                for cid, c in copies
            ],
        )
        return AddResult(new, seen, clustered)

    def _insert(self, candidate: Candidate, text_words: frozenset[str]) -> int:
        story = _story(candidate)
        cursor = self._db.execute(
            f"""INSERT INTO candidates ({", ".join(story)}, fetched, date_flag, section,
                   text_words) VALUES ({", ".join("?" * (len(story) + 4))})""",
            (
                *story.values(),
                candidate.fetched.isoformat(),
                candidate.date_flag,
                candidate.section,
                " ".join(sorted(text_words)),
            ),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def _known(self, batch: list[Candidate]) -> set[str]:
        """The batch's canonical URLs and GUIDs that the store already has."""
        found: set[str] = set()
        for chunk in _chunks(batch):
            marks = ",".join("?" * len(chunk))
            found |= {
                row[0]
                for row in self._db.execute(
                    f"SELECT canonical_url FROM copies WHERE canonical_url IN ({marks})",
                    [c.canonical_url for c in chunk],
                )
            }
            found |= {
                row[0]
                for row in self._db.execute(
                    f"SELECT guid FROM candidates WHERE guid IN ({marks})", [c.guid for c in chunk]
                )
            }
        return found

    def _neighbours(
        self,
        batch: list[Candidate],
        batch_keys: list[list[str]],
        cache: dict[int, tuple[str, str]],
    ) -> dict[str, list[tuple[int, str]]]:
        """Stored stories sharing a clustering key with the batch: key -> (id, published).

        Their words go into `cache`, for the exact comparison.
        """
        keys = sorted({k for ks in batch_keys for k in ks})
        if not keys:
            return {}
        low = (min(c.published for c in batch) - CLUSTER_WINDOW).isoformat()
        high = (max(c.published for c in batch) + CLUSTER_WINDOW).isoformat()
        found: dict[str, list[tuple[int, str]]] = {}
        for chunk in _chunks(keys):
            marks = ",".join("?" * len(chunk))
            rows = self._db.execute(
                f"""SELECT k.candidate_id, group_concat(k.key, ' '), k.published,
                           c.title_key, c.text_words
                    FROM cluster_keys k JOIN candidates c ON c.id = k.candidate_id
                    WHERE k.key IN ({marks}) AND k.published BETWEEN ? AND ?
                    GROUP BY k.candidate_id""",
                (*chunk, low, high),
            )
            for candidate_id, keys, published, title, text in rows:
                for key in keys.split():
                    found.setdefault(key, []).append((candidate_id, published))
                if candidate_id not in cache:
                    cache[candidate_id] = (title, text)
        return found

    def _match(
        self,
        candidate: Candidate,
        title_words: frozenset[str],
        text_words: frozenset[str],
        keys: list[str],
        neighbours: dict[str, list[tuple[int, str]]],
        cache: dict[int, tuple[str, str]],
    ) -> int | None:
        """The stored story this candidate is a copy of, if any."""
        if len(title_words) < 3:
            return None
        low = (candidate.published - CLUSTER_WINDOW).isoformat()
        high = (candidate.published + CLUSTER_WINDOW).isoformat()
        ids = sorted(
            {cid for key in keys for cid, when in neighbours.get(key, ()) if low <= when <= high}
        )
        for candidate_id in ids[:64]:
            other_title, other_text = cache[candidate_id]
            if same_story(title_words, text_words, words(other_title), other_text):
                return candidate_id
        return None

    def _promote_if_first(self, candidate_id: int, candidate: Candidate, indexed: bool) -> bool:
        """The copy published first speaks for an undecided story, whatever the fetch order.

        True when the story was promoted; its full-text entry is rewritten here when it
        is `indexed` already, else the caller writes the new one.
        """
        row = self._db.execute(
            "SELECT title, summary_text, published, status FROM candidates WHERE id = ?",
            (candidate_id,),
        ).fetchone()
        if row["status"] != "new" or _date(row["published"]) <= candidate.published:
            return False
        if indexed:
            self._db.execute(
                "INSERT INTO candidates_fts (candidates_fts, rowid, title, summary_text)"
                " VALUES ('delete', ?, ?, ?)",
                (candidate_id, row["title"], row["summary_text"]),
            )
            self._db.execute(
                "INSERT INTO candidates_fts (rowid, title, summary_text) VALUES (?, ?, ?)",
                (candidate_id, candidate.title, candidate.summary_text),
            )
        story = _story(candidate)
        assignments = ", ".join(
            "score = MAX(score, ?)" if column == "score" else f"{column} = ?" for column in story
        )
        self._db.execute(
            f"UPDATE candidates SET {assignments} WHERE id = ?", (*story.values(), candidate_id)
        )
        return True

    def candidates(
        self,
        statuses: Sequence[str] = ("new",),
        limit: int | None = None,
        search: str | None = None,
        *,
        shortlisted: bool | None = None,
        source: str | None = None,
        entity: str | None = None,
        since: datetime | None = None,
        min_score: float | None = None,
    ) -> list[Candidate]:
        """Candidates matching every filter given, best first (shortlist, score, newest)."""
        marks = ",".join("?" * len(statuses))
        params: list[object] = list(statuses)
        sql = f"SELECT * FROM candidates WHERE status IN ({marks})"
        if search:
            sql += " AND id IN (SELECT rowid FROM candidates_fts WHERE candidates_fts MATCH ?)"
            params.append(_fts_query(search))
        if shortlisted is not None:
            sql += " AND shortlisted = ?"
            params.append(int(shortlisted))
        if source:
            sql += " AND id IN (SELECT candidate_id FROM copies WHERE source = ? COLLATE NOCASE)"
            params.append(source)
        if entity:
            sql += " AND EXISTS (SELECT 1 FROM json_each(entities) WHERE value = ? COLLATE NOCASE)"
            params.append(entity)
        if since is not None:
            sql += " AND published >= ?"
            params.append(since.astimezone(UTC).isoformat())
        if min_score is not None:
            sql += " AND score >= ?"
            params.append(min_score)
        sql += " ORDER BY shortlisted DESC, score DESC, published DESC, id"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [self._candidate(row) for row in self._db.execute(sql, params)]

    def get(self, candidate_id: int) -> Candidate | None:
        row = self._db.execute("SELECT * FROM candidates WHERE id = ?", (candidate_id,)).fetchone()
        return self._candidate(row) if row else None

    def decide(
        self,
        candidate_id: int,
        action: str,
        when: datetime,
        who: str = "",
        article_path: str | None = None,
    ) -> None:
        """Record an editor's decision: accepted, rejected, shortlisted or new (undecided).

        Every decision is logged with who and when; `undo()` reverts the last one.
        """
        row = self._db.execute(
            "SELECT status, shortlisted FROM candidates WHERE id = ?", (candidate_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"no candidate #{candidate_id}")
        if action not in (*STATUSES, "shortlisted"):
            raise StoreError(f"unknown decision {action!r}")
        status = "new" if action == "shortlisted" else action
        shortlisted = 1 if action == "shortlisted" else 0
        self._db.execute(
            "INSERT INTO decisions (candidate_id, action, status_before, shortlisted_before,"
            " who, at, article_path) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (candidate_id, action, row[0], row[1], who, when.isoformat(), article_path),
        )
        self._db.execute(
            "UPDATE candidates SET status = ?, shortlisted = ?, decided_at = ?, decided_by = ?,"
            " article_path = CASE WHEN ? = 'new' THEN NULL ELSE COALESCE(?, article_path) END"
            " WHERE id = ?",
            (status, shortlisted, when.isoformat(), who, status, article_path, candidate_id),
        )

    def last_decision(self, candidate_id: int | None = None) -> Decision | None:
        sql = "SELECT * FROM decisions"
        params: tuple[object, ...] = ()
        if candidate_id is not None:
            sql += " WHERE candidate_id = ?"
            params = (candidate_id,)
        row = self._db.execute(sql + " ORDER BY id DESC LIMIT 1", params).fetchone()
        if row is None:
            return None
        return Decision(
            row["id"], row["candidate_id"], row["action"], row["status_before"],
            bool(row["shortlisted_before"]), row["who"], _date(row["at"]), row["article_path"],
        )  # fmt: skip

    def undo(self, decision: Decision) -> None:
        """Put a candidate back as it was before `decision`, and forget the decision."""
        self._db.execute(
            "UPDATE candidates SET status = ?, shortlisted = ?,"
            " article_path = CASE WHEN ? = 'accepted' THEN article_path ELSE NULL END"
            " WHERE id = ?",
            (decision.status_before, int(decision.shortlisted_before), decision.status_before,
             decision.candidate_id),
        )  # fmt: skip
        self._db.execute("DELETE FROM decisions WHERE id = ?", (decision.id,))

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
            shortlisted=bool(row["shortlisted"]),
            decided_by=row["decided_by"],
            decided_at=_optional_date(row["decided_at"]),
            sources=tuple(SourceLink(s, link, _date(p)) for s, link, p in copies),
        )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        with self._db:
            yield

    @contextmanager
    def exclusive(self, activity: str) -> Iterator[None]:
        """Run `activity` (a scrape, a send) alone on this store; refuse a second one politely.

        The lock is an flock on a file next to the store: the system releases it when the
        process ends, however it ends, so a crash never leaves a stale lock behind.
        """
        lock_path = self.path.with_name(f"{self.path.name}.{activity}.lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as err:
            raise StoreError(
                f"{lock_path}: cannot create the {activity} lock: {err.strerror};"
                f" brief needs to write in {lock_path.parent}"
            ) from err
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode("utf-8", "replace").split()
                pid = holder[0] if holder else "?"
                since = holder[1] if len(holder) > 1 else ""
                when = _local_time(since)
                raise StoreError(
                    f"another {activity} has been running since {when} (pid {pid}) on"
                    f" {self.path}; wait for it to finish, then run this again"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"{os.getpid()} {datetime.now(UTC).isoformat()}\n".encode(), 0)
            yield
        finally:
            os.close(fd)  # closing releases the lock


@contextmanager
def open_store(path: Path) -> Iterator[Store]:
    """Open the store, creating it or migrating it to the current schema.

    Every SQLite error, here or while the store is in use, becomes a StoreError that says
    what happened to which file and what to do: busy, read-only, full, or damaged.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StoreError(f"{path.parent}: cannot create the store's folder: {err.strerror}"
                         "; brief needs a folder it can write to") from err  # fmt: skip
    try:
        # One thread at a time, but not always the opening one: fetch_all may run its loop
        # (and so our per-source callback) on a thread of its own.
        db = sqlite3.connect(path, timeout=30, check_same_thread=False)
    except sqlite3.Error as err:
        raise store_error(path, err) from err
    db.row_factory = sqlite3.Row
    try:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        _migrate(db, path)
        yield Store(db, path)
    except sqlite3.Error as err:
        raise store_error(path, err) from err
    finally:
        db.close()


def store_error(path: Path, err: sqlite3.Error) -> StoreError:
    """What a SQLite error means for the editor, and what to do about it."""
    text = str(err).lower()
    if "locked" in text or "busy" in text:
        return StoreError(
            f"{path}: the store is busy: another brief command has been writing to it for"
            " 30 s; wait for it to finish, then run this again"
        )
    if "readonly" in text or "read-only" in text or "unable to open" in text:
        return StoreError(f"{path}: cannot write the store ({err}): {_writable_hint(path)}")
    if "full" in text:
        return StoreError(
            f"{path}: the disk is full; free some space and run this again"
            " (what was not committed is simply done again)"
        )
    if isinstance(err, sqlite3.IntegrityError):
        return StoreError(f"{path}: the store refused the data: {err}")
    if isinstance(err, sqlite3.DatabaseError) and not isinstance(err, sqlite3.OperationalError):
        return StoreError(f"{path}: not a usable store ({err}); move it aside to start a new one")
    return StoreError(f"{path}: the store failed: {err}")


def _migrate(db: sqlite3.Connection, path: Path) -> None:
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path}: made by a newer brief (schema {version}); upgrade brief")
    for number, migration in enumerate(MIGRATIONS[version:], version + 1):
        with db:  # each migration and its version number commit together
            migration(db)
            db.execute(f"PRAGMA user_version = {number}")


def _story(candidate: Candidate) -> dict[str, object]:
    """The columns that say what a story is (the first copy's, for a cluster)."""
    return {
        "guid": candidate.guid,
        "canonical_url": candidate.canonical_url,
        "title_key": title_key(candidate.title),
        "title": candidate.title,
        "link": candidate.link,
        "source": candidate.source,
        "published": candidate.published.isoformat(),
        "summary_html": candidate.summary_html,
        "summary_text": candidate.summary_text,
        "score": candidate.score,
        "entities": json.dumps(candidate.entities, ensure_ascii=False),
        "about": json.dumps(candidate.about, ensure_ascii=False),
        "signals": json.dumps(candidate.signals, ensure_ascii=False),
    }


def _chunks(items: Sequence[_T], size: int = 500) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


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


def _writable_hint(path: Path) -> str:
    """What the editor must change so brief can write `path` (a file it creates beside)."""
    folder = path.parent
    try:
        read_only = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:
        read_only = False
    if read_only:
        return (
            f"{folder} is on a read-only file system; brief writes the store and its"
            " journal there: mount it read-write, or set BRIEF_DB to a writable place"
        )
    if path.exists() and not os.access(path, os.W_OK):
        return f"make {path} writable for this user, or set BRIEF_DB to a writable place"
    return (
        f"brief needs to create and write files in {folder}; make it writable for this"
        " user, or set BRIEF_DB to a writable place"
    )


def _local_time(stamp: str) -> str:
    try:
        moment = datetime.fromisoformat(stamp).astimezone()
    except ValueError:
        return "an unknown time"
    today = datetime.now().astimezone().date()
    return f"{moment:%H:%M}" if moment.date() == today else f"{moment:%Y-%m-%d %H:%M}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _optional_date(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value).astimezone(UTC) if value else None


def _date(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(UTC)
