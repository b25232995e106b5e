"""What the server keeps and answers: the event log of every site, the visits folded from it,
the sites' signing keys (the devices' and the server's own), the host directory and the
watchlist.

A push checks its events (sync.server.accept: roles, every payload's schema, one sign-in per
visit) and stores those it accepts, nothing more. The visits table is a projection of the log, brought up to date by
``project``: off the request path by a Projector, and by every read before it answers, so
answers never lag the log and a push does not pay for folding. Pushes to one site are
serialised (db.write(serialise_on=...)), and so is projecting it: server_seq follows commit
order within a site, so neither a device that pulled up to cursor N nor the projection can
miss an event that commits later with a smaller number.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections import defaultdict
from typing import Any, Callable, Iterable, Iterator, Mapping

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from kiosk.core import hlc, reuse, trust
from kiosk.core.consent import accepted_notice
from kiosk.core.masking import mask_text
from kiosk.core.events import Event, decode_data, encode_data, new_id
from kiosk.core.hosts import Host, host_from_row, host_id_for, host_row
from kiosk.core.tokens import PublicKey, key_id_of
from kiosk.core.visits import ON_SITE_STATES, Visit, fold, live
from kiosk.core.watchlist import WatchEntry
from kiosk.errors import ValidationError
from kiosk.hostcsv import host_fields
from kiosk.notify.plainhttp import NOWHERE, PlainHttp
from kiosk.store.log import visit_from_json
from kiosk.watchcsv import watch_entry
from sync.server import accept, bounds, progress, purge, revisions
from sync.server.auth import SERVER_DEVICE, Device
from sync.server.console import search_index
from sync.server.db import (Database, devices, events, hosts, keys, projections, signers, tombstones, visits,
                            watchlist)
from sync.server.errors import Conflict, Forbidden, Invalid
from sync.server.models import local_time

_EVENT_COLUMNS = [events.c[f] for f in ("event_id", "site", "device", "seq", "ts", "kind", "visit_id", "data", "hlc")]
PROJECT_CHUNK = 5000  # events folded into visits per transaction: big enough to share the commit
# kiosk.store.log.visit_to_json's form; one encoder, made once rather than per visit.
_encode_doc = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


# -- events ------------------------------------------------------------------------------------

def push(db: Database, device: Device, batch: list[Any], now: int
         ) -> tuple[list[str], list[str], list[dict], list[dict]]:
    """Store a device's batch but for the events refused one by one or to be pushed again later
    (sync.server.accept), or nothing when the batch is refused whole: (ids stored now, ids
    already stored, refusals, events to push again later)."""
    checked = accept.checked_batch(batch, device, now)
    with db.write(serialise_on=f"site {device.site}") as conn:
        # Pushes to one site run one at a time, so nothing else of this site is stored between
        # this read and the insert. (An id stored meanwhile by another site, which only a
        # forged event can reuse, fails the insert: a 409.) A plain executemany is also much
        # faster than INSERT ... ON CONFLICT ... RETURNING, which psycopg re-parses per batch.
        known = _known(checked, conn.execute(db.prepared(_stored_query), {"ids": list(checked.events)}))
        new = [event_id for event_id in checked.events if event_id not in known]
        new = accept.refuse_reopenings(conn, device.site, checked, new)
        new = accept.refuse_invitation_uses(conn, device, checked, new)
        full = bounds.over_cap(db, conn, device.site, [checked.events[event_id] for event_id in new])
        checked.refused.update(full)  # refused one by one, as any content: the device goes on
        new = [event_id for event_id in new if event_id not in full]
        purge.strip_pushed(conn, device.site, checked.rows, new)  # a purged visit's events stay purged
        if new:
            conn.execute(events.insert(), [checked.rows[event_id] for event_id in new])
    return (new, [event_id for event_id in checked.events if event_id in known], accept.report(device, checked),
            accept.retries(device, checked))


def _event_row(e: Event, data: str, now: int) -> dict[str, Any]:
    return {"event_id": e.event_id, "site": e.site, "device": e.device, "seq": e.seq, "ts": e.ts, "kind": e.kind,
            "visit_id": e.visit_id, "data": data, "received_at": now, "hlc": e.hlc}


def _event(row: sa.Row) -> Event:  # a row of _EVENT_COLUMNS
    event_id, site, device, seq, ts, kind, visit_id, data, stamp = row
    return Event(event_id, site, device, seq, ts, kind, visit_id, decode_data(data), stamp)


def _stored_query(db: Database) -> sa.Select:
    return sa.select(*_EVENT_COLUMNS).where(db.one_of(events.c.event_id, "ids"))


def _known(checked: accept.Checked, stored: Iterable[sa.Row]) -> set[str]:
    """The ids of the batch already stored. Each must carry the same event: a device reusing
    ids is a bug that would otherwise lose its event silently."""
    known = set()
    for row in stored:
        if _event(row) != checked.events[row.event_id] and not purge.same_when_stripped(
                _event(row), checked.events[row.event_id]):
            raise Conflict(f"event {row.event_id} is already stored with different content")
        known.add(row.event_id)
    return known


# -- the visits projection ---------------------------------------------------------------------

def project(db: Database, site: str, limit: int = PROJECT_CHUNK) -> bool:
    """Bring the site's visits up to date with its events, ``limit`` events at a time: fold
    again every visit that events stored since the last time touched. True when it is up to
    date. Reads call this first, so they never answer from behind the log; a Projector calls it
    off the request path, so that a push only stores events."""
    with db.read() as conn:  # the common case, up to date, without taking the site's write lock
        if _projected(conn, site) >= (_latest(conn, site) or 0):
            return True
    with db.write(serialise_on=f"site {site}") as conn:  # pushes to the site wait: nothing stored meanwhile
        done = _projected(conn, site)
        pending = conn.execute(db.prepared(_pending_query), {"site": site, "after": done, "limit": limit}).all()
        if not pending:
            return True
        take = bounds.projectable(db, conn, site, pending)  # the lock held for a bounded re-read
        complete = len(pending) < limit and take == len(pending)
        pending = pending[:take]
        touched = sorted({row.visit_id for row in pending})
        stored = conn.execute(db.prepared(_visit_events_query), {"site": site, "visit_ids": touched})
        by_visit: dict[str, list[Event]] = defaultdict(list)
        for row in stored:
            by_visit[row.visit_id].append(_event(row))
        gone = [v for v in touched if not live(by_visit[v])]  # every event of it tombstoned
        kept = [v for v in touched if v not in gone]
        folded = [fold(by_visit[v]) for v in kept]
        if kept:
            conn.execute(db.prepared(_upsert_visits), [_visit_row(visit) for visit in folded])
        if gone:
            conn.execute(visits.delete().where(visits.c.site == site, visits.c.visit_id.in_(gone)))
            search_index.forget(conn, site, gone)
        search_index.index_visits(conn, folded)  # the console's register search, in step
        upto = {"site": site, "server_seq": pending[-1].server_seq}
        conn.execute(db.insert(projections).on_conflict_do_update(index_elements=["site"], set_=upto), upto)
    return complete


def _projected(conn: sa.Connection, site: str) -> int:
    return conn.execute(sa.select(projections.c.server_seq).where(projections.c.site == site)).scalar() or 0


def _latest(conn: sa.Connection, site: str) -> int | None:
    return conn.execute(sa.select(sa.func.max(events.c.server_seq)).where(events.c.site == site)).scalar()


def project_all(db: Database, site: str | None = None) -> None:
    """Bring the visits of one site, or of every site, up to date (see project). Only the sites
    behind are visited (sync.server.progress: a seek per site, not a read of the log)."""
    for each in progress.lagging(db, site):
        while not project(db, each):
            pass


def sites(db: Database) -> list[str]:
    """Every site with an event, in order (a seek per site: sync.server.progress)."""
    return progress.sites(db)


def _pending_query(db: Database) -> sa.Select:
    return (sa.select(events.c.server_seq, events.c.visit_id)
            .where(events.c.site == sa.bindparam("site"), events.c.server_seq > sa.bindparam("after"))
            .order_by(events.c.server_seq).limit(sa.bindparam("limit")))


def _visit_events_query(db: Database) -> sa.Select:
    return sa.select(*_EVENT_COLUMNS).where(events.c.site == sa.bindparam("site"),
                                            db.one_of(events.c.visit_id, "visit_ids"))


def _upsert_visits(db: Database) -> sa.Insert:
    stmt = db.insert(visits)
    return stmt.on_conflict_do_update(index_elements=["site", "visit_id"],
                                      set_={c.name: stmt.excluded[c.name] for c in visits.c if not c.primary_key})


def _visit_row(visit: Visit) -> dict[str, Any]:
    return {"site": visit.site, "visit_id": visit.visit_id, "state": visit.state,
            "name": _text(visit.visitor, "name"), "company": _text(visit.visitor, "company"),
            "host_name": _text(visit.host, "name"), "host_department": _text(visit.host, "department"),
            "signed_in_at": visit.signed_in_at, "signed_out_at": visit.signed_out_at, "doc": _visit_doc(visit)}


def _visit_doc(visit: Visit) -> str:
    """kiosk.store.log's visit_to_json document (visit_from_json reads it), built without
    dataclasses.asdict's deep copies, which were the slowest step of a push."""
    doc = {**vars(visit), "badges": [vars(b) for b in visit.badges]}
    return _encode_doc(doc)


