"""Every table of the store, created and changed only here, by numbered migrations.

A store records its version in SQLite's `user_version`; opening it runs the migrations it
has not had yet, each in its own transaction with its version number. Tables of every layer
live here (candidates and sources for the scrapers, decisions for the desk, deliveries for
the sender): one schema, however many modules read it.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

from scrapers.cluster import TEXT_WORDS, band_keys, event_keys, title_key, words
from scrapers.errors import StoreError
from scrapers.storage.subscribers import mailbox_base, mailbox_key


def _v1(db: sqlite3.Connection) -> None:
    _script(
        db,
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
        """,
    )


def _v2(db: sqlite3.Connection) -> None:
    """Source scheduling, near-duplicate clustering keys, full-text search."""
    _script(
        db,
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
        """,
    )
    rows = db.execute("SELECT id, title, summary_text, published FROM candidates").fetchall()
    for candidate_id, title, text, published in rows:
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


def _v3(db: sqlite3.Connection) -> None:
    """Editorial decisions: who decided what and when (an audit log, and undo), shortlists."""
    _script(
        db,
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
        """,
    )


def _v4(db: sqlite3.Connection) -> None:
    """Deliveries of each issue to each recipient (`brief send`); stores from before this
    version may already have the table, made by the sender itself."""
    _script(
        db,
        """
        CREATE TABLE IF NOT EXISTS deliveries (
            week TEXT NOT NULL, email TEXT NOT NULL, state TEXT NOT NULL,
            message_id TEXT, at TEXT NOT NULL, error TEXT,
            PRIMARY KEY (week, email)
        );
        """,
    )


def _v5(db: sqlite3.Connection) -> None:
    """Subscribers, and every change of their status with when and how (`brief subscribers`,
    the subscription service)."""
    _script(
        db,
        """
        CREATE TABLE subscribers (
            id INTEGER PRIMARY KEY AUTOINCREMENT,  -- never reused: old links name no one new
            email TEXT NOT NULL,
            key TEXT NOT NULL UNIQUE,  -- the address case-folded: one subscriber per address
            name TEXT,
            status TEXT NOT NULL CHECK (status IN
                ('pending', 'confirmed', 'unsubscribed', 'bounced', 'complained')),
            created_at TEXT NOT NULL,
            changed_at TEXT NOT NULL
        );
        CREATE INDEX subscribers_status ON subscribers (status);
        CREATE TABLE subscriber_events (
            id INTEGER PRIMARY KEY,
            subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
            status TEXT NOT NULL,  -- the status it changed to, or 'confirmation sent'
            at TEXT NOT NULL,
            how TEXT NOT NULL
        );
        CREATE INDEX subscriber_events_subscriber ON subscriber_events (subscriber_id, at);
        """,
    )


def _v6(db: sqlite3.Connection) -> None:
    """The outlet that published a story an aggregator (Google News...) carried (empty when
    the feed is the outlet), batches of decisions that one `brief undo` takes back, and the
    trained relevance model's scores."""
    _script(
        db,
        """
        ALTER TABLE candidates ADD COLUMN outlet TEXT NOT NULL DEFAULT '';
        ALTER TABLE copies ADD COLUMN outlet TEXT NOT NULL DEFAULT '';
        ALTER TABLE decisions ADD COLUMN batch TEXT;  -- decisions made together (bulk reject)
        CREATE TABLE model_scores (  -- the trained relevance model's score, per model
            candidate_id INTEGER NOT NULL REFERENCES candidates (id),
            model TEXT NOT NULL,
            score REAL NOT NULL,
            PRIMARY KEY (candidate_id, model)
        );
        """,
    )


