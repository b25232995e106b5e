"""What the live board and the roll call show, read from what the Projector folded (the visits
table) and what devices pushed (their newest event, their badges' print outcomes): never a fold
of its own.

- on site: visits waiting for their host or with them, and for how long;
- awaiting approval: visits the entry policy held for a host's or reception's decision;
- hosts not told: visits on site or awaiting approval that no channel has told the host of;
- devices: each live device's newest event received, flagged after ``QUIET_MS`` without one
  (a device pushes only when it has events: a quiet kiosk on a quiet day is flagged too), and
  a printer fault when the newest badge it issued failed to print or was never confirmed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from kiosk.core.visits import AWAITING_APPROVAL, ON_SITE_STATES, WAITING, Visit
from kiosk.store.log import visit_from_json
from sync.server import catchup
from sync.server.db import Database, devices, events, visits

QUIET_MS = 60 * 60 * 1000
RECENT_BADGES = 200  # visits per site looked at for the printers' state


@dataclass(frozen=True)
class DeviceState:
    name: str
    role: str
    last_event_at: int | None
    quiet: bool
    printer_fault: str  # "" when its newest badge printed (or it issued none)


@dataclass
class SiteBoard:
    site: str
    on_site: list[Visit] = field(default_factory=list)
    awaiting: list[Visit] = field(default_factory=list)
    not_told: list[Visit] = field(default_factory=list)
    devices: list[DeviceState] = field(default_factory=list)
    behind: int = 0  # stored events not folded yet (the server cannot write just now)

    @property
    def waiting(self) -> int:
        return sum(1 for v in self.on_site if v.state == WAITING)

    @property
    def device_problems(self) -> list[DeviceState]:
        return [d for d in self.devices if d.quiet or d.printer_fault]


def known_sites(db: Database) -> list[str]:
    """Every site with a device registered (a cheap list: the devices table)."""
    with db.read() as conn:
        return list(conn.execute(sa.select(devices.c.site).distinct().order_by(devices.c.site)).scalars())


def site_board(db: Database, site: str, now: int) -> SiteBoard:
    board = SiteBoard(site, behind=catchup.catch_up(db, site))
    states = sorted({*ON_SITE_STATES, AWAITING_APPROVAL})
    with db.read() as conn:
        docs = conn.execute(sa.select(visits.c.doc).where(visits.c.site == site, visits.c.state.in_(states))
                            .order_by(visits.c.signed_in_at.nulls_last(), visits.c.visit_id)).scalars().all()
    for visit in map(visit_from_json, docs):
        (board.awaiting if visit.state == AWAITING_APPROVAL else board.on_site).append(visit)
        if not visit.notified:
            board.not_told.append(visit)
    board.devices = _devices(db, site, now)
    return board


def on_site(db: Database, site: str) -> tuple[list[Visit], int]:
    """The roll call: everyone on site now, by host's department, host and name; and how many
    stored events are not folded yet."""
    behind = catchup.catch_up(db, site)
    with db.read() as conn:
        docs = conn.execute(sa.select(visits.c.doc).where(visits.c.site == site,
                                                          visits.c.state.in_(sorted(ON_SITE_STATES)))).scalars().all()
    found = [visit_from_json(doc) for doc in docs]
    found.sort(key=lambda v: (str(v.host.get("department", "")), str(v.host.get("name", "")),
                              str(v.visitor.get("name", ""))))
    return found, behind


def _devices(db: Database, site: str, now: int) -> list[DeviceState]:
    newest = (sa.select(events.c.received_at).where(events.c.site == site, events.c.device == sa.bindparam("name"))
              .order_by(events.c.server_seq.desc()).limit(1))
    with db.read() as conn:
        live = conn.execute(sa.select(devices.c.name, devices.c.role).where(devices.c.site == site,
                                                                             devices.c.revoked_at.is_(None))
                            .order_by(devices.c.name)).all()
        last = {d.name: conn.execute(newest, {"name": d.name}).scalar() for d in live}
        recent = conn.execute(sa.select(visits.c.doc).where(visits.c.site == site)
                              .order_by(visits.c.signed_in_at.desc().nulls_last()).limit(RECENT_BADGES)).scalars()
        faults = _printer_faults(map(visit_from_json, recent))
    return [DeviceState(d.name, d.role, last[d.name], last[d.name] is None or now - last[d.name] > QUIET_MS,
                        faults.get(d.name, "")) for d in live]


def _printer_faults(recent: "list[Visit] | map") -> dict[str, str]:
    """Device -> why its newest badge did not print, for devices whose newest badge did not."""
    newest: dict[str, tuple[int, str]] = {}
    for visit in recent:
        device = visit.signed_in_device
        for badge in visit.badges:
            fault = badge.print_error or ("unconfirmed" if badge.print_unknown else "")
            if device and (device not in newest or badge.issued_at > newest[device][0]):
                newest[device] = (badge.issued_at, fault)
    return {device: fault for device, (_, fault) in newest.items() if fault}
