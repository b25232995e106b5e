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
A purge (kiosk.store.purge) rewrites a visit's payloads in place and folds it again (refold).
"""

from __future__ import annotations

import dataclasses
import json
import sqlite3
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from typing import Any, Callable, Iterable, Iterator, Mapping

from kiosk.core import hlc, reuse, roles
from kiosk.core.events import Event, decode_data, encode_data, new_id
from kiosk.core.readable import readable
from kiosk.core.visits import ON_SITE_STATES, Badge, OpenFold, Visit, fold, live, payload_error
from kiosk.errors import RoleRefused
from kiosk.store import purge, quarantine
from kiosk.store.db import Database

_EVENT_COLUMNS = "event_id, site, device, seq, ts, kind, visit_id, data, hlc"
_DATA = 7  # the payload's place in _EVENT_COLUMNS
# An event's place in the causal order, in SQL (kiosk.core.hlc.order_stamp).
_ORDER_STAMP = f"CASE WHEN hlc > 0 THEN hlc ELSE ts * {1 << hlc.COUNTER_BITS} END"
# The badge rows written for a visit, as its stored row lists them (found by the badges' key:
# ``badges`` has no index by visit).
_DELETE_STORED_BADGES = (
    "DELETE FROM badges WHERE visit_id = :visit_id AND badge_id IN (SELECT json_extract(b.value, '$.badge_id')"
    " FROM visits AS v, json_each(v.doc, '$.badges') AS b WHERE v.visit_id = :visit_id)")
OPEN_FOLDS = 256  # visits whose fold is kept between transactions (the most recently touched)


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def _row_to_event(row: tuple) -> Event:
    event_id, site, device, seq, ts, kind, visit_id, data, stamp = row
    return Event(event_id, site, device, seq, ts, kind, visit_id, decode_data(data), stamp)


def _plain(value: Any) -> Any:
    """What JSON cannot write as it is: a mapping that is not a dict, a nested record."""
    if dataclasses.is_dataclass(value):
        return dataclasses.asdict(value)
    if isinstance(value, Mapping):
        return dict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


_encode_visit = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=_plain).encode


def visit_to_json(visit: Visit) -> str:
    """The visit as the log stores it: the same text as json.dumps(dataclasses.asdict(visit)),
    without asdict's deep copy of every field, which was half of a page's ingest."""
    return _encode_visit({**vars(visit), "badges": [vars(b) for b in visit.badges]})


def visit_from_json(text: str) -> Visit:
    """A stored visit, readable (kiosk.core.readable): a log written before payloads were
    checked may hold a name that is a number or a list, and no reader must trip on it."""
    raw = json.loads(text)
    raw["badges"] = tuple(Badge(**b) for b in raw["badges"])
    for key in ("complaints", "notified", "notify_failed", "messages", "reasons", "watchlist", "invitation_uses",
                "invitation_shared_with", "other_sign_outs", "consents"):
        raw[key] = tuple(raw.get(key, ()))
    return readable(Visit(**raw))


@contextmanager
def _savepoint(conn: sqlite3.Connection) -> Iterator[None]:
    """Inside the caller's transaction: what the block wrote is undone if it raises."""
    conn.execute("SAVEPOINT ingest")
    try:
        yield
    except BaseException:
        try:
            conn.execute("ROLLBACK TO ingest")
            conn.execute("RELEASE ingest")
        except sqlite3.Error:
            pass  # SQLite already rolled the whole transaction back (disk full): the caller's error says why
        raise
    conn.execute("RELEASE ingest")


def _payload_problem(event: Event) -> str:
    """payload_error's verdict; a check that trips on a hostile payload is a verdict too."""
    try:
        return payload_error(event.kind, event.data)
    except Exception as exc:  # noqa: BLE001 - e.g. RecursionError on a payload nested too deep
        return f"its payload cannot be checked: {type(exc).__name__}: {exc}"


def _our_disk(exc: Exception) -> bool:
    """A failure of this device's own database (disk full, read-only, damaged), which must fail
    the whole transaction, rather than of an event's content (a value SQLite cannot bind)."""
    return isinstance(exc, (sqlite3.OperationalError, MemoryError)) or type(exc) is sqlite3.DatabaseError