def _text(payload: Mapping[str, Any], key: str) -> str:
    return _str(payload.get(key))


def _str(value: Any) -> str:
    """A payload's text for a column or an answer: devices validate what visitors type, but the
    server cannot trust a device to, and PostgreSQL text cannot hold NUL."""
    return value.replace("\x00", "") if isinstance(value, str) else ""


def pull(db: Database, site: str, after: int, limit: int) -> tuple[list[dict[str, Any]], int, bool]:
    """(the site's events after cursor ``after``, in server order; the new cursor; more to come)."""
    withdrawn = sa.select(tombstones.c.event_id).where(tombstones.c.site == site)  # tombstoned: served no more
    with db.read() as conn:
        rows = conn.execute(sa.select(events.c.server_seq, *_EVENT_COLUMNS)
                            .where(*_site_after(db, site, after), events.c.event_id.not_in(withdrawn))
                            .order_by(events.c.site, events.c.server_seq).limit(limit + 1)).all()
    page = rows[:limit]
    cursor = page[-1].server_seq if page else after
    return [_event(row[1:]).to_dict() for row in page], cursor, len(rows) > limit


def _site_after(db: Database, site: str, after: int) -> tuple[sa.ColumnElement[bool], ...]:
    """The site's events after the cursor, said so that the database reads them from the site's
    range of events_site_seq. On PostgreSQL, ``site = S AND server_seq > N`` makes the site a
    constant, dropped from the order, and the planner may walk the primary key from the cursor
    instead, through every site's events and, on a last page (which never fills its limit), to
    the end of the log: its statistics end before the newest events, so it expects few there
    (348 ms at 2,000,000). Said as a row from (S, N) to the end of S, only events_site_seq holds
    the order (site, server_seq). SQLite seeks that form by the site alone, so it keeps the
    plain one, which it seeks by both."""
    if db.kind != "postgresql":
        return events.c.site == site, events.c.server_seq > after
    return (sa.tuple_(events.c.site, events.c.server_seq) > sa.tuple_(sa.literal(site), sa.literal(after)),
            events.c.site <= site)


