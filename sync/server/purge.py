"""Purging visits on the server: by each site's retention policy, and one person's erasure.

A purge of a visit is one transaction (docs/privacy.md): the server's ``purged`` event written
under the visit ({scope, reason}; every device pulls it and purges its own copy), every stored
event of the visit rewritten as kiosk.core.purge.stripped leaves it, the visit's row in
``visits`` folded again from them, and the visit recorded in ``purges``, so that an event of it
a device pushes later (one offline during the purge) is stripped before it is stored
(``strip_pushed``). Afterwards ``scrub`` leaves no byte of it in the files: SQLite runs with
secure_delete and its WAL is checkpointed and truncated; PostgreSQL's tables are vacuumed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

import sqlalchemy as sa

from kiosk.core import events as ev
from kiosk.core import purge as core
from kiosk.core.events import decode_data, encode_data
from kiosk.core.visits import fold, live
from sync.server import revisions, store
from sync.server.console import followup, search_index
from sync.server.db import Database, events, purges, retention, visits
from sync.server.errors import Invalid

DEFAULT = core.Retention()


@dataclass(frozen=True)
class Target:
    site: str
    visit_id: str
    scope: str


# -- policy ------------------------------------------------------------------------------------

def policy(db: Database, site: str) -> core.Retention:
    with db.read() as conn:
        row = conn.execute(sa.select(retention.c.retention_days, retention.c.sensitive_retention_days)
                           .where(retention.c.site == site)).first()
    return core.Retention(*row) if row else DEFAULT


def set_policy(db: Database, site: str, days: int, sensitive_days: int, now: int) -> core.Retention:
    try:
        chosen = core.Retention(days, sensitive_days)
    except ValueError as e:
        raise Invalid(str(e)) from None
    row = {"site": site, "retention_days": days, "sensitive_retention_days": sensitive_days, "set_at": now}
    with db.write() as conn:
        conn.execute(db.insert(retention).on_conflict_do_update(
            index_elements=["site"], set_={k: v for k, v in row.items() if k != "site"}), row)
    return chosen


# -- purging -----------------------------------------------------------------------------------

def purge_visit(db: Database, site: str, visit_id: str, scope: str, reason: str, now: int) -> bool:
    """Purge one visit (see the module's docstring); False when it was purged this far already."""
    if scope not in core.SCOPES:
        raise Invalid(f"scope must be one of {', '.join(core.SCOPES)}")

    def already(_visit) -> bool:  # decided in the purge's own transaction
        with db.read() as conn:
            held = conn.execute(sa.select(purges.c.scope).where(purges.c.site == site, purges.c.visit_id == visit_id)
                                ).scalar() or ""
        return core.stronger(scope, held) == held

    def strip(conn: sa.Connection, written: ev.Event) -> None:
        rows = conn.execute(sa.select(events.c.server_seq, events.c.kind, events.c.data)
                            .where(events.c.site == site, events.c.visit_id == visit_id)).all()
        for seq, kind, data in rows:
            held = encode_data(core.stripped(kind, decode_data(data), scope))
            if held != data:
                conn.execute(events.update().where(events.c.server_seq == seq).values(data=held))
        row = {"site": site, "visit_id": visit_id, "scope": scope, "reason": reason, "purged_at": now}
        conn.execute(db.insert(purges).on_conflict_do_update(
            index_elements=["site", "visit_id"], set_={"scope": scope, "reason": reason, "purged_at": now}), row)
        _refold(db, conn, site, visit_id)
        if scope == core.ALL:
            followup.forget_visit(conn, site, visit_id)

    return store.append(db, site, ev.PURGED, visit_id, {"scope": scope, "reason": reason}, now,
                        unless=already, also=strip) is not None


def _refold(db: Database, conn: sa.Connection, site: str, visit_id: str) -> None:
    """The visit's projected row, folded again from its stripped events in this transaction."""
    stored = [store._event(row) for row in conn.execute(db.prepared(store._visit_events_query),
                                                        {"site": site, "visit_ids": [visit_id]})]
    if stored and live(stored):
        visit = fold(stored)
        conn.execute(db.prepared(store._upsert_visits), [store._visit_row(visit)])
        search_index.index_visits(conn, [visit])  # the register's keys are the name's: gone too
    else:
        conn.execute(visits.delete().where(visits.c.site == site, visits.c.visit_id == visit_id))
        search_index.forget(conn, site, [visit_id])


def strip_pushed(conn: sa.Connection, site: str, rows: Mapping[str, dict[str, Any]], new: Iterable[str]) -> None:
    """In a push's transaction: the rows about to be stored of visits already purged, stripped
    alike (a device offline during the purge never puts the data back)."""
    new = list(new)
    touched = sorted({rows[i]["visit_id"] for i in new})
    if not touched:
        return
    scopes = dict(conn.execute(sa.select(purges.c.visit_id, purges.c.scope)
                               .where(purges.c.site == site, purges.c.visit_id.in_(touched))).all())
    for event_id in new:
        row = rows[event_id]
        if row["visit_id"] in scopes:
            row["data"] = encode_data(core.stripped(row["kind"], decode_data(row["data"]), scopes[row["visit_id"]]))


def same_when_stripped(stored: ev.Event, pushed: ev.Event) -> bool:
    """A device repeating an event the server stored and then purged sends the whole payload:
    it is the same event if it strips to what is stored."""
    scope = stored.data.get(core.MARK)
    return (scope in core.SCOPES and stored == ev.Event(**{**vars(pushed),
                                                         "data": core.stripped(pushed.kind, pushed.data, scope)}))


def due(db: Database, now: int) -> list[Target]:
    """Every visit of every site its site's policy purges now, and how far."""
    with db.read() as conn:
        policies = {site: core.Retention(d, s) for site, d, s in conn.execute(sa.select(
            retention.c.site, retention.c.retention_days, retention.c.sensitive_retention_days))}
        longest = min(p.cutoffs(now)[core.SENSITIVE] for p in [DEFAULT, *policies.values()])
        last = sa.func.max(events.c.ts)
        rows = conn.execute(
            sa.select(events.c.site, events.c.visit_id, last, sa.func.coalesce(sa.func.max(purges.c.scope), ""))
            .select_from(events.outerjoin(purges, sa.and_(purges.c.site == events.c.site,
                                                          purges.c.visit_id == events.c.visit_id)))
            .group_by(events.c.site, events.c.visit_id).having(last < longest)).all()
    found = []
    for site, visit_id, newest, already in rows:
        scope = core.due_scope(newest, already, policies.get(site, DEFAULT), now)
        if scope:
            found.append(Target(site, visit_id, scope))
    return found


def purge_due(db: Database, now: int, *, dry_run: bool = False) -> list[Target]:
    """Purge what every site's policy makes due (each visit its own transaction), then scrub."""
    targets = due(db, now)
    if not dry_run:
        for t in targets:
            purge_visit(db, t.site, t.visit_id, t.scope, "retention", now)
        if targets:
            scrub(db)
    return targets


# -- a person's erasure ------------------------------------------------------------------------

def person_visits(db: Database, *, phone: str = "", name: str = "", company: str = "") -> list[Target]:
    """Every visit, of every site, of the person with this phone number, or with this name at
    this company, as ``kiosk-server person find`` finds them (sync.server.person: the same
    matching, so an erasure reaches what a search showed); not those purged already."""
    from sync.server import person  # it reads the store, which imports this module

    if not phone.strip() and not (name.strip() and company.strip()):
        raise Invalid("name the person by --phone, or by --name and --company")
    found = person.find_person(db, person.who(phone or None, name or None, company or None))
    with db.read() as conn:
        gone = {(s, v) for s, v, scope in conn.execute(sa.select(purges.c.site, purges.c.visit_id, purges.c.scope))
                if scope == core.ALL}
    return [Target(v.site, v.visit_id, core.ALL) for v in found if (v.site, v.visit_id) not in gone]


def erase_person(db: Database, now: int, **who: str) -> list[Target]:
    """Purge every visit of one person now (see person_visits), then scrub."""
    targets = person_visits(db, **who)
    for t in targets:
        purge_visit(db, t.site, t.visit_id, core.ALL, "erasure", now)
    if targets:
        scrub(db)
    return targets


# -- the files ---------------------------------------------------------------------------------

VACUUMED = "sqlite-vacuumed-for-purges"  # a row in ``revisions``: this file was vacuumed once


def scrub(db: Database) -> None:
    """No byte of what was purged left in the database's files. SQLite zeroes what a purge
    overwrites (secure_delete on every connection): the WAL is checkpointed and truncated, and
    the file vacuumed once, for free space written before secure_delete was on. PostgreSQL keeps
    a rewritten row's old version in its pages until they are reused: VACUUM FULL rewrites the
    tables (pushes to the server wait for it; devices keep their events meanwhile)."""
    if db.kind == "sqlite" and revisions.current(db, VACUUMED):
        with db.engine.connect() as conn:
            conn.connection.dbapi_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return
    with db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        if db.kind == "sqlite":
            raw.execute("VACUUM")
            raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        else:
            raw.autocommit = True
            try:
                raw.execute("VACUUM FULL events, visits, purges, register, register_terms, register_words, "
                            "complaints, complaint_notes")
            finally:
                raw.autocommit = False
    if db.kind == "sqlite":
        with db.write() as conn:
            revisions.bump(db, conn, VACUUMED)
        with db.engine.connect() as conn:
            conn.connection.dbapi_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