def _v7(db: sqlite3.Connection) -> None:
    """Subscribers keyed by their mailbox as mail systems route it (not a case-fold of the
    whole address), grouped by the mailbox behind its +tags; deliveries keyed the same way;
    the queue of sign-ups the service has answered but not yet confirmed by email;
    whether a story's summary was cut to what the store keeps; and the draft an unaccept
    deleted, so that undoing it brings the same file back."""
    _script(
        db,
        """
        ALTER TABLE subscribers ADD COLUMN base TEXT NOT NULL DEFAULT '';
        ALTER TABLE candidates ADD COLUMN summary_cut INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE decisions ADD COLUMN draft TEXT;  -- what an unaccept deleted, for undo
        CREATE INDEX subscribers_base ON subscribers (base);
        CREATE TABLE signups (  -- answered, not yet handled: survives a crash or an outage
            id INTEGER PRIMARY KEY,
            email TEXT NOT NULL,
            key TEXT NOT NULL,  -- mailbox_key(email): one confirmation serves every copy
            name TEXT,
            received_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt TEXT NOT NULL,
            last_error TEXT
        );
        CREATE INDEX signups_due ON signups (next_attempt);
        """,
    )
    for subscriber_id, email in db.execute("SELECT id, email FROM subscribers").fetchall():
        key = mailbox_key(email)
        taken = db.execute(
            "SELECT 1 FROM subscribers WHERE key = ? AND id != ?", (key, subscriber_id)
        ).fetchone()
        if taken is None:  # two rows a case-fold had kept apart stay apart under their old key
            db.execute("UPDATE subscribers SET key = ? WHERE id = ?", (key, subscriber_id))
        db.execute(
            "UPDATE subscribers SET base = ? WHERE id = ?", (mailbox_base(key), subscriber_id)
        )
    for week, email in db.execute("SELECT week, email FROM deliveries").fetchall():
        db.execute(
            "UPDATE OR IGNORE deliveries SET email = ? WHERE week = ? AND email = ?",
            (mailbox_key(email), week, email),
        )


def _v8(db: sqlite3.Connection) -> None:
    """Aggregators' links followed to the publisher's article: each link's answer, kept so
    it is asked once; and what a story's link is when it could not be followed."""
    _script(
        db,
        """
        ALTER TABLE candidates ADD COLUMN link_note TEXT NOT NULL DEFAULT '';
        CREATE TABLE resolved_links (  -- an aggregator's link and where it led
            link TEXT PRIMARY KEY,
            target TEXT,  -- the publisher's canonical URL, or NULL
            error TEXT,  -- why not
            resolved_at TEXT NOT NULL
        );
        """,
    )


def _v9(db: sqlite3.Connection) -> None:
    """Event keys: a story is also found by its numbers and its headline's telling words, so
    a report of the same event under another headline joins it (scrapers.cluster). The keys' index
    covers the story too, so a neighbour is found without reading its row."""
    _script(
        db,
        """
        DROP INDEX cluster_keys_key;
        CREATE INDEX cluster_keys_key ON cluster_keys (key, published, candidate_id);
        """,
    )
    rows = db.execute("SELECT id, title, summary_text, published FROM candidates").fetchall()
    for candidate_id, title, text, published in rows:
        db.executemany(
            "INSERT INTO cluster_keys (key, candidate_id, published) VALUES (?, ?, ?)",
            [(key, candidate_id, published) for key in event_keys(title, text)],
        )


def _v10(db: sqlite3.Connection) -> None:
    """Event keys again: a headline's telling words are keyed in its own order (its subject
    first), not alphabetically, so a long headline shares its keys with a short one."""
    db.execute("DELETE FROM cluster_keys WHERE key LIKE 't:%'")
    rows = db.execute("SELECT id, title, summary_text, published FROM candidates").fetchall()
    for candidate_id, title, text, published in rows:
        db.executemany(
            "INSERT INTO cluster_keys (key, candidate_id, published) VALUES (?, ?, ?)",
            [
                (key, candidate_id, published)
                for key in event_keys(title, text)
                if key.startswith("t:")
            ],
        )


def _v11(db: sqlite3.Connection) -> None:
    """The web desk: its editors (a password hash each, never the password) and their
    sessions (a digest of each session's key: the key itself is only in the browser)."""
    _script(
        db,
        """
        CREATE TABLE editors (
            name TEXT PRIMARY KEY,
            password TEXT NOT NULL,  -- an argon2id hash
            email TEXT NOT NULL DEFAULT '',  -- where "Send a test to me" sends
            added_at TEXT NOT NULL,
            visited_at TEXT,  -- the start of the latest session
            previous_visit TEXT  -- the start of the one before: what is new is newer
        );
        CREATE TABLE desk_sessions (
            key TEXT PRIMARY KEY,  -- SHA-256 of the cookie's session key
            editor TEXT NOT NULL REFERENCES editors (name) ON DELETE CASCADE,
            csrf TEXT NOT NULL,
            started_at TEXT NOT NULL,
            seen_at TEXT NOT NULL,
            notice TEXT NOT NULL DEFAULT ''  -- said on the next page, once
        );
        CREATE INDEX desk_sessions_editor ON desk_sessions (editor);
        CREATE TABLE desk_log (  -- what each editor did on the desk besides deciding
            id INTEGER PRIMARY KEY,
            editor TEXT NOT NULL,
            at TEXT NOT NULL,
            action TEXT NOT NULL,  -- "saved", "arranged", "published", "sent to 2"...
            target TEXT NOT NULL  -- a file under content/, or a week
        );
        CREATE INDEX desk_log_target ON desk_log (target, id);
        CREATE INDEX decisions_who ON decisions (who, id);
        """,
    )


