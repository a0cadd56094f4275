"""The editor's decisions: who decided what and when, kept as a log so any can be undone."""

from __future__ import annotations

import sqlite3
from datetime import datetime

from scrapers.errors import StoreError
from scrapers.records import ACTIONS, Action, Decision, Status
from scrapers.storage.rows import date


class Decisions:
    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def record(
        self,
        story_id: int,
        action: Action,
        when: datetime,
        who: str = "",
        article_path: str | None = None,
        batch: str | None = None,
        draft: str | None = None,
    ) -> None:
        """Set a story's status (`shortlisted` keeps it undecided, listed first) and log it
        (with the draft an unaccept deleted, so that undo can write it back)."""
        row = self._db.execute(
            "SELECT status, shortlisted FROM candidates WHERE id = ?", (story_id,)
        ).fetchone()
        if row is None:
            raise StoreError(f"no candidate #{story_id}")
        if action not in ACTIONS:
            raise StoreError(f"unknown decision {action!r}")
        status: Status = "new" if action == "shortlisted" else action
        shortlisted = 1 if action == "shortlisted" else 0
        self._db.execute(
            "INSERT INTO decisions (candidate_id, action, status_before, shortlisted_before,"
            " who, at, article_path, batch, draft) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (story_id, action, row[0], row[1], who, when.isoformat(), article_path, batch, draft),
        )
        self._db.execute(
            "UPDATE candidates SET status = ?, shortlisted = ?, decided_at = ?, decided_by = ?,"
            " article_path = CASE WHEN ? = 'new' THEN NULL ELSE COALESCE(?, article_path) END"
            " WHERE id = ?",
            (status, shortlisted, when.isoformat(), who, status, article_path, story_id),
        )

    def last(self, story_id: int | None = None, by: str | None = None) -> Decision | None:
        """The latest decision (about one story, or any; by one editor, or anyone)."""
        where: list[str] = []
        params: list[object] = []
        if story_id is not None:
            where.append("candidate_id = ?")
            params.append(story_id)
        if by is not None:
            where.append("who = ?")
            params.append(by)
        sql = "SELECT * FROM decisions" + (f" WHERE {' AND '.join(where)}" if where else "")
        row = self._db.execute(sql + " ORDER BY id DESC LIMIT 1", params).fetchone()
        return None if row is None else _decision(row)

    def last_batch(self, by: str | None = None) -> list[Decision]:
        """The latest decision (by one editor, or anyone), with every decision made in the
        same batch (newest first)."""
        latest = self.last(by=by)
        if latest is None:
            return []
        if latest.batch is None:
            return [latest]
        rows = self._db.execute(
            "SELECT * FROM decisions WHERE batch = ? ORDER BY id DESC", (latest.batch,)
        )
        return [_decision(row) for row in rows]

    def forget(self, decision: Decision) -> None:
        """Drop a decision from the log without touching the story (its effect was undone)."""
        self._db.execute("DELETE FROM decisions WHERE id = ?", (decision.id,))

    def undo(self, decision: Decision) -> None:
        """Put a story back as it was before `decision`, and forget the decision: its status,
        its shortlist mark, its draft's path (an undone unaccept is accepted as that file
        again), and who decided it and when (the decision before, kept in the log)."""
        self._db.execute("DELETE FROM decisions WHERE id = ?", (decision.id,))
        before = self.last(decision.story_id)
        self._db.execute(
            "UPDATE candidates SET status = ?, shortlisted = ?,"
            " article_path = CASE WHEN ? = 'accepted' THEN COALESCE(?, article_path) END,"
            " decided_by = ?, decided_at = ? WHERE id = ?",
            (decision.status_before, int(decision.shortlisted_before), decision.status_before,
             decision.article_path, before.who if before else None,
             before.at.isoformat() if before else None, decision.story_id),
        )  # fmt: skip


def _decision(row: sqlite3.Row) -> Decision:
    return Decision(
        row["id"], row["candidate_id"], row["action"], row["status_before"],
        bool(row["shortlisted_before"]), row["who"], date(row["at"]), row["article_path"],
        row["batch"], row["draft"],
    )  # fmt: skip
