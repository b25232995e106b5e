"""Bounds on what one device can make the server and the site's other devices do: events per
visit (protocol.MAX_VISIT_EVENTS) here, pushes and pulls per device over time in
sync.server.ratelimit.

Every device folds every visit of its site, and the server folds the visits each push touches,
so one device token pushing tens of thousands of events for one visit made every fresh device's
sync and the server's projection re-read them all. Each device's share of a visit is capped (its
own live events, ``over_cap``): an event past it is refused alone, naming the visit, and the rest
of the push is stored. The cap is per device, not per visit, so that a device token flooding a
visit (an exit post may write ``rated`` to any visit) fills only its own share and cannot stop
the honest devices from signing that visitor out; a visit holds at most the cap times the
site's devices, and a device's first sign-out of a visit is stored even past its share. And the
projection takes at most PROJECT_BUDGET events to fold again per transaction (``projectable``).
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

import sqlalchemy as sa

from kiosk.core.events import SIGNED_OUT, Event
from sync.protocol import MAX_VISIT_EVENTS
from sync.server.db import Database, events, tombstones

# Stored events one projection transaction may fold again (sync.server.store.project): about
# a normal chunk's worth, so a site catching up is not slowed, and a few hundred ms of the lock.
PROJECT_BUDGET = 10_000


def over_cap(db: Database, conn: sa.Connection, site: str, new: Iterable[Event],
             cap: int = MAX_VISIT_EVENTS) -> dict[str, str]:
    """The events of ``new`` (not yet stored, in push order, all of one device: a push holds
    only its device's own) that would take that device's share of their visit past ``cap``
    events, each with the reason. A device's share counts its own stored events of the visit
    that are not tombstoned: never another device's, nor the server's (its tombstones, its
    invitations), so one device token can fill only its own share and never stops the site's
    other devices from writing to a visit. A device's first ``signed_out`` of a visit is never
    refused: a visit must always be able to end (one more event per device, so still bounded).
    Run it in the push's transaction, under the site's write lock, so that the counts cannot
    change."""
    new = list(new)
    adding = Counter(e.visit_id for e in new)
    if not adding:
        return {}
    devices = {e.device for e in new}
    if len(devices) != 1:
        raise ValueError("over_cap counts one device's push")
    stored, signed_out = _shares(db, conn, site, devices.pop(), sorted(adding))
    room = {visit_id: cap - stored.get(visit_id, 0) for visit_id in adding}
    refused = {}
    for event in new:
        if event.kind == SIGNED_OUT and event.visit_id not in signed_out:
            signed_out.add(event.visit_id)  # a visit can always end, once per device
            room[event.visit_id] -= 1
            continue
        room[event.visit_id] -= 1
        if room[event.visit_id] < 0:
            refused[event.event_id] = (f"visit {event.visit_id} already holds {cap} events of this device, the "
                                       f"most one device may write to one visit (sync.protocol.MAX_VISIT_EVENTS)")
    return refused


def _shares(db: Database, conn: sa.Connection, site: str, device: str,
            visit_ids: list[str]) -> tuple[dict[str, int], set[str]]:
    """For each visit: how many live (not tombstoned) events ``device`` has stored in it, and
    the visits where one of those is a sign-out."""
    rows = conn.execute(db.prepared(_shares_query), {"site": site, "device": device, "visit_ids": visit_ids})
    counts, signed_out = {}, set()
    for row in rows:
        counts[row.visit_id] = row.n
        if row.outs:
            signed_out.add(row.visit_id)
    return counts, signed_out


def _shares_query(db: Database) -> sa.Select:
    withdrawn = sa.select(tombstones.c.event_id).where(tombstones.c.site == sa.bindparam("site"))
    outs = sa.func.sum(sa.case((events.c.kind == SIGNED_OUT, 1), else_=0))
    return (sa.select(events.c.visit_id, sa.func.count().label("n"), outs.label("outs"))
            .where(events.c.site == sa.bindparam("site"), events.c.device == sa.bindparam("device"),
                   db.one_of(events.c.visit_id, "visit_ids"), events.c.event_id.not_in(withdrawn))
            .group_by(events.c.visit_id))


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