def append(db: Database, site: str, kind: str, visit_id: str, data: Mapping[str, Any], now: int, *,
           unless: Callable[[Visit | None], bool] | None = None,
           also: Callable[[sa.Connection, Event], None] | None = None) -> Event | None:
    """Write an event of the server's own (device SERVER_DEVICE, its count at the site) into the
    site's log, where the site's devices pull it like any other; or nothing, returning None, when
    ``unless`` says so of the visit as its stored events fold (None: it has none). That is decided
    in the transaction that writes: no push to the site can come in between. ``also`` writes what
    must stand or fall with the event, in the same transaction."""
    with db.write(serialise_on=f"site {site}") as conn:  # one writer per site, as for pushes
        if unless is not None and unless(_stored_visit(db, conn, site, visit_id)):
            return None
        _add_signer(db, conn, site, now)
        seq = conn.execute(sa.select(signers.c.seq).where(signers.c.site == site)).scalar_one() + 1
        conn.execute(signers.update().where(signers.c.site == site).values(seq=seq))
        event = Event(new_id(), site, SERVER_DEVICE, seq, now, kind, visit_id, dict(data),
                      hlc.next_stamp(0, now, _latest_stamp(conn, site, visit_id)))
        conn.execute(events.insert(), _event_row(event, encode_data(event.data), now))
        if also is not None:
            also(conn, event)
    return event


