"""Complaints and their follow-up: what the complaints page reads and changes.

A complaint is recorded at reception or the kiosk as a ``complaint`` event of a visit
(kiosk.services.Kiosk.complain); the fold keeps only its text with the visit. The server takes
each complaint event in once, from the events the Projector has already folded (per site, up to
``projections.server_seq``, from where ``complaint_intake`` left off: an index range, never a
scan of the log), as one row of ``complaints``, with what the console adds: an owner (a console
account), a status (open, in progress, resolved), when it was resolved, and notes, which are
only ever appended. A complaint event an admin withdrew (tombstoned) is not listed.

Every change is written with its audit-log entry in the same transaction (``audit.record``).
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any, Callable

import sqlalchemy as sa

from kiosk.core import events as ev
from kiosk.core.validation import clean_text
from kiosk.errors import ValidationError
from sync.server import catchup
from sync.server.db import (Database, complaint_intake, complaint_notes, complaints, console_users, events,
                            projections, tombstones, visits)
from sync.server.errors import DatabaseError, Invalid, NotFound

log = logging.getLogger(__name__)

STATUSES = ("open", "in_progress", "resolved")
MAX_NOTE = 2000
PAGE = 200
INTAKE_BATCH = 5000


@dataclass(frozen=True)
class Complaint:
    event_id: str
    site: str
    visit_id: str
    device: str
    text: str
    recorded_at: int
    owner: str | None
    status: str
    changed_at: int | None
    resolved_at: int | None
    visitor: str  # the visit's visitor and host, as folded ("" when the visit is gone)
    host: str

    @property
    def resolution_ms(self) -> int | None:
        """How long it took from being recorded to being resolved."""
        return None if self.resolved_at is None else max(0, self.resolved_at - self.recorded_at)


@dataclass(frozen=True)
class Note:
    at: int
    who: str
    text: str


def take_in(db: Database, site: str) -> None:
    """Take in the site's complaint events folded since the last time (a no-op when none). A
    database that cannot write just now leaves the list as taken in so far (logged)."""
    catchup.catch_up(db, site)
    try:
        _take_in(db, site)
    except DatabaseError as e:
        log.warning("complaints of site %s not taken in just now: %s", site, e)


def _take_in(db: Database, site: str) -> None:
    while True:
        with db.write(serialise_on=f"complaints {site}") as conn:
            done = conn.execute(sa.select(complaint_intake.c.server_seq)
                                .where(complaint_intake.c.site == site)).scalar() or 0
            folded = conn.execute(sa.select(projections.c.server_seq).where(projections.c.site == site)).scalar() or 0
            if folded <= done:
                return
            upto = min(folded, done + INTAKE_BATCH)
            found = conn.execute(sa.select(events.c.event_id, events.c.visit_id, events.c.device, events.c.ts,
                                           events.c.data)
                                 .where(events.c.site == site, events.c.server_seq > done,
                                        events.c.server_seq <= upto, events.c.kind == ev.COMPLAINT)).all()
            if found:
                rows = [{"event_id": r.event_id, "site": site, "visit_id": r.visit_id, "device": r.device,
                         "text": str(ev.decode_data(r.data).get("text", "")), "recorded_at": r.ts,
                         "status": "open"} for r in found]
                conn.execute(db.insert(complaints).on_conflict_do_nothing(index_elements=["event_id"]), rows)
            mark = {"site": site, "server_seq": upto}
            conn.execute(db.insert(complaint_intake).on_conflict_do_update(index_elements=["site"], set_=mark), mark)


def forget_visit(conn: sa.Connection, site: str, visit_id: str) -> None:
    """In a purge's transaction (sync.server.purge): the visit's complaints keep their owner,
    status and times (counted), but their text and the notes written about them go, for they
    name the person."""
    taken = sa.select(complaints.c.event_id).where(complaints.c.site == site, complaints.c.visit_id == visit_id)
    conn.execute(complaint_notes.update().where(complaint_notes.c.event_id.in_(taken)).values(text=""))
    conn.execute(complaints.update().where(complaints.c.site == site, complaints.c.visit_id == visit_id)
                 .values(text=""))


@dataclass(frozen=True)
class Filter:
    sites: tuple[str, ...]
    status: str = ""
    owner: str = ""  # an account's name, or "-" for none


def listed(db: Database, chosen: Filter, limit: int = PAGE) -> list[Complaint]:
    """The complaints ``chosen`` picks, newest first."""
    for site in chosen.sites:
        take_in(db, site)
    query = _query().where(complaints.c.site.in_(chosen.sites))
    if chosen.status:
        query = query.where(complaints.c.status == chosen.status)
    if chosen.owner == "-":
        query = query.where(complaints.c.owner.is_(None))
    elif chosen.owner:
        query = query.where(complaints.c.owner == chosen.owner)
    query = query.order_by(complaints.c.recorded_at.desc(), complaints.c.event_id).limit(limit)
    with db.read() as conn:
        return [_complaint(r) for r in conn.execute(query)]


def get(db: Database, site: str, event_id: str) -> tuple[Complaint, list[Note]]:
    take_in(db, site)
    with db.read() as conn:
        row = conn.execute(_query().where(complaints.c.site == site, complaints.c.event_id == event_id)).first()
        if row is None:
            raise NotFound("no such complaint")
        notes = conn.execute(sa.select(complaint_notes).where(complaint_notes.c.event_id == event_id)
                             .order_by(complaint_notes.c.note_id)).all()
    return _complaint(row), [Note(n.at, n.who, n.text) for n in notes]


def _query() -> sa.Select:
    joined = (complaints.outerjoin(visits, sa.and_(visits.c.site == complaints.c.site,
                                                   visits.c.visit_id == complaints.c.visit_id))
              .outerjoin(tombstones, tombstones.c.event_id == complaints.c.event_id))
    return (sa.select(complaints, visits.c.name.label("visitor"), visits.c.host_name.label("host"))
            .select_from(joined).where(tombstones.c.event_id.is_(None)))


def _complaint(r: sa.Row) -> Complaint:
    return Complaint(r.event_id, r.site, r.visit_id, r.device, r.text, r.recorded_at, r.owner, r.status,
                     r.changed_at, r.resolved_at, r.visitor or "", r.host or "")


def change(db: Database, site: str, event_id: str, who: str, now: int, *, owner: str | None, status: str,
           note: str, owners: Callable[[], list[str]], logged: Callable[[sa.Connection, dict[str, Any]], None]) -> bool:
    """Set the owner and status and append a note (any of them); ``logged(conn, changes)`` writes
    the audit entry in the same transaction. False when nothing changed."""
    if status not in STATUSES:
        raise Invalid(f"status must be one of {', '.join(STATUSES)}")
    try:
        note = clean_text(note, "note", MAX_NOTE)
    except ValidationError as e:
        raise Invalid(str(e)) from None
    owner = owner or None
    if owner is not None and owner not in owners():
        raise Invalid(f"{owner} cannot own complaints of site {site}")
    get(db, site, event_id)  # NotFound for a withdrawn or unknown one
    with db.write(serialise_on=f"complaint {event_id}") as conn:  # the current state read where it is changed
        current = conn.execute(sa.select(complaints.c.owner, complaints.c.status)
                               .where(complaints.c.event_id == event_id)).one()
        changes: dict[str, Any] = {}
        if owner != current.owner:
            changes["owner"] = owner or ""
        if status != current.status:
            changes["status"] = status
        if note:  # the audit log says a note was added; the text stays in complaint_notes, which a
            changes["note_added"] = len(note)  # purge can empty (the append-only log could not)
        if not changes:
            return False
        values: dict[str, Any] = {"owner": owner, "status": status, "changed_at": now}
        if "status" in changes:
            values["resolved_at"] = now if status == "resolved" else None
        conn.execute(complaints.update().where(complaints.c.event_id == event_id).values(**values))
        if note:
            conn.execute(complaint_notes.insert().values(event_id=event_id, at=now, who=who, text=note))
        logged(conn, changes)
    return True


def possible_owners(db: Database, site: str) -> list[str]:
    """The accounts that may act on the site's complaints: admins and reception that see it."""
    with db.read() as conn:
        rows = conn.execute(sa.select(console_users.c.name, console_users.c.sites)
                            .where(console_users.c.role.in_(("admin", "reception")))
                            .order_by(console_users.c.name)).all()
    return [r.name for r in rows if r.sites is None or site in json.loads(r.sites)]
