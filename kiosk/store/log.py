"""The event log and the visits derived from it.

Events are appended, never changed. In the same transaction as each append, the visits those
events touch are re-folded (kiosk.core.visits.fold) and their rows in ``visits`` and ``badges``
rewritten, so queries never fold at read time and the two can never disagree.

Re-folding a visit does not re-read it whole each time: the log keeps the fold of the visits it
touched last (kiosk.core.visits.OpenFold, with the highest rowid it has folded) and applies only
the visit's rows after that rowid, in the same transaction. A fresh device pulling a long visit
page by page thus reads each event once; only events that sort before what was already applied
(another device's clock behind) make it fold the visit again from all its events. A kept fold is
put back only after its transaction commits, so a rolled-back one is never remembered; and as it
reads the rows past its rowid, whatever else wrote to the file meanwhile (another thread or
process) is folded in too. Events are never deleted: anything that did would have to forget().
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
import time
from collections import OrderedDict
from typing import Any, Callable, Iterable, Mapping

from kiosk.core.events import Event, decode_data, encode_data, new_id
from kiosk.core.visits import ON_SITE_STATES, Badge, OpenFold, Visit
from kiosk.store.db import Database

_EVENT_COLUMNS = "event_id, site, device, seq, ts, kind, visit_id, data"
OPEN_FOLDS = 256  # visits whose fold is kept between transactions (the most recently touched)


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def _row_to_event(row: tuple) -> Event:
    event_id, site, device, seq, ts, kind, visit_id, data = row
    return Event(event_id, site, device, seq, ts, kind, visit_id, decode_data(data))


def visit_to_json(visit: Visit) -> str:
    return json.dumps(dataclasses.asdict(visit), ensure_ascii=False, separators=(",", ":"))


def visit_from_json(text: str) -> Visit:
    raw = json.loads(text)
    raw["badges"] = tuple(Badge(**b) for b in raw["badges"])
    for key in ("complaints", "notified", "notify_failed", "messages", "reasons", "watchlist"):
        raw[key] = tuple(raw.get(key, ()))
    return Visit(**raw)


class EventLog:
    def __init__(self, db: Database, site: str, device: str, clock: Callable[[], int] = wall_clock_ms):
        self.db = db
        self.site = site
        self.device = device
        self._clock = clock
        self._lock = threading.Lock()
        self._open: OrderedDict[str, tuple[OpenFold, int]] = OrderedDict()  # visit id: (fold, its last rowid)
        self._open_lock = threading.Lock()
        last = db.read("SELECT MAX(ts) FROM events WHERE site = ? AND device = ?", (site, device))[0][0]
        self._last_ts = last or 0

    def _now(self) -> int:
        # Never step backwards on our own device, even if the wall clock does: our events
        # must replay in the order we wrote them.
        with self._lock:
            self._last_ts = max(self._clock(), self._last_ts)
            return self._last_ts

    def record(self, *specs: tuple[str, str, Mapping[str, Any]],
               unless: Callable[[Visit | None], bool] | None = None,
               also: Callable[[sqlite3.Connection, list[Event]], None] | None = None) -> list[Event]:
        """Append this device's events, given as (kind, visit_id, data), in one durable
        transaction; returns them once they are on disk. With ``unless``, nothing is written
        (and [] returned) if it holds for the first spec's visit as it stands inside the
        transaction: a check no other writer can slip in front of. ``also`` writes what must
        stand or fall with the events (the outbox's notices) in the same transaction."""
        with self.db.write() as conn:
            if unless is not None:
                row = conn.execute("SELECT doc FROM visits WHERE visit_id = ?", (specs[0][1],)).fetchone()
                if unless(visit_from_json(row[0]) if row else None):
                    return []
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events WHERE site = ? AND device = ?",
                               (self.site, self.device)).fetchone()[0]
            ts = self._now()
            events = [Event(new_id(), self.site, self.device, seq + i, ts, kind, visit_id, dict(data))
                      for i, (kind, visit_id, data) in enumerate(specs, start=1)]
            self._insert(conn, events)
            folded = self._materialise(conn, {e.visit_id for e in events})
            if also is not None:
                also(conn, events)
        self._keep(folded)
        return events

    def ingest(self, events: Iterable[Event]) -> list[Event]:
        """Add events written elsewhere (sync); those already here are skipped. Returns the new ones."""
        with self.db.write() as conn:
            new = [e for e in events if self._insert(conn, [e])]
            folded = self._materialise(conn, {e.visit_id for e in new})
        self._keep(folded)
        return new

    @staticmethod
    def _insert(conn: sqlite3.Connection, events: list[Event]) -> bool:
        cursor = conn.executemany(
            f"INSERT OR IGNORE INTO events ({_EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(e.event_id, e.site, e.device, e.seq, e.ts, e.kind, e.visit_id, encode_data(e.data)) for e in events])
        return cursor.rowcount > 0

    def _materialise(self, conn: sqlite3.Connection, visit_ids: Iterable[str]) -> dict[str, tuple[OpenFold, int]]:
        """Rewrite these visits' rows from their events; returns their folds, to keep once committed."""
        folded = {}
        for visit_id in visit_ids:
            with self._open_lock:
                kept = self._open.pop(visit_id, None)  # back only if this transaction commits
            folded[visit_id] = self._folded(conn, visit_id, kept)
            visit = folded[visit_id][0].visit()
            conn.execute(
                "INSERT OR REPLACE INTO visits (visit_id, state, site, name, company, signed_in_at, signed_out_at, doc)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (visit.visit_id, visit.state, visit.site, visit.visitor.get("name", ""),
                 visit.visitor.get("company", ""), visit.signed_in_at, visit.signed_out_at, visit_to_json(visit)))
            conn.executemany("INSERT OR REPLACE INTO badges (badge_id, visit_id, revoked) VALUES (?, ?, ?)",
                             [(b.badge_id, visit_id, b.revoked) for b in visit.badges])
        return folded

    @staticmethod
    def _folded(conn: sqlite3.Connection, visit_id: str, kept: tuple[OpenFold, int] | None) -> tuple[OpenFold, int]:
        """The visit's fold over all its events now in the log, and the last rowid it holds."""
        if kept is not None:
            state, upto = kept
            rows = conn.execute(f"SELECT rowid, {_EVENT_COLUMNS} FROM events WHERE visit_id = ? AND rowid > ?"
                                " ORDER BY rowid", (visit_id, upto)).fetchall()
            if state.extend(_row_to_event(row[1:]) for row in rows):
                return state, rows[-1][0] if rows else upto
        rows = conn.execute(f"SELECT rowid, {_EVENT_COLUMNS} FROM events WHERE visit_id = ? ORDER BY rowid",
                            (visit_id,)).fetchall()
        return OpenFold(_row_to_event(row[1:]) for row in rows), rows[-1][0]

    def _keep(self, folded: dict[str, tuple[OpenFold, int]]) -> None:
        with self._open_lock:
            for visit_id, kept in folded.items():
                self._open[visit_id] = kept
                self._open.move_to_end(visit_id)
            while len(self._open) > OPEN_FOLDS:
                self._open.popitem(last=False)

    def forget(self) -> None:
        """Drop every kept fold: the next write folds its visits from the log again."""
        with self._open_lock:
            self._open.clear()

    def visit(self, visit_id: str) -> Visit | None:
        rows = self.db.read("SELECT doc FROM visits WHERE visit_id = ?", (visit_id,))
        return visit_from_json(rows[0][0]) if rows else None

    def visits_of_badge(self, badge_id: str) -> list[Visit]:
        """Visits that issued this badge id: normally one; badge numbers are short enough to
        type, so over years of visits two may share one."""
        rows = self.db.read("SELECT v.doc FROM badges b JOIN visits v ON v.visit_id = b.visit_id"
                            " WHERE b.badge_id = ? ORDER BY v.signed_in_at DESC", (badge_id,))
        return [visit_from_json(doc) for (doc,) in rows]

    def visits_in(self, states: Iterable[str]) -> list[Visit]:
        states = sorted(states)
        marks = ",".join("?" * len(states))
        rows = self.db.read(f"SELECT doc FROM visits WHERE state IN ({marks}) ORDER BY signed_in_at, visit_id", states)
        return [visit_from_json(doc) for (doc,) in rows]

    def latest_visit_by_phone(self, phone: str) -> Visit | None:
        rows = self.db.read("SELECT doc FROM visits WHERE json_extract(doc, '$.visitor.phone') = ?"
                            " ORDER BY signed_in_at DESC LIMIT 1", (phone,))
        return visit_from_json(rows[0][0]) if rows else None

    def signed_out_since(self, since_ms: int) -> list[Visit]:
        rows = self.db.read("SELECT doc FROM visits WHERE state = 'signed_out' AND signed_out_at >= ?"
                            " ORDER BY signed_out_at DESC", (since_ms,))
        return [visit_from_json(doc) for (doc,) in rows]

    def search(self, text: str, since_ms: int | None, until_ms: int | None, limit: int) -> list[Visit]:
        """Visits whose visitor name, company or host name holds ``text``, or whose phone ends
        with it; newest first, optionally within a time range of signing in."""
        like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self.db.read(
            "SELECT doc FROM visits WHERE (name LIKE :like ESCAPE '\\' OR company LIKE :like ESCAPE '\\'"
            " OR json_extract(doc, '$.host.name') LIKE :like ESCAPE '\\'"
            " OR (:digits != '' AND json_extract(doc, '$.visitor.phone') LIKE '%' || :digits))"
            " AND signed_in_at >= :since AND signed_in_at < :until ORDER BY signed_in_at DESC LIMIT :limit",
            {"like": like, "digits": text if text.isdigit() and len(text) >= 3 else "", "since": since_ms or 0, "until": until_ms or 2**62, "limit": limit})
        return [visit_from_json(doc) for (doc,) in rows]

    def count_in(self, states: Iterable[str]) -> int:
        states = sorted(states)
        return self.db.read(f"SELECT COUNT(*) FROM visits WHERE state IN ({','.join('?' * len(states))})", states)[0][0]

    def on_site(self) -> list[Visit]:
        return self.visits_in(ON_SITE_STATES)

    def events(self, visit_id: str) -> list[Event]:
        rows = self.db.read(f"SELECT {_EVENT_COLUMNS} FROM events WHERE visit_id = ? ORDER BY rowid", (visit_id,))
        return [_row_to_event(r) for r in rows]

    def own_events_after(self, rowid: int, limit: int) -> list[tuple[int, Event]]:
        """This device's events after a local position, for pushing: (rowid, event) pairs."""
        rows = self.db.read(f"SELECT rowid, {_EVENT_COLUMNS} FROM events WHERE site = ? AND device = ? AND rowid > ?"
                            " ORDER BY rowid LIMIT ?", (self.site, self.device, rowid, limit))
        return [(row[0], _row_to_event(row[1:])) for row in rows]

    def count_own_events_after(self, rowid: int) -> int:
        return self.db.read("SELECT COUNT(*) FROM events WHERE site = ? AND device = ? AND rowid > ?",
                            (self.site, self.device, rowid))[0][0]

    def count_events(self) -> int:
        return self.db.read("SELECT COUNT(*) FROM events")[0][0]