def _latest_stamp(conn: sa.Connection, site: str, visit_id: str) -> int:
    """The visit's latest event in the causal order (kiosk.core.hlc.order_stamp; 0: none): the
    server's own event for it sorts after every one it was decided on, whatever their clocks."""
    order = sa.case((events.c.hlc > 0, events.c.hlc), else_=events.c.ts * (1 << hlc.COUNTER_BITS))
    return conn.execute(sa.select(sa.func.coalesce(sa.func.max(order), 0))
                        .where(events.c.site == site, events.c.visit_id == visit_id)).scalar_one()


def _stored_visit(db: Database, conn: sa.Connection, site: str, visit_id: str) -> Visit | None:
    """The visit as its stored events fold now (the projection may lag them)."""
    stored = [_event(row) for row in conn.execute(db.prepared(_visit_events_query),
                                                  {"site": site, "visit_ids": [visit_id]})]
    return fold(stored) if stored else None


def visit_events(db: Database, site: str, visit_id: str) -> list[Event]:
    """Every stored event of one visit, tombstoned ones too, in the order the fold replays them."""
    with db.read() as conn:
        rows = conn.execute(db.prepared(_visit_events_query), {"site": site, "visit_ids": [visit_id]})
        return sorted((_event(row) for row in rows), key=Event.order_key)


def count_events(db: Database) -> int:
    """How many events are stored, as the newest one's server sequence number: the end of the
    primary key's index, where a COUNT read every event (on PostgreSQL a number that a write
    rolled back used up is skipped: an upper bound there)."""
    with db.read() as conn:
        return conn.execute(sa.select(sa.func.max(events.c.server_seq))).scalar() or 0


# -- visits ------------------------------------------------------------------------------------

def get_visit(db: Database, site: str, visit_id: str) -> Visit | None:
    """One visit of the site, from the visits projection (brought up to date first)."""
    project_all(db, site)
    with db.read() as conn:
        doc = conn.execute(sa.select(visits.c.doc).where(visits.c.site == site, visits.c.visit_id == visit_id)).scalar()
    return None if doc is None else visit_from_json(doc)


def find_visits(db: Database, site: str | None, on_site: bool, since_ms: int | None,
                until_ms: int | None, *, fold: bool = True) -> list[dict[str, Any]]:
    """Visits of one site (or all), on site now and/or signed in within [since, until); brought
    up to date first unless ``fold`` is False (the caller did: sync.server.catchup)."""
    query = sa.select(*(visits.c[name] for name in _LISTED))
    if site is not None:
        query = query.where(visits.c.site == site)
    if on_site:
        # Sorted here, not by the database: ordered by sign-in, a site's on-site visits were found
        # by reading all its visits in that order (the planner's choice on SQLite), where the
        # state's index finds just the people on site (a few, whatever the history).
        query = query.where(visits.c.state.in_(sorted(ON_SITE_STATES)))
    else:
        query = query.order_by(visits.c.signed_in_at.nulls_last(), visits.c.site, visits.c.visit_id)
    if since_ms is not None:
        query = query.where(visits.c.signed_in_at >= since_ms)
    if until_ms is not None:
        query = query.where(visits.c.signed_in_at < until_ms)
    if fold:
        project_all(db, site)
    with db.read() as conn:
        found = conn.execute(query).all()
    if on_site:
        found.sort(key=lambda r: (r.signed_in_at is None, r.signed_in_at or 0, r.site, r.visit_id))
    return [{"site": r.site, "visit_id": r.visit_id, "state": r.state, "name": r.name, "company": r.company,
             "host": r.host_name, "department": r.host_department, "signed_in_at": local_time(r.signed_in_at),
             "signed_out_at": local_time(r.signed_out_at)} for r in found]


