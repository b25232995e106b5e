"""This device's own events the server refused, one by one, with its reason.

A refused event stays in the log (the log is append-only, and it is what this device did) and
is never pushed again: the server said why it will never store it (kiosk.core.payloads,
kiosk.core.roles, sync.server.accept). Reception sees how many there are in the sync status,
and ``kiosk sync`` lists them. An event the server asks for again later (``retry``: dated ahead
of its clock) is not refused and never marked here: the worker pushes it again (sync.worker).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from kiosk.store.db import Database


@dataclass(frozen=True)
class Refused:
    event_id: str
    kind: str
    visit_id: str
    reason: str
    refused_at: int


class RefusedTable:
    def __init__(self, db: Database):
        self.db = db

    def add(self, refusals: Mapping[str, str], now: int) -> None:
        if not refusals:
            return
        with self.db.write() as conn:
            conn.executemany("INSERT OR IGNORE INTO refused (event_id, reason, refused_at) VALUES (?, ?, ?)",
                             [(event_id, reason, now) for event_id, reason in refusals.items()])

    def count(self) -> int:
        return self.db.read("SELECT COUNT(*) FROM refused")[0][0]

    def listed(self) -> list[Refused]:
        rows = self.db.read("SELECT r.event_id, COALESCE(e.kind, ''), COALESCE(e.visit_id, ''), r.reason, r.refused_at"
                            " FROM refused r LEFT JOIN events e ON e.event_id = r.event_id ORDER BY r.refused_at")
        return [Refused(*row) for row in rows]