def _stored_visit(conn: sqlite3.Connection, visit_id: str) -> Visit | None:
    row = conn.execute("SELECT doc FROM visits WHERE visit_id = ?", (visit_id,)).fetchone()
    return visit_from_json(row[0]) if row else None


def _rows_by_visit(conn: sqlite3.Connection, visit_ids: list[str]) -> dict[str, list[tuple]]:
    """Each visit's (rowid, event columns), in rowid order, read at once through events_visit."""
    found: dict[str, list[tuple]] = {}
    if visit_ids:
        for visit_id, *row in conn.execute(f"SELECT visit_id, rowid, {_EVENT_COLUMNS} FROM events"
                                           " WHERE visit_id IN (SELECT value FROM json_each(?))",
                                           (json.dumps(visit_ids),)):
            found.setdefault(visit_id, []).append(tuple(row))
    for rows in found.values():
        rows.sort(key=lambda row: row[0])
    return found


# What search() matches: the visitor's name, company or host name holding the text, or the
# phone ending with it.
_MATCHES = ("(name LIKE :like ESCAPE '\\' OR company LIKE :like ESCAPE '\\'"
            " OR json_extract(doc, '$.host.name') LIKE :like ESCAPE '\\'"
            " OR (:digits != '' AND json_extract(doc, '$.visitor.phone') LIKE '%' || :digits))")


def _match_params(text: str) -> dict[str, str]:
    like = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return {"like": like, "digits": text if text.isdigit() and len(text) >= 3 else ""}


def last_stamp(db: Database, site: str, device: str) -> int:
    """The highest stamp of a device's events in the log (0 if none): kept by the store in the
    transaction of each insert (kiosk.store.db, last_stamps), so reading it costs the same
    whatever the log's length."""
    rows = db.read("SELECT ts FROM last_stamps WHERE site = ? AND device = ?", (site, device))
    return rows[0][0] if rows else 0