def _v12(db: sqlite3.Connection) -> None:
    """The welcome email: queued when a reader confirms, in the same transaction, and kept
    until the mail server has taken it (retried like a confirmation)."""
    _script(
        db,
        """
        CREATE TABLE welcomes (
            subscriber_id INTEGER PRIMARY KEY,  -- one welcome waiting per reader at most
            queued_at TEXT NOT NULL,
            next_attempt TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT
        );
        CREATE INDEX welcomes_due ON welcomes (next_attempt);
        """,
    )


def _v13(db: sqlite3.Connection) -> None:
    """Clicks on the digest's links, counted by the subscription service per issue, story
    and link: how many, and when the first and the last came; never who clicked."""
    _script(
        db,
        """
        CREATE TABLE clicks (
            week TEXT NOT NULL,
            story TEXT NOT NULL,  -- the article's slug, or '' for the issue's other links
            url TEXT NOT NULL,
            count INTEGER NOT NULL,
            first_at TEXT NOT NULL,
            last_at TEXT NOT NULL,
            PRIMARY KEY (week, story, url)
        );
        """,
    )


def _v14(db: sqlite3.Connection) -> None:
    """Scheduled sends (`brief send WEEK --at`, sent by `brief due`): one per issue, with
    who asked, when it is due, and what became of it."""
    _script(
        db,
        """
        CREATE TABLE schedules (
            week TEXT PRIMARY KEY,
            at TEXT NOT NULL,  -- when it is due, UTC
            state TEXT NOT NULL
                CHECK (state IN ('scheduled', 'sending', 'sent', 'cancelled')),
            made_at TEXT NOT NULL,
            made_by TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            outcome TEXT NOT NULL DEFAULT ''  -- the send's summary, or why it waits
        );
        """,
    )


def _v15(db: sqlite3.Connection) -> None:
    """What each reader follows (companies of the watchlist, sections), chosen on their
    preferences page: their digest puts those stories first."""
    _script(
        db,
        """
        CREATE TABLE follows (
            subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
            kind TEXT NOT NULL CHECK (kind IN ('entity', 'section')),
            name TEXT NOT NULL,  -- the company's name in the watchlist, or the section's
            PRIMARY KEY (subscriber_id, kind, name)
        );
        """,
    )


MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = [
    _v1, _v2, _v3, _v4, _v5, _v6, _v7, _v8, _v9, _v10, _v11, _v12, _v13, _v14, _v15,
]  # fmt: skip
SCHEMA_VERSION = len(MIGRATIONS)


def migrate(db: sqlite3.Connection, path: Path) -> None:
    """Bring the store at `path` to SCHEMA_VERSION (a newer store is refused).

    Several processes may open a new store at the same moment (the service's requests, a
    scrape, a send): one migrates under SQLite's write lock, in one transaction, and the
    others wait for it, then find the work done.
    """
    if _version(db, path) == SCHEMA_VERSION:
        return
    db.execute("BEGIN IMMEDIATE")
    try:
        version = _version(db, path)
        for number, migration in enumerate(MIGRATIONS[version:], version + 1):
            migration(db)
            db.execute(f"PRAGMA user_version = {number}")
        db.commit()
    except BaseException:
        db.rollback()
        raise


def _version(db: sqlite3.Connection, path: Path) -> int:
    version = int(db.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise StoreError(f"{path}: made by a newer brief (schema {version}); upgrade brief")
    return version


def _script(db: sqlite3.Connection, script: str) -> None:
    """Run a migration's SQL statement by statement inside the open transaction
    (`executescript` would commit first, and leave a half-made schema to a racing process)."""
    statement = ""
    for line in script.splitlines(keepends=True):
        statement += line
        if sqlite3.complete_statement(statement):
            db.execute(statement)
            statement = ""
    if statement.strip():
        db.execute(statement)
