"""The store: one SQLite file (WAL), safe to interrupt at any point.

One facade over storage split by domain, as lemon24/reader splits its storage: `sources`
(fetch state), `stories` (candidates, clusters, triage queries), `decisions` (the editor's
log), `deliveries` (who received which issue), `subscribers` and `signups` (the service's
confirmation queue), `welcomes` (welcome emails waiting for the mail server), `clicks`
(the digest's links clicked, per issue and story), `schedules` (sends to make later),
`follows` (the companies and sections each reader follows),
`editors`
(the web desk's editors and their sessions). Every table is made by the migrations in
`schema.py`. Each source's items and its new fetch state commit
in one transaction, so a scrape killed at any moment (even kill -9) leaves the store as it
was before that source.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from scrapers.errors import StoreError
from scrapers.storage.clicks import Clicks
from scrapers.storage.decisions import Decisions
from scrapers.storage.deliveries import Deliveries
from scrapers.storage.editors import Editors
from scrapers.storage.follows import Follows
from scrapers.storage.schedules import Schedules
from scrapers.storage.schema import migrate
from scrapers.storage.signups import Signups
from scrapers.storage.sources import Sources
from scrapers.storage.stories import Stories, StoryQuery
from scrapers.storage.subscribers import Subscribers
from scrapers.storage.welcomes import Welcomes

__all__ = ["Store", "StoryQuery", "open_store", "store_error"]


class Store:
    """The store's parts, sharing one connection. Use `open_store()`."""

    def __init__(self, connection: sqlite3.Connection, path: Path):
        self._db = connection
        self.path = path
        self.sources = Sources(connection)
        self.stories = Stories(connection)
        self.decisions = Decisions(connection)
        self.deliveries = Deliveries(connection)
        self.subscribers = Subscribers(connection)
        self.signups = Signups(connection)
        self.editors = Editors(connection)
        self.welcomes = Welcomes(connection)
        self.clicks = Clicks(connection)
        self.schedules = Schedules(connection)
        self.follows = Follows(connection)

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """A write transaction: committed at the end, rolled back on an error. It takes the
        write lock first (BEGIN IMMEDIATE), waiting its turn behind the other writers (the
        desk, the service, a scrape, a send): a transaction that read first and wrote
        second would instead be refused at once whenever another wrote in between. Inside
        another transaction, it is part of that one."""
        if self._db.in_transaction:
            yield
            return
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.rollback()
            raise
        self._db.commit()

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """A part of the current transaction that fails alone: on an error, what it wrote is
        undone and the error goes on; the rest of the transaction stands."""
        if not self._db.in_transaction:
            self._db.execute("BEGIN IMMEDIATE")  # else it would be a transaction of its own
        self._db.execute("SAVEPOINT part")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK TO part")
            self._db.execute("RELEASE part")
            raise
        self._db.execute("RELEASE part")

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
        _write_ahead_log(db)
        db.execute("PRAGMA synchronous = NORMAL")
        db.execute("PRAGMA foreign_keys = ON")
        migrate(db, path)
        yield Store(db, path)
    except sqlite3.Error as err:
        raise store_error(path, err) from err
    finally:
        db.close()


def _write_ahead_log(db: sqlite3.Connection, patience: float = 30.0) -> None:
    """Put the store in WAL mode (once per file: it stays). Switching may fail at once with
    "locked", without SQLite's busy wait, while another connection opens the same new file:
    then wait and try again, as the busy timeout would."""
    deadline = time.monotonic() + patience
    while True:
        try:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err).lower() or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


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
