"""Purging visits from this device's SQLite file: by retention, and as the server says.

A purge of a visit, in one transaction (a kill -9 leaves the visit or its purge, never half):
each stored event of the visit is rewritten as kiosk.core.purge.stripped leaves it, the visit
folded again from them, its rows in ``quarantine`` (pulled copies set aside) and ``outbox``
(notices naming the visitor) deleted, and the visit written into ``purges``, so that any copy
of one of its events arriving later (a pull, another device's late push) is stripped before it
is stored. Every connection runs with ``secure_delete`` (kiosk.store.db), so what a purge
overwrites is zeroed in the file; afterwards ``scrub`` checkpoints the WAL and truncates it,
and vacuums a file once when its free pages may hold older data (written before secure_delete).

Two things purge: this device's own retention policy (``purge_due``, at start and daily:
finished visits older than ``retention_days``, sensitive data older than
``sensitive_retention_days``), and the server's ``purged`` events, which the log applies as it
ingests them (``on_ingest``), in the pull's transaction, before anything of the page is shown.
"""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from typing import Iterable

from kiosk.core import events as ev
from kiosk.core import purge as core
from kiosk.core.events import Event, decode_data, encode_data
from kiosk.store.db import Database

VACUUMED = "purge.vacuumed"  # meta: this file was vacuumed since secure_delete was on
BATCH = 2000  # visits purged per transaction


@dataclass(frozen=True)
class Purged:
    visits: int  # visits purged (or due, on a dry run)
    scope: dict[str, int]  # by scope


def purge_visits(log, scopes: dict[str, str], reason: str, now: int) -> int:
    """Purge these visits (visit id: scope) in one transaction; how many were purged further."""
    with log.db.write() as conn:
        done = _purge_in(conn, log, scopes, reason, now)
    return done


def _purge_in(conn: sqlite3.Connection, log, scopes: dict[str, str], reason: str, now: int) -> int:
    if not scopes:
        return 0
    known = _purged_scopes(conn, scopes)
    scopes = {v: s for v, s in scopes.items() if core.stronger(s, known.get(v, "")) != known.get(v, "")}
    for visit_id, scope in scopes.items():
        rows = conn.execute("SELECT rowid, kind, data FROM events WHERE visit_id = ?", (visit_id,)).fetchall()
        changed = []
        for rowid, kind, data in rows:
            held = encode_data(core.stripped(kind, decode_data(data), scope))
            if held != data:
                changed.append((held, rowid))
        conn.executemany("UPDATE events SET data = ? WHERE rowid = ?", changed)
    conn.executemany("INSERT OR REPLACE INTO purges (visit_id, scope, reason, purged_at) VALUES (?, ?, ?, ?)",
                     [(visit_id, scope, reason, now) for visit_id, scope in scopes.items()])
    # Neither table has an index by visit: one pass over each, not one per visit.
    for table in ("quarantine", "outbox"):
        conn.execute(f"DELETE FROM {table} WHERE visit_id IN (SELECT visit_id FROM purges WHERE purged_at = ?"
                     " AND reason = ?)", (now, reason))
    log.refold(conn, scopes)
    return len(scopes)


def _purged_scopes(conn: sqlite3.Connection, visit_ids: Iterable[str]) -> dict[str, str]:
    ids = list(visit_ids)
    found: dict[str, str] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ",".join("?" * len(chunk))
        found.update(conn.execute(f"SELECT visit_id, scope FROM purges WHERE visit_id IN ({marks})", chunk).fetchall())
    return found


def on_ingest(conn: sqlite3.Connection, log, events: list[Event], now: int, *, set_aside: bool = False
              ) -> list[Event]:
    """Inside the ingest's transaction, before ``events`` (pulled) are stored: apply each of the
    server's ``purged`` events to what is stored already, and return the events with those of a
    purged visit stripped (the page may bring a visit's events with its purge). With
    ``set_aside`` (the page put events in quarantine), those of purged visits are dropped there."""
    if set_aside:
        conn.execute("DELETE FROM quarantine WHERE visit_id IN (SELECT visit_id FROM purges)")
    ordered = {}
    for e in events:
        if e.kind == ev.PURGED and e.device == ev.SERVER_DEVICE and e.data.get("scope") in core.SCOPES:
            ordered[e.visit_id] = core.stronger(ordered.get(e.visit_id, ""), e.data["scope"])
    if ordered:
        _purge_in(conn, log, ordered, "server", now)
        log.needs_scrub = True  # once committed: the caller scrubs the file (scrub_if_needed)
        badges = conn.execute(f"SELECT badge_id FROM badges WHERE visit_id IN ({','.join('?' * len(ordered))})",
                              list(ordered)).fetchall()
        log.purged_badges = getattr(log, "purged_badges", set()) | {b for (b,) in badges}
    touched = {e.visit_id for e in events}
    scopes = _purged_scopes(conn, touched)
    if not scopes:
        return events
    return [Event(e.event_id, e.site, e.device, e.seq, e.ts, e.kind, e.visit_id,
                  core.stripped(e.kind, e.data, scopes[e.visit_id])) if e.visit_id in scopes else e for e in events]


def due(db: Database, policy: core.Retention, now: int) -> dict[str, str]:
    """The visits this policy purges now, and how far: by each visit's newest event."""
    cut = policy.cutoffs(now)
    rows = db.read(
        "SELECT e.visit_id, MAX(e.ts) AS last, COALESCE(p.scope, '') FROM events AS e"
        " LEFT JOIN purges AS p ON p.visit_id = e.visit_id GROUP BY e.visit_id"
        " HAVING last < ? AND COALESCE(p.scope, '') != 'all'", (cut[core.SENSITIVE],))
    return {visit_id: scope for visit_id, last, already in rows
            if (scope := core.due_scope(last, already, policy, now))}


def purge_due(log, policy: core.Retention, now: int, *, dry_run: bool = False) -> Purged:
    """Purge every visit this policy makes due (in transactions of BATCH visits), then scrub the
    file; on a dry run, only say what would go."""
    pending = due(log.db, policy, now)
    counts = {scope: sum(1 for s in pending.values() if s == scope) for scope in core.SCOPES}
    if dry_run or not pending:
        return Purged(len(pending), counts)
    items = sorted(pending.items())
    for start in range(0, len(items), BATCH):
        purge_visits(log, dict(items[start:start + BATCH]), "retention", now)
    scrub(log.db)
    return Purged(len(pending), counts)


def scrub_if_needed(log) -> bool:
    """Scrub the file if an ingest applied a purge since the last time (sync, after a pull)."""
    if not getattr(log, "needs_scrub", False):
        return False
    scrub(log.db)
    log.needs_scrub = False
    return True


def scrub(db: Database, *, vacuum: bool | None = None) -> None:
    """Leave no purged byte in the file or its WAL: vacuum (once, or when asked) for free pages
    written before secure_delete was on, then checkpoint and truncate the WAL."""
    conn = db.connection()
    if vacuum or (vacuum is None and db.get_meta(VACUUMED) != "1"):
        conn.execute("VACUUM")
        db.set_meta(VACUUMED, "1")
    for _ in range(50):  # a reader in another thread or process may hold the WAL for a moment
        busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if not busy:
            return
        time.sleep(0.1)