_LISTED = ("site", "visit_id", "state", "name", "company", "host_name", "host_department", "signed_in_at",
           "signed_out_at")


EXPORT_BATCH = 1000  # visits fetched at a time while exporting: the export's memory, whatever the log's size
# An invitation's visit with a use, as kiosk.store.log.visit_to_json writes it (compact JSON): a
# non-empty list. Only these can be shared; the others are not parsed in the first pass.
_HAS_USES = '%"invitation_uses":["%'


def export_rows(db: Database, site: str | None, *, fold: bool = True) -> Iterator[dict[str, Any]]:
    """Every visit of every site (or of one) for the audit export, in sign-in order, one at a
    time: read through one snapshot a batch at a time (a server-side cursor on PostgreSQL), so
    that an export of millions of visits takes the memory of a batch. The visits are brought up
    to date here (unless ``fold`` is False, as in find_visits), before the first row, so that a
    failure to do so is an error, not a cut file."""
    if fold:
        project_all(db, site)
    return _export_stream(db, site)


def _export_stream(db: Database, site: str | None) -> Iterator[dict[str, Any]]:
    query = sa.select(visits.c.doc).order_by(visits.c.site, visits.c.signed_in_at.nulls_last(), visits.c.visit_id)
    if site is not None:
        query = query.where(visits.c.site == site)
    with db.read() as conn:
        shared = _shared_invitations(conn, site)
        for doc in conn.execution_options(yield_per=EXPORT_BATCH).execute(query).scalars():
            v = visit_from_json(doc)
            yield _export_row(v, shared.get((v.site, v.visit_id), ()))


def _shared_invitations(conn: sa.Connection, site: str | None) -> dict[tuple[str, str], tuple[Mapping[str, Any], ...]]:
    """For each visit (by site and id) of an invitation used more than once, the other visits that
    used it (kiosk.core.reuse): the export holds every visit, the invitations' too. Few visits
    have such a mark (two kiosks cut off from each other took one invitation), so they are kept."""
    query = sa.select(visits.c.doc).where(visits.c.doc.like(_HAS_USES))
    if site is not None:
        query = query.where(visits.c.site == site)
    reused = []
    for doc in conn.execution_options(yield_per=EXPORT_BATCH).execute(query).scalars():
        invitation = visit_from_json(doc)
        if len(invitation.invitation_uses) > 1:
            reused.append(invitation)
    marks: dict[tuple[str, str], tuple[Mapping[str, Any], ...]] = {}
    for invitation in reused:
        found = conn.execute(sa.select(visits.c.doc).where(visits.c.site == invitation.site,
                                                           visits.c.visit_id.in_(invitation.invitation_uses)))
        uses = {v.visit_id: v for v in map(visit_from_json, found.scalars())}
        for visit_id, mark in reuse.shared(invitation, uses).items():
            marks[(invitation.site, visit_id)] = mark.others
    return marks


def _export_row(v: Visit, shared: tuple[Mapping[str, Any], ...] = ()) -> dict[str, Any]:
    return {"site": v.site, "visit_id": v.visit_id, "state": v.state, "name": _text(v.visitor, "name"),
            "company": _text(v.visitor, "company"), "purpose": mask_text(_text(v.visitor, "purpose")),
            "host": _text(v.host, "name"), "department": _text(v.host, "department"),
            "signed_in_at": local_time(v.signed_in_at), "host_met_at": local_time(v.host_met_at),
            "signed_out_at": local_time(v.signed_out_at), "signed_out_by": _str(v.signed_out_by), "rating": v.rating,
            "invite_id": v.invite_id, "invitation_used_more_than_once": bool(shared),
            "invitation_also_used_by": [other["visit_id"] for other in shared],
            "signed_out_twice": v.signed_out_twice, "also_signed_out_by": [_str(o.get("device")) for o in v.other_sign_outs],
            "privacy_notice": _str((accepted_notice(v.consents) or {}).get("version"))}


