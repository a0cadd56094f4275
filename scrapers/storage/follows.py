"""What each reader follows: companies of the watchlist and sections, by name."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable

Followed = tuple[frozenset[str], frozenset[str]]  # (companies, sections)
NOTHING: Followed = (frozenset(), frozenset())


class Follows:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def set(self, subscriber_id: int, entities: Iterable[str], sections: Iterable[str]) -> None:
        """Replace what the reader follows (in the caller's transaction)."""
        self._db.execute("DELETE FROM follows WHERE subscriber_id = ?", (subscriber_id,))
        self._db.executemany(
            "INSERT OR IGNORE INTO follows (subscriber_id, kind, name) VALUES (?, ?, ?)",
            [(subscriber_id, "entity", name) for name in entities]
            + [(subscriber_id, "section", name) for name in sections],
        )

    def of(self, subscriber_id: int) -> Followed:
        return self.every([subscriber_id]).get(subscriber_id, NOTHING)

    def every(self, subscriber_ids: Iterable[int] | None = None) -> dict[int, Followed]:
        """What these readers (or all) follow; a reader who follows nothing is absent."""
        rows = self._db.execute("SELECT subscriber_id, kind, name FROM follows ORDER BY name")
        wanted = None if subscriber_ids is None else set(subscriber_ids)
        found: dict[int, tuple[set[str], set[str]]] = {}
        for subscriber_id, kind, name in rows:
            if wanted is None or subscriber_id in wanted:
                entry = found.setdefault(subscriber_id, (set(), set()))
                entry[0 if kind == "entity" else 1].add(name)
        return {key: (frozenset(e), frozenset(s)) for key, (e, s) in found.items()}
