"""A central server's database filled fast, for the benchmarks at millions of events: rows
written by bulk SQL (executemany in large transactions), not through the API, with the visits
table as the server's own projection writes it (one visit folded by kiosk.core.visits.fold per
shape, the others copied from it with their own ids, names and times).

Each visit has four events as a real kiosk writes them (signed_in, badge_issued, badge_printed,
signed_out); the newest ``on_site`` visits of each site have no sign-out (three events).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator

import sqlalchemy as sa

from kiosk.core.events import Event, encode_data
from kiosk.core.visits import fold
from sync.server import store
from sync.server.db import Database, events, projections, visits

DAY_MS = 86_400_000
START_MS = 1_790_000_000_000  # the oldest visit's sign-in
EVENTS_PER_VISIT = 4
_VISIT_ALPHABET = str.maketrans("0123456789", "ABCDEFGHIJ")
# Numbers no real value shares, replaced in each copy of a folded visit's document.
_IN, _OUT, _ISSUED, _EXPIRES = 1_111_111_111_111, 1_222_222_222_222, 1_333_333_333_000, 1_444_444_444_000
_TEMPLATE_ID = "ZZZZZZZZZZZZZZZZ"


def visit_id(n: int) -> str:
    return f"{n:016d}".translate(_VISIT_ALPHABET)


def badge_id(n: int) -> str:
    return f"{n % 100_000_000:08d}".translate(_VISIT_ALPHABET)  # Base32 letters, as badge ids are


def event_id(n: int) -> str:
    return f"{n:032x}"


def visit_events(n: int, site: str, device: str, at: int, signed_out: bool, first_seq: int) -> list[Event]:
    """Visit number ``n``'s events as a visitor kiosk writes them (kiosk.services.check_in)."""
    vid = visit_id(n) if n >= 0 else _TEMPLATE_ID
    issued = _ISSUED if n < 0 else at // 1000 * 1000
    expires = _EXPIRES if n < 0 else issued + 12 * 3_600_000
    signed_in = {"answers": {}, "host": {"department": "研发部", "host_id": "h1", "name": "李四"}, "lang": "zh_CN",
                 "visitor": {"company": "华为技术有限公司", "name": f"访客{n}", "phone": "13912345678", "purpose": "面试"},
                 "visitor_type": "guest"}
    badge = badge_id(n) if n >= 0 else "BTEMPLAT"
    specs: list[tuple[str, dict[str, Any], int]] = [
        ("signed_in", signed_in, at),
        ("badge_issued", {"badge_id": badge, "expires_at": expires, "issued_at": issued, "key_id": "719c6063"}, at),
        ("badge_printed", {"badge_id": badge, "printer": "network://10.0.0.9:9100"}, at + 900)]
    if signed_out:
        specs.append(("signed_out", {"by": "scan"}, (_OUT if n < 0 else at + 2 * 3_600_000)))
    base = max(n, 0) * EVENTS_PER_VISIT
    return [Event(event_id(base + i + 1), site, device, first_seq + i, ts, kind, vid, data)
            for i, (kind, data, ts) in enumerate(specs)]


@dataclass(frozen=True)
class Shape:
    """How the fold writes a visit of this shape, with marker numbers to replace."""

    row: dict[str, Any]

    @classmethod
    def folded(cls, signed_out: bool) -> "Shape":
        made = visit_events(-1, "site", "KIOSKTPL", _IN, signed_out, 1)
        return cls(store._visit_row(fold(made)))

    def copy(self, n: int, site: str, at: int) -> dict[str, Any]:
        out = at + 2 * 3_600_000
        issued = at // 1000 * 1000
        doc = (self.row["doc"].replace(_TEMPLATE_ID, visit_id(n)).replace('"site":"site"', f'"site":"{site}"')
               .replace("KIOSKTPL", f"kiosk-{site}")
               .replace("访客-1", f"访客{n}").replace("BTEMPLAT", badge_id(n))
               .replace(str(_IN), str(at)).replace(str(_OUT), str(out)).replace(str(_ISSUED), str(issued))
               .replace(str(_EXPIRES), str(issued + 12 * 3_600_000)).replace(str(_IN + 900), str(at + 900)))
        return {**self.row, "site": site, "visit_id": visit_id(n), "name": f"访客{n}", "doc": doc,
                "signed_in_at": at, "signed_out_at": out if self.row["signed_out_at"] is not None else None}


def site_name(n: int) -> str:
    return f"site{n:03d}"


def plan(total_events: int, sites: int, on_site: int, first: int = 0,
         only: list[int] | None = None) -> Iterator[tuple[int, str, int, bool]]:
    """(visit number, site, sign-in time, signed out) for every visit, oldest first, round robin
    over the sites (or over the site numbers ``only``); the last ``on_site`` of each site are
    still in the building. Visits are numbered from ``first``."""
    count = total_events // EVENTS_PER_VISIT
    span = 365 * DAY_MS
    rota = only if only is not None else list(range(sites))
    for n in range(count):
        yield (first + n, site_name(rota[n % len(rota)]), START_MS + span * (first + n) // max(first + count, 1),
               n < count - on_site * len(rota))


def fill(db: Database, total_events: int, sites: int = 100, on_site: int = 20, chunk: int = 20_000, *,
         first: int = 0, only: list[int] | None = None) -> int:
    """Write the events and their folded visits; returns the number of events written. The
    projection is marked up to date. ``first`` and ``only``: see plan (a second fill after a
    first one starts its visits after the first's)."""
    shapes = {True: Shape.folded(True), False: Shape.folded(False)}
    seqs: dict[str, int] = {}
    event_rows: list[dict[str, Any]] = []
    visit_rows: list[dict[str, Any]] = []
    written = 0
    for n, site, at, out in plan(total_events, sites, on_site, first, only):
        device = f"kiosk-{site}"
        made = visit_events(n, site, device, at, out, seqs.get(site, first * EVENTS_PER_VISIT) + 1)
        seqs[site] = made[-1].seq
        event_rows += [{"event_id": e.event_id, "site": site, "device": device, "seq": e.seq, "ts": e.ts,
                        "kind": e.kind, "visit_id": e.visit_id, "data": encode_data(e.data), "received_at": e.ts}
                       for e in made]
        visit_rows.append(shapes[out].copy(n, site, at))
        if len(event_rows) >= chunk:
            written += _write(db, event_rows, visit_rows)
    written += _write(db, event_rows, visit_rows)
    with db.write() as conn:
        latest = conn.execute(sa.select(events.c.site, sa.func.max(events.c.server_seq)).group_by(events.c.site)).all()
        conn.execute(projections.delete())
        conn.execute(projections.insert(), [{"site": s, "server_seq": seq} for s, seq in latest])
    return written


def _write(db: Database, event_rows: list[dict[str, Any]], visit_rows: list[dict[str, Any]]) -> int:
    count = len(event_rows)
    if event_rows:
        with db.write() as conn:
            conn.execute(events.insert(), event_rows)
            conn.execute(visits.insert(), visit_rows)
    event_rows.clear()
    visit_rows.clear()
    return count


def pulled_page(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as a pull answers them (Event.to_dict's form)."""
    return [{k: (json.loads(r[k]) if k == "data" else r[k]) for k in
             ("event_id", "site", "device", "seq", "ts", "kind", "visit_id", "data")} for r in rows]