# -- keys --------------------------------------------------------------------------------------

def register_key(db: Database, device: Device, key_id: str, public_key: str, now: int) -> dict[str, Any]:
    """Register one of this device's signing keys (idempotent); another device's key id is refused,
    and so is any key of a device whose role signs nothing (an exit post: kiosk.core.trust)."""
    if device.role not in trust.KEY_HOLDERS:
        raise Forbidden(f"an {device.role} device holds no signing key: it verifies badges and never issues them, "
                        "so it may not register a key")
    raw = _public_key(key_id, public_key)
    with db.write() as conn:
        conn.execute(db.insert(keys).on_conflict_do_nothing(index_elements=["key_id"]),
                     {"key_id": key_id, "site": device.site, "device": device.name, "public_key": raw,
                      "registered_at": now})
        stored = conn.execute(sa.select(keys).where(keys.c.key_id == key_id)).one()
    if (stored.site, stored.device, bytes(stored.public_key)) != (device.site, device.name, raw):
        raise Conflict(f"key id {key_id} is already registered to another device or key")
    return {"key_id": key_id, "public_key": public_key, "site": device.site, "device": device.name, "revoked": False,
            "role": device.role}


def _public_key(key_id: str, text: str) -> bytes:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid("public_key must be standard base64") from None
    if len(raw) != 32:
        raise Invalid(f"public_key must be the raw 32-byte Ed25519 key (got {len(raw)} bytes)")
    if key_id_of(Ed25519PublicKey.from_public_bytes(raw)) != key_id:
        raise Invalid("key_id is not the id of this public key (kiosk.core.tokens.key_id_of)")
    return raw


def device_keys(db: Database, site: str) -> list[PublicKey]:
    """The public keys the site's devices registered, each with its device's role; those of
    revoked devices come back revoked, and so do those an exit post registered before exit posts
    were refused keys (kiosk.core.trust): devices that stored one never trust it again."""
    joined = keys.join(devices, sa.and_(keys.c.site == devices.c.site, keys.c.device == devices.c.name))
    query = (sa.select(keys, devices.c.revoked_at, devices.c.role).select_from(joined)
             .where(keys.c.site == site).order_by(keys.c.device, keys.c.key_id))
    with db.read() as conn:
        return [PublicKey(r.key_id, bytes(r.public_key), r.site, r.device,
                          r.revoked_at is not None or r.role not in trust.KEY_HOLDERS, r.role)
                for r in conn.execute(query)]


def site_keys(db: Database, site: str) -> list[dict[str, Any]]:
    """The site's public keys (device_keys), and the server's own there, so that the site's
    kiosks trust its invitations."""
    found = device_keys(db, site)
    with db.read() as conn:
        server = conn.execute(sa.select(signers.c.key_id, signers.c.private_key).where(signers.c.site == site)).first()
    if server is not None:
        public = Ed25519PrivateKey.from_private_bytes(server.private_key).public_key().public_bytes_raw()
        found.append(PublicKey(server.key_id, public, site, SERVER_DEVICE, role=trust.SERVER))
    return [{"key_id": k.key_id, "public_key": base64.b64encode(k.public_key).decode(), "site": k.site,
             "device": k.device, "revoked": k.revoked, "role": k.role} for k in found]


def signer(db: Database, site: str, now: int) -> Ed25519PrivateKey:
    """The server's signing key for a site, made on first use (db.signers says where it is kept)."""
    with db.write() as conn:
        _add_signer(db, conn, site, now)
        stored = conn.execute(sa.select(signers.c.private_key).where(signers.c.site == site)).scalar_one()
    return Ed25519PrivateKey.from_private_bytes(stored)  # ours, or the one a concurrent first use made


