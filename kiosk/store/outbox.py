"""The outbox: notices to hosts waiting to be delivered, kept in the device's log database.

A notice is added in the same transaction as the event it announces (a sign-in, a message),
so a crash can lose neither without the other. It stays ``waiting`` until a channel takes it;
then it is ``delivered`` or, after its last try, ``failed``, in the same transaction as the
host_notified / notify_failed event that records the outcome for every device.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Iterable

from kiosk.notify import Notice
from kiosk.store.db import Database

WAITING, DELIVERED, FAILED = "waiting", "delivered", "failed"


@dataclass(frozen=True)
class Pending:
    notice: Notice
    visit_id: str
    channel: str  # the channel's URL (secrets included: this database is the device's own, 0600)
    attempts: int


class OutboxTable:
    def __init__(self, db: Database):
        self.db = db

    @staticmethod
    def add(conn: sqlite3.Connection, entries: Iterable[tuple[Notice, str, str]], now: int) -> None:
        """Queue (notice, visit id, channel URL) entries inside the caller's transaction; a
        notice id already queued is left as it is."""
        conn.executemany("INSERT OR IGNORE INTO outbox (notice_id, visit_id, channel, notice, due_at)"
                         " VALUES (?, ?, ?, ?, ?)",
                         [(n.notice_id, visit_id, channel, json.dumps(n.to_dict(), ensure_ascii=False), now)
                          for n, visit_id, channel in entries])

    def due(self, now: int, limit: int = 50) -> list[Pending]:
        rows = self.db.read("SELECT notice, visit_id, channel, attempts FROM outbox WHERE state = ? AND due_at <= ?"
                            " ORDER BY due_at, notice_id LIMIT ?", (WAITING, now, limit))
        return [Pending(Notice.from_dict(json.loads(notice)), visit_id, channel, attempts)
                for notice, visit_id, channel, attempts in rows]

    def next_due(self) -> int | None:
        """When the earliest waiting notice is due (ms), or None when none waits."""
        return self.db.read("SELECT MIN(due_at) FROM outbox WHERE state = ?", (WAITING,))[0][0]

    @staticmethod
    def settle(conn: sqlite3.Connection, notice_id: str, state: str, error: str = "") -> None:
        conn.execute("UPDATE outbox SET state = ?, attempts = attempts + 1, last_error = ? WHERE notice_id = ?",
                     (state, error, notice_id))

    def retry_at(self, notice_id: str, due_at: int, error: str) -> None:
        with self.db.write() as conn:
            conn.execute("UPDATE outbox SET attempts = attempts + 1, due_at = ?, last_error = ? WHERE notice_id = ?",
                         (due_at, error, notice_id))

    def queued_for(self, visit_id: str) -> list[tuple[Notice, str]]:
        """Every notice queued for this visit, with its state (waiting, delivered, failed)."""
        rows = self.db.read("SELECT notice, state FROM outbox WHERE visit_id = ? ORDER BY notice_id", (visit_id,))
        return [(Notice.from_dict(json.loads(notice)), state) for notice, state in rows]

    def counts(self) -> dict[str, int]:
        """How many notices are waiting, delivered and failed."""
        found = dict(self.db.read("SELECT state, COUNT(*) FROM outbox GROUP BY state"))
        return {state: found.get(state, 0) for state in (WAITING, DELIVERED, FAILED)}
