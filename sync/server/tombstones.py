"""Withdrawing a stored event: an admin's answer to an event that should never have been stored
(one that broke readers before the server checked payloads, or a forgery found later).

The event stays in the database, with the reason, the admin and the time (table
``tombstones``); from then on:

- GET /v1/events serves it to no device that has not pulled it yet;
- the server writes a ``tombstoned`` event of its own ({event_id, reason}) under the withdrawn
  event's visit, which every device pulls like any other. The fold (kiosk.core.visits) leaves out
  any event a server tombstone names, so a device that pulled the event before is put right by
  its next sync, in whatever order the two arrive, with no command of its own to run: the log
  stays append-only everywhere, and the withdrawal is itself on record at every device;
- the server's visits projection and export fold the visit the same way; a visit all of whose
  events are withdrawn is dropped from them.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from kiosk.core import events as ev
from kiosk.core.validation import clean_text
from kiosk.errors import ValidationError
from sync.protocol import ID
from sync.server import store
from sync.server.db import Database, events, tombstones
from sync.server.errors import Conflict, Invalid, NotFound

MAX_REASON = 500


@dataclass(frozen=True)
class Tombstone:
    event_id: str
    site: str
    visit_id: str
    kind: str
    device: str
    reason: str
    by: str
    at: int


def tombstone(db: Database, event_id: str, reason: str, by: str, now: int) -> Tombstone:
    """Withdraw one stored event (see the module's docstring); Invalid, NotFound or Conflict say
    why not."""
    if not isinstance(event_id, str) or not ID.fullmatch(event_id):
        raise Invalid("the event id is 32 lowercase hex digits")
    try:
        reason = clean_text(reason, "reason", MAX_REASON, required=True)
    except ValidationError as e:
        raise Invalid(str(e)) from None
    with db.read() as conn:
        target = conn.execute(sa.select(events.c.site, events.c.visit_id, events.c.kind, events.c.device)
                              .where(events.c.event_id == event_id)).first()
    if target is None:
        raise NotFound(f"no event {event_id} is stored")
    if target.kind == ev.TOMBSTONED:
        raise Invalid(f"event {event_id} is itself a tombstone")

    def record(conn: sa.Connection, written: ev.Event) -> None:
        # In the transaction that writes the tombstone event: withdrawn twice at once, it is once.
        if conn.execute(sa.select(tombstones.c.event_id).where(tombstones.c.event_id == event_id)).first():
            raise Conflict(f"event {event_id} is already tombstoned")
        conn.execute(tombstones.insert(), {"event_id": event_id, "site": target.site, "visit_id": target.visit_id,
                                           "reason": reason, "withdrawn_by": by, "withdrawn_at": now,
                                           "server_event_id": written.event_id})

    store.append(db, target.site, ev.TOMBSTONED, target.visit_id, {"event_id": event_id, "reason": reason}, now,
                 also=record)
    return Tombstone(event_id, target.site, target.visit_id, target.kind, target.device, reason, by, now)


def listed(db: Database, site: str | None = None) -> list[Tombstone]:
    """Every withdrawn event (of one site, or all), oldest withdrawal first."""
    query = (sa.select(tombstones, events.c.kind, events.c.device)
             .select_from(tombstones.join(events, events.c.event_id == tombstones.c.event_id))
             .order_by(tombstones.c.withdrawn_at, tombstones.c.event_id))
    if site is not None:
        query = query.where(tombstones.c.site == site)
    with db.read() as conn:
        return [Tombstone(r.event_id, r.site, r.visit_id, r.kind, r.device, r.reason, r.withdrawn_by, r.withdrawn_at)
                for r in conn.execute(query)]