def _add_signer(db: Database, conn: sa.Connection, site: str, now: int) -> None:
    """The server's identity at the site, made unless it exists."""
    made = Ed25519PrivateKey.generate()
    conn.execute(db.insert(signers).on_conflict_do_nothing(index_elements=["site"]),
                 {"site": site, "key_id": key_id_of(made.public_key()), "private_key": made.private_bytes_raw(),
                  "created_at": now, "seq": 0})


def known_site(db: Database, site: str) -> bool:
    """Whether any device was ever registered at the site."""
    with db.read() as conn:
        return conn.execute(sa.select(devices.c.name).where(devices.c.site == site).limit(1)).first() is not None


# -- hosts -------------------------------------------------------------------------------------

def checked_hosts(entries: Iterable[Mapping[str, Any]], plain_http: PlainHttp = NOWHERE) -> list[Host]:
    """Hosts cleaned as kiosk.hostcsv checks an imported file (what the directory holds is shown
    on screens and printed on badges; channels use http:// only to hosts ``plain_http`` lists);
    refused whole, naming the entry, if any is wrong."""
    def host(entry: Mapping[str, Any]) -> Host:
        fields = host_fields(entry, plain_http)
        return Host(entry.get("host_id") or host_id_for(fields["name"], fields["department"], fields["email"]),
                    **fields)

    return _each_checked(entries, "hosts", host, "host_id")


def _each_checked(entries: Iterable[Any], listed: str, check: Callable[[Any], Any], id_field: str) -> list:
    """Every entry through ``check`` (its ValidationError a 422 naming the entry), and no id twice."""
    found: dict[str, int] = {}
    checked = []
    for index, raw in enumerate(entries):
        try:
            item = check(raw)
        except ValidationError as e:
            raise Invalid(f"{listed}[{index}]: {e}") from None
        key = getattr(item, id_field)
        if key in found:
            raise Invalid(f"{listed}[{index}]: {id_field} {key} is also {listed}[{found[key]}]")
        found[key] = index
        checked.append(item)
    return checked


def replace_hosts(db: Database, directory: list[Host]) -> None:
    with db.write(serialise_on="hosts") as conn:  # two uploads at once: the last one wins whole
        conn.execute(hosts.delete())
        if directory:
            conn.execute(hosts.insert(), [host_row(h) for h in directory])
        revisions.bump(db, conn, "hosts")  # devices download it again (sync.server.revisions)


def get_host(db: Database, host_id: str) -> Host | None:
    with db.read() as conn:
        row = conn.execute(sa.select(hosts).where(hosts.c.host_id == host_id)).first()
    return None if row is None else host_from_row(row._mapping)


def has_hosts(db: Database) -> bool:
    with db.read() as conn:
        return conn.execute(sa.select(hosts.c.host_id).limit(1)).first() is not None


def all_hosts(db: Database) -> list[Host]:
    with db.read() as conn:
        return [host_from_row(r._mapping) for r in conn.execute(sa.select(hosts).order_by(hosts.c.name, hosts.c.host_id))]



# -- the watchlist -----------------------------------------------------------------------------

def checked_watchlist(entries: Iterable[Mapping[str, Any]]) -> list[WatchEntry]:
    """Entries cleaned and checked as kiosk.watchcsv checks an imported file; refused whole,
    naming the entry, if any is wrong."""
    return _each_checked(entries, "entries", watch_entry, "entry_id")


def replace_watchlist(db: Database, entries: list[WatchEntry], now: int) -> None:
    row = {"list_id": 1, "entries": json.dumps([e.to_dict() for e in entries], ensure_ascii=False),
           "replaced_at": now}
    with db.write() as conn:
        conn.execute(db.insert(watchlist).on_conflict_do_update(index_elements=["list_id"], set_=row), row)
        revisions.bump(db, conn, "watchlist")


def get_watchlist(db: Database) -> tuple[list[WatchEntry], int] | None:
    """The watchlist and when it was last replaced (ms), or None when none was ever uploaded."""
    with db.read() as conn:
        row = conn.execute(sa.select(watchlist.c.entries, watchlist.c.replaced_at)).first()
    return None if row is None else ([WatchEntry.from_dict(e) for e in json.loads(row.entries)], row.replaced_at)