class EventLog:
    def __init__(self, db: Database, site: str, device: str, clock: Callable[[], int] = wall_clock_ms,
                 role: str | None = None, monotonic: Callable[[], float] = time.monotonic):
        self.db = db
        self.site = site
        self.device = device
        self.role = role  # this device's (kiosk.core.roles): record() refuses what it never writes; None: any
        self._clock = clock
        self._monotonic = monotonic  # measures the time since the server's was heard (heard_server)
        self._server: hlc.ServerTime | None = None
        self._open: OrderedDict[str, tuple[OpenFold, int]] = OrderedDict()  # visit id: (fold, its last rowid)
        self._open_lock = threading.Lock()

    def heard_server(self, server: hlc.ServerTime) -> None:
        """The server's time, as one of its answers told it (sync): from now on this device's
        stamps keep within kiosk.core.hlc's tolerance of it, whatever its own clock does."""
        self._server = server

    def _stamps(self, conn: sqlite3.Connection, visit_ids: set[str]) -> tuple[int, int]:
        """(the wall-clock time, the first HLC stamp) for events written now, in this write
        transaction: past every event this device has seen (another process's too) and every
        event of their visits, so each sorts after what it answers whatever the clocks say."""
        mono = self._monotonic()
        ts = hlc.bounded_now(self._clock(), self._server, mono)
        last = conn.execute("SELECT COALESCE(MAX(hlc), 0) FROM last_stamps").fetchone()[0]  # a row a device
        marks = ",".join("?" * len(visit_ids))
        after = conn.execute(f"SELECT COALESCE(MAX({_ORDER_STAMP}), 0) FROM events WHERE visit_id IN ({marks})",
                             sorted(visit_ids)).fetchone()[0]
        return ts, hlc.next_stamp(hlc.capped(last, self._server, mono), ts, after)

    def record(self, *specs: tuple[str, str, Mapping[str, Any]],
               unless: Callable[[Visit | None], bool] | None = None, unless_visit: str = "",
               also: Callable[[sqlite3.Connection, list[Event]], None] | None = None) -> list[Event]:
        """Append this device's events, given as (kind, visit_id, data), in one durable
        transaction; returns them once they are on disk. With ``unless``, nothing is written
        (and [] returned) if it holds for the first spec's visit (or ``unless_visit``) as it
        stands inside the transaction: a check no other writer can slip in front of. ``also``
        writes what must stand or fall with the events (the outbox's notices) in the same
        transaction.

        A kind this device's role never writes raises RoleRefused before anything is written:
        the server would refuse the device's whole push for it, and the rest would never sync."""
        self.check_role(*(kind for kind, _visit_id, _data in specs))
        with self.db.write() as conn:
            if unless is not None:
                row = conn.execute("SELECT doc FROM visits WHERE visit_id = ?",
                                   (unless_visit or specs[0][1],)).fetchone()
                if unless(visit_from_json(row[0]) if row else None):
                    return []
            seq = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events WHERE site = ? AND device = ?",
                               (self.site, self.device)).fetchone()[0]
            ts, first = self._stamps(conn, {visit_id for _kind, visit_id, _data in specs})
            events = [Event(new_id(), self.site, self.device, seq + i, ts, kind, visit_id, dict(data), first + i - 1)
                      for i, (kind, visit_id, data) in enumerate(specs, start=1)]
            self._insert(conn, events)
            folded = self._materialise(conn, {e.visit_id for e in events})
            if also is not None:
                also(conn, events)
        self._keep(folded)
        return events

    def check_role(self, *kinds: str) -> None:
        """RoleRefused, saying why and where to go instead, if this device's role never writes
        one of these kinds (kiosk.core.roles): what record() asks of every event it is given."""
        if self.role is None:
            return
        for kind in kinds:
            problem = roles.refusal(self.role, kind)
            if problem:
                raise RoleRefused(problem)

    def ingest(self, events: Iterable[Event], refused: Iterable[tuple[Any, str]] = ()) -> list[Event]:
        """Add events written elsewhere (sync); those already here are skipped. Returns the new
        ones. An event this device cannot take (its payload does not fit its kind, or its visit
        cannot be folded with it) is quarantined with the reason, as is each of ``refused``
        (raw event, why: those that failed the protocol's checks), and the rest go in: one bad
        event never holds up the others (kiosk.store.quarantine)."""
        events = list(events)
        now = self._clock()
        with self.db.write() as conn:
            for raw, reason in refused:
                quarantine.add(conn, raw, reason, now)
            fit = []
            for event in events:
                problem = _payload_problem(event)
                if problem:
                    quarantine.add(conn, event.to_dict(), problem, now)
                else:
                    fit.append(event)
            fit = purge.on_ingest(conn, self, fit, now, set_aside=len(fit) < len(events) or bool(refused))
            folds: dict[str, tuple[OpenFold, int]] = {}
            added = {id(e) for e in self._ingest_fit(conn, fit, now, folds)}
        self._keep(folds)  # committed: the folds may serve the next write
        # In the order given, once each, as stored (those of a purged visit stripped).
        return list({id(e): e for e in fit if id(e) in added}.values())

    def _ingest_fit(self, conn: sqlite3.Connection, events: list[Event], now: int,
                    folds: dict[str, tuple[OpenFold, int]]) -> list[Event]:
        """The new among ``events``, stored and folded. Should the fold fail, it is tried again
        visit by visit and then event by event, to set aside only the events at fault; a page
        without any pays for one savepoint, not one per visit. ``folds`` gathers the folds of
        what was stored, to keep once the transaction commits."""
        new = self._try_ingest(conn, events, folds)
        if new is not None:
            return new
        by_visit: dict[str, list[Event]] = {}
        for event in events:
            by_visit.setdefault(event.visit_id, []).append(event)
        return [e for visit_events in by_visit.values() for e in self._ingest_visit(conn, visit_events, now, folds)]

    def _try_ingest(self, conn: sqlite3.Connection, events: list[Event],
                    folds: dict[str, tuple[OpenFold, int]]) -> list[Event] | None:
        """The new among ``events``, stored and folded; None (and nothing stored) if that failed."""
        try:
            with _savepoint(conn):
                new = self._insert_new(conn, events)
                folded = self._materialise(conn, {e.visit_id for e in new})
            folds.update(folded)  # only once the savepoint holds: a rolled-back fold is dropped
            return new
        except Exception as exc:  # noqa: BLE001 - whatever a payload makes the fold raise
            if _our_disk(exc):
                raise
            return None

    def _ingest_visit(self, conn: sqlite3.Connection, events: list[Event], now: int,
                      folds: dict[str, tuple[OpenFold, int]]) -> list[Event]:
        """One visit's new events, stored and folded; those it cannot be folded with quarantined."""
        new = self._try_ingest(conn, events, folds)
        if new is not None:
            return new
        new = []  # one at a time, to find which of them the visit cannot take
        for event in events:
            try:
                with _savepoint(conn):
                    folded = self._materialise(conn, {event.visit_id}) if self._insert(conn, [event]) else {}
                folds.update(folded)
                if folded:
                    new.append(event)
            except Exception as exc:  # noqa: BLE001
                if _our_disk(exc):
                    raise
                quarantine.add(conn, event.to_dict(), f"its visit cannot be folded with it: {type(exc).__name__}: {exc}",
                               now)
        return new

    def _insert_new(self, conn: sqlite3.Connection, events: list[Event]) -> list[Event]:
        """Store those of ``events`` the log does not hold yet (the first of an id given twice),
        in the order given, with one look-up and one executemany for the lot: a page of a
        catch-up costs what a bulk insert of it does, not a statement per event."""
        held = {row[0] for row in conn.execute(
            "SELECT event_id FROM events WHERE event_id IN (SELECT value FROM json_each(?))",
            (json.dumps([e.event_id for e in events]),))}
        new = []
        for event in events:
            if event.event_id not in held:
                held.add(event.event_id)
                new.append(event)
        if new:
            self._insert(conn, new)
        return new

    @staticmethod
    def _insert(conn: sqlite3.Connection, events: list[Event]) -> bool:
        cursor = conn.executemany(
            f"INSERT OR IGNORE INTO events ({_EVENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(e.event_id, e.site, e.device, e.seq, e.ts, e.kind, e.visit_id, encode_data(e.data), e.hlc)
             for e in events])
        return cursor.rowcount > 0

    def _materialise(self, conn: sqlite3.Connection, visit_ids: Iterable[str]) -> dict[str, tuple[OpenFold, int]]:
        """Rewrite these visits' rows from their events; returns their folds, to keep once committed.
        A visit folded afresh (an event withdrawn since, say) has its badge rows written anew, so
        a badge the server withdrew leaves ``badges`` as it leaves the fold; a visit with no live
        event left (kiosk.core.visits.live: every one withdrawn) leaves ``visits`` too, as the
        server deletes it."""
        visit_ids = list(dict.fromkeys(visit_ids))
        with self._open_lock:  # each back only if this transaction commits
            kept = {v: k for v in visit_ids if (k := self._open.pop(v, None)) is not None}
        stored = _rows_by_visit(conn, [v for v in visit_ids if v not in kept])  # one read for the new ones
        folded: dict[str, tuple[OpenFold, int]] = {}
        written: list[Visit] = []
        cleared, gone = [], []
        for visit_id in visit_ids:
            state, upto, alive = self._folded(conn, visit_id, kept.get(visit_id), stored.get(visit_id))
            folded[visit_id] = (state, upto)
            if alive is not None:  # folded from all its events: those badges alone are the visit's
                cleared.append({"visit_id": visit_id})
            if alive is False:
                gone.append((visit_id,))
            else:
                written.append(readable(state.visit()))
        # Written together, each kind in one executemany; the badges a visit's stored row lists are
        # cleared before that row is replaced.
        conn.executemany(_DELETE_STORED_BADGES, cleared)
        conn.executemany("DELETE FROM visits WHERE visit_id = ?", gone)
        conn.executemany(
            "INSERT OR REPLACE INTO visits (visit_id, state, site, name, company, signed_in_at, signed_out_at, doc)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(v.visit_id, v.state, v.site, v.visitor.get("name", ""), v.visitor.get("company", ""), v.signed_in_at,
              v.signed_out_at, visit_to_json(v)) for v in written])
        conn.executemany("INSERT OR REPLACE INTO badges (badge_id, visit_id, revoked) VALUES (?, ?, ?)",
                         [(b.badge_id, v.visit_id, b.revoked) for v in written for b in v.badges])
        self._mark_shared_invitations(conn, written)
        return folded

    @staticmethod
    def _mark_shared_invitations(conn: sqlite3.Connection, touched: list[Visit]) -> None:
        """Write into each visit of an invitation used more than once which other visits used it
        (kiosk.core.reuse). That needs the invitation's visit and the others, so it follows the
        fold, for every invitation whose visit or uses the events just written touched."""
        folded = {v.visit_id: v for v in touched}  # as just written: unmarked

        def visit(visit_id: str) -> Visit | None:
            return folded[visit_id] if visit_id in folded else _stored_visit(conn, visit_id)

        invitations = {v.invite_id for v in touched if v.invite_id}
        invitations |= {v.visit_id for v in touched if len(v.invitation_uses) > 1}
        for invite_id in sorted(invitations):
            invitation = visit(invite_id)
            if invitation is None or len(invitation.invitation_uses) < 2:
                continue
            visits = {visit_id: found for visit_id in {invite_id, *invitation.invitation_uses}
                      if (found := visit(visit_id)) is not None}
            for visit_id, mark in reuse.shared(invitation, visits).items():
                found = visits.get(visit_id)
                if found is not None and (found.invitation_use, found.invitation_shared_with) != mark:
                    marked = dataclasses.replace(found, invitation_use=mark.use, invitation_shared_with=mark.others)
                    conn.execute("UPDATE visits SET doc = ? WHERE visit_id = ?", (visit_to_json(marked), visit_id))

    @staticmethod
    def _folded(conn: sqlite3.Connection, visit_id: str, kept: tuple[OpenFold, int] | None,
                rows: list[tuple] | None = None) -> tuple[OpenFold, int, bool | None]:
        """The visit's fold over all its events now in the log, the last rowid it holds, and
        whether any of its events is live (kiosk.core.visits.live) when it was folded from them
        all; None when a kept fold was extended, which only live events do (extend refuses a
        tombstone and a withdrawn event) and which withdraws no badge. ``rows``: the visit's
        (rowid, event columns) in rowid order, when already read."""
        if kept is not None:
            state, upto = kept
            later = conn.execute(f"SELECT rowid, {_EVENT_COLUMNS} FROM events WHERE visit_id = ? AND rowid > ?"
                                 " ORDER BY rowid", (visit_id, upto)).fetchall()
            if later and state.extend(_row_to_event(row[1:]) for row in later):
                return state, later[-1][0], None
        if rows is None:
            rows = conn.execute(f"SELECT rowid, {_EVENT_COLUMNS} FROM events WHERE visit_id = ? ORDER BY rowid",
                                (visit_id,)).fetchall()
        events = [_row_to_event(row[1:]) for row in rows]
        return OpenFold(events), rows[-1][0], bool(live(events))

    def _keep(self, folded: dict[str, tuple[OpenFold, int]]) -> None:
        with self._open_lock:
            for visit_id, kept in folded.items():
                self._open[visit_id] = kept
                self._open.move_to_end(visit_id)
            while len(self._open) > OPEN_FOLDS:
                self._open.popitem(last=False)

    def refold(self, conn: sqlite3.Connection, visit_ids: Iterable[str]) -> None:
        """Fold these visits afresh from their stored events, in the caller's transaction: a
        purge (kiosk.store.purge) rewrote them under any fold kept."""
        visit_ids = list(visit_ids)
        with self._open_lock:
            for visit_id in visit_ids:
                self._open.pop(visit_id, None)
        # A purge may come in the same pulled page as the visit's first events: nothing of such
        # a visit is stored yet to fold (its events are stored, stripped, after the purge).
        held = [v for (v,) in conn.execute("SELECT DISTINCT visit_id FROM events WHERE visit_id IN"
                                           " (SELECT value FROM json_each(?))", (json.dumps(visit_ids),))]
        self._materialise(conn, held)

    def forget(self) -> None:
        """Drop every kept fold: the next write folds its visits from the log again."""
        with self._open_lock:
            self._open.clear()

    def visit(self, visit_id: str) -> Visit | None:
        rows = self.db.read("SELECT doc FROM visits WHERE visit_id = ?", (visit_id,))
        return visit_from_json(rows[0][0]) if rows else None

    def visits_of_badge(self, badge_id: str) -> list[Visit]:
        """Visits that issued this badge id: normally one; badge numbers are short enough to
        type, so over years of visits two may share one. Only visits that hold the badge: a log
        written before withdrawn badges left ``badges`` may keep a row of one its visit lost."""
        rows = self.db.read("SELECT v.doc FROM badges b JOIN visits v ON v.visit_id = b.visit_id"
                            " WHERE b.badge_id = ? ORDER BY v.signed_in_at DESC", (badge_id,))
        return [visit for (doc,) in rows if (visit := visit_from_json(doc)).badge(badge_id) is not None]

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
        rows = self.db.read(
            f"SELECT doc FROM visits WHERE {_MATCHES}"
            " AND signed_in_at >= :since AND signed_in_at < :until ORDER BY signed_in_at DESC LIMIT :limit",
            {**_match_params(text), "since": since_ms or 0, "until": until_ms or 2**62, "limit": limit})
        return [visit_from_json(doc) for (doc,) in rows]

    def search_in(self, text: str, states: Iterable[str], limit: int) -> list[Visit]:
        """Visits in these states that ``search`` would find (any day): reception's search
        finds whoever is still in the building as well as today's visits."""
        states = sorted(states)
        marks = ",".join(f":s{i}" for i in range(len(states)))
        rows = self.db.read(
            f"SELECT doc FROM visits WHERE {_MATCHES} AND state IN ({marks}) ORDER BY signed_in_at DESC LIMIT :limit",
            {**_match_params(text), **{f"s{i}": state for i, state in enumerate(states)}, "limit": limit})
        return [visit_from_json(doc) for (doc,) in rows]

    def signed_in_between(self, since_ms: int, until_ms: int) -> list[Visit]:
        """Visits signed in within [since_ms, until_ms): what reception's pinyin search indexes."""
        rows = self.db.read("SELECT doc FROM visits WHERE signed_in_at >= ? AND signed_in_at < ?", (since_ms, until_ms))
        return [visit_from_json(doc) for (doc,) in rows]

    def last_change(self) -> int:
        """Grows with every event stored (own or synced): an index over visits is stale when it does."""
        return self.db.read("SELECT COALESCE(MAX(rowid), 0) FROM events")[0][0]

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

    def rewrite_others(self, view: Callable[[str, Mapping[str, Any]], Mapping[str, Any]], after_rowid: int,
                       limit: int) -> int | None:
        """Hold other devices' events after local position ``after_rowid`` (up to ``limit``) as
        ``view`` shows them, re-folding the visits that changed, in one transaction: an exit
        post keeps only its redacted view (kiosk.core.exit_view) of what it pulled, also from
        before it was redacted or from a server that does not. The last position looked at, or
        None when there was none. This device's own events are never touched: only they are pushed."""
        # What is taken out is overwritten on disk too, not left in the pages' free space.
        self.db.connection().execute("PRAGMA secure_delete = ON")
        with self.db.write() as conn:
            rows = conn.execute(f"SELECT rowid, {_EVENT_COLUMNS} FROM events WHERE rowid > ?"
                                " AND NOT (site = ? AND device = ?) ORDER BY rowid LIMIT ?",
                                (after_rowid, self.site, self.device, limit)).fetchall()
            changed = {}
            for rowid, *columns in rows:
                event = _row_to_event(columns)
                held = encode_data(view(event.kind, event.data))
                if held != columns[_DATA]:
                    changed[rowid] = (held, event.visit_id)
            conn.executemany("UPDATE events SET data = ? WHERE rowid = ?",
                             [(held, rowid) for rowid, (held, _) in changed.items()])
            self.forget()  # payloads changed under the kept folds: fold these visits afresh
            self._materialise(conn, {visit_id for _, visit_id in changed.values()})
        return rows[-1][0] if rows else None
