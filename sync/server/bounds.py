"""Bounds on what one device can make the server and the site's other devices do: events per
visit (protocol.MAX_VISIT_EVENTS) here, pushes and pulls per device over time in
sync.server.ratelimit.

Every device folds every visit of its site, and the server folds the visits each push touches,
so one device token pushing tens of thousands of events for one visit made every fresh device's
sync and the server's projection re-read them all. A push that would take a visit past the cap
is refused, naming the visit and the events; the rest of a site's sync is unaffected. And the
projection takes at most PROJECT_BUDGET events to fold again per transaction (``projectable``).
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

import sqlalchemy as sa

from kiosk.core.events import Event
from sync.protocol import MAX_VISIT_EVENTS
from sync.server.db import Database, events

# Stored events one projection transaction may fold again (sync.server.store.project): about
# a normal chunk's worth, so a site catching up is not slowed, and a few hundred ms of the lock.
PROJECT_BUDGET = 10_000


def over_cap(db: Database, conn: sa.Connection, site: str, new: Iterable[Event],
             cap: int = MAX_VISIT_EVENTS) -> dict[str, str]:
    """The events of ``new`` (not yet stored, in push order) that would take their visit past
    ``cap`` events, each with the reason: those after the first that fill the visit. Run it in
    the push's transaction, under the site's write lock, so that the counts cannot change."""
    new = list(new)
    adding = Counter(e.visit_id for e in new)
    if not adding:
        return {}
    stored = _stored_counts(db, conn, site, sorted(adding))
    room = {visit_id: cap - stored.get(visit_id, 0) for visit_id in adding}
    refused = {}
    for event in new:
        room[event.visit_id] -= 1
        if room[event.visit_id] < 0:
            refused[event.event_id] = (f"visit {event.visit_id} already holds {cap} events, the most one visit "
                                       f"may have (sync.protocol.MAX_VISIT_EVENTS)")
    return refused


def projectable(db: Database, conn: sa.Connection, site: str, pending: Sequence[sa.Row],
                budget: int | None = None) -> int:
    """How many of ``pending`` (rows with a visit_id, in server order) one projection
    transaction takes: those whose visits, folded again from all their events, hold at most
    ``budget`` events together (the first visit whatever its size), so that a push touching many
    full visits does not hold the site's write lock while all of them are read."""
    budget = PROJECT_BUDGET if budget is None else budget
    first_seen = list(dict.fromkeys(row.visit_id for row in pending))
    taken: set[str] = set()
    total = 0
    for start in range(0, len(first_seen), 64):  # counted a group at a time: stop early
        group = first_seen[start:start + 64]
        counts = _stored_counts(db, conn, site, group)
        for visit_id in group:
            total += counts.get(visit_id, 0)
            if total > budget and taken:
                return next(i for i, row in enumerate(pending) if row.visit_id == visit_id)
            taken.add(visit_id)
    return len(pending)


def _stored_counts(db: Database, conn: sa.Connection, site: str, visit_ids: list[str]) -> dict[str, int]:
    rows = conn.execute(db.prepared(_counts_query), {"site": site, "visit_ids": visit_ids})
    return {row.visit_id: row.n for row in rows}


def _counts_query(db: Database) -> sa.Select:
    return (sa.select(events.c.visit_id, sa.func.count().label("n"))
            .where(events.c.site == sa.bindparam("site"), db.one_of(events.c.visit_id, "visit_ids"))
            .group_by(events.c.visit_id))
