"""What the server accepts from a device's push, event by event.

A push ends one of three ways:

- refused whole, nothing stored: an event no honest device writes. A malformed envelope (ids,
  names, numbers: 422), another device's events, or a kind the device's role never writes
  (kiosk.core.roles: 403): the device is compromised or misconfigured, and a person must act.
- stored but for some events, each listed with its reason (200): an event an honest device can
  hold and can never change, since its log is append-only. A payload that does not fit its kind
  (kiosk.core.payloads), a kind this server does not know (from newer software: the server
  cannot check it, and every device of the site would receive it), a clock far behind, a payload
  too large, a second sign-in of a visit already signed in, or a use of an invitation that is no
  invitation or names no visit this device signed in with it. Refusing the push whole for such
  an event would stop that device's sync for good; the device marks its refused events and
  reception sees how many.
- stored but for events dated more than protocol.MAX_FUTURE_MS ahead of the server's clock,
  listed under ``retry`` (200): a device's clock jumped ahead before it heard the server's time
  (after that kiosk.core.hlc keeps its stamps near the server's). They are not refused: the device stops its push cursor before the first of them and
  pushes them again later, and they are stored once the server's clock is near their time.
- stored whole.

The check of a second sign-in, and of a use of an invitation (under an invitation of the site,
naming a visit the same device signed in with it), need the stored log, so they run in the
push's transaction, where pushes to the site are serialised (``refuse_reopenings``,
``refuse_invitation_uses``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from kiosk.core import events as ev
from kiosk.core import roles
from kiosk.core.events import Event
from kiosk.core.visits import payload_error
from sync import protocol
from sync.protocol import ProtocolError
from sync.server.auth import Device
from sync.server.db import events, tombstones
from sync.server.errors import Forbidden, Invalid

log = logging.getLogger(__name__)


@dataclass
class Checked:
    events: dict[str, Event] = field(default_factory=dict)  # by id, in batch order: may be stored
    rows: dict[str, dict[str, Any]] = field(default_factory=dict)  # by id: the row to insert
    refused: dict[str, str] = field(default_factory=dict)  # by id: why it is not stored
    retry: dict[str, str] = field(default_factory=dict)  # by id: not stored yet, to push again later

    def refuse(self, event_id: str, reason: str) -> None:
        self.events.pop(event_id, None)
        self.rows.pop(event_id, None)
        self.refused.setdefault(event_id, reason)


def checked_batch(batch: list[Any], device: Device, now: int) -> Checked:
    """Every event of the batch checked before any is stored (Invalid or Forbidden for the batch)."""
    checked = Checked()
    for index, raw in enumerate(batch):
        try:
            protocol.check_envelope(raw)
        except ProtocolError as e:
            raise Invalid(f"events[{index}]: {e}") from None
        if (raw["site"], raw["device"]) != (device.site, device.name):
            raise Forbidden(f"events[{index}]: a device may only push its own events "
                            f"(site {device.site}, device {device.name})")
        kind = raw["kind"]
        if kind in ev.KINDS and not roles.may_write(device.role, kind):
            raise Forbidden(f"events[{index}]: a {device.role} device may not write {kind} events")
        event_id = raw["event_id"]
        try:
            event, data, reason = _content(raw, now)
        except protocol.TooEarly as e:  # not refused: stored once the server's clock catches up
            if event_id in checked.events or event_id in checked.refused:
                raise Invalid(f"events[{index}]: repeats event_id {event_id} with different content") from None
            checked.retry.setdefault(event_id, str(e))
            continue
        if event_id in checked.retry:
            raise Invalid(f"events[{index}]: repeats event_id {event_id} with different content")
        if reason:
            if event_id in checked.events:
                raise Invalid(f"events[{index}]: repeats event_id {event_id} with different content")
            checked.refused.setdefault(event_id, reason)
            continue
        if event_id in checked.refused:
            raise Invalid(f"events[{index}]: repeats event_id {event_id} with different content")
        first = checked.events.setdefault(event_id, event)
        if first is event:
            checked.rows[event_id] = {"event_id": event.event_id, "site": event.site, "device": event.device,
                                      "seq": event.seq, "ts": event.ts, "kind": event.kind,
                                      "visit_id": event.visit_id, "data": data, "received_at": now,
                                      "hlc": event.hlc}
        elif first != event:
            raise Invalid(f"events[{index}]: repeats event_id {event_id} with different content")
    return checked


def _content(raw: Any, now: int) -> tuple[Event | None, str, str]:
    """(the event, its payload as stored, "") or (None, "", why this event is refused)."""
    if raw["kind"] not in ev.KINDS:
        return None, "", f"this server does not know the event kind {raw['kind']} (is it older than the device?)"
    try:
        event, data = protocol.checked_content(raw, now)
    except protocol.TooEarly:
        raise
    except ProtocolError as e:
        return None, "", str(e)
    problem = payload_error(event.kind, event.data)
    if problem:
        return None, "", f"its data does not fit its kind: {problem}"
    return event, data, ""


def refuse_reopenings(conn: sa.Connection, site: str, checked: Checked, new: list[str]) -> list[str]:
    """``new`` without the events that would open a visit a second time: a sign-in (or a
    blocked registration) of a visit that already has one under another id, stored (and not
    tombstoned) or earlier in this batch. The server's ``expected`` visit of an invitation is no
    opening: signing in is how that visit begins. Those refused are added to ``checked.refused``."""
    opening = [checked.events[i] for i in new if checked.events[i].kind in roles.OPENING]
    if not opening:
        return new
    stored = conn.execute(sa.select(events.c.visit_id, events.c.event_id).where(
        events.c.site == site, events.c.visit_id.in_(sorted({e.visit_id for e in opening})),
        events.c.kind.in_(sorted(roles.OPENING)),
        events.c.event_id.not_in(sa.select(tombstones.c.event_id).where(tombstones.c.site == site))))
    opened: dict[str, str] = dict(stored.all())
    for event in opening:
        first = opened.setdefault(event.visit_id, event.event_id)
        if first != event.event_id:
            checked.refuse(event.event_id, f"visit {event.visit_id} is already signed in (event {first})")
    return [i for i in new if i not in checked.refused]


def refuse_invitation_uses(conn: sa.Connection, device: Device, checked: Checked, new: list[str]) -> list[str]:
    """``new`` without the ``invitation_used`` events that are no honest use: each must be
    recorded under an invitation of the site (a visit the server's ``expected`` event opened) and
    name, in ``data.visit_id``, a visit this same device opened (``signed_in`` or ``blocked``,
    stored or among ``new``, not tombstoned) for that invitation (its ``invite_id``). A kiosk
    records the opening before the use in one transaction and pushes its log in order, so the
    opening always comes first or in the same batch. Otherwise one token could mark any
    invitation used, which every kiosk then refuses, and any visit "invitation shared". Those
    refused are added to ``checked.refused``. Call it after ``refuse_reopenings``."""
    uses = [checked.events[i] for i in new if checked.events[i].kind == ev.INVITATION_USED]
    if not uses:
        return new
    site = device.site
    live = events.c.event_id.not_in(sa.select(tombstones.c.event_id).where(tombstones.c.site == site))
    invitations = set(conn.execute(sa.select(events.c.visit_id).where(
        events.c.site == site, events.c.kind == ev.EXPECTED,
        events.c.visit_id.in_(sorted({e.visit_id for e in uses})), live)).scalars())
    named = sorted({str(e.data.get("visit_id", "")) for e in uses})
    invited: dict[str, set[str]] = {}  # an opened visit of this device: the invitations it names
    for visit_id, data in conn.execute(sa.select(events.c.visit_id, events.c.data).where(
            events.c.site == site, events.c.device == device.name, events.c.kind.in_(sorted(roles.OPENING)),
            events.c.visit_id.in_(named), live)):
        invited.setdefault(visit_id, set()).add(_invite_id(ev.decode_data(data)))
    for i in new:
        event = checked.events[i]
        if event.kind in roles.OPENING:  # this batch's own openings (refused ones are not in new)
            invited.setdefault(event.visit_id, set()).add(_invite_id(event.data))
    for event in uses:
        visit_id = str(event.data.get("visit_id", ""))
        if event.visit_id not in invitations:
            checked.refuse(event.event_id, f"visit {event.visit_id} is no invitation of site {site}")
        elif visit_id not in invited:
            checked.refuse(event.event_id, f"visit {visit_id} was not signed in by device {device.name}")
        elif event.visit_id not in invited[visit_id]:
            checked.refuse(event.event_id, f"visit {visit_id} was not signed in with invitation {event.visit_id}")
    return [i for i in new if i not in checked.refused]


def _invite_id(data: Any) -> str:
    return str(data.get("invite_id", "")) if isinstance(data, dict) else ""


def report(device: Device, checked: Checked) -> list[dict[str, str]]:
    """The refusals as the answer lists them, each logged for the operator."""
    for event_id, reason in checked.refused.items():
        log.warning("site %s device %s: event %s refused: %s", device.site, device.name, event_id, reason)
    return [{"event_id": event_id, "reason": reason} for event_id, reason in checked.refused.items()]


def retries(device: Device, checked: Checked) -> list[dict[str, str]]:
    """The events to push again later as the answer lists them (``retry``), logged once per push."""
    if checked.retry:
        first, reason = next(iter(checked.retry.items()))
        log.warning("site %s device %s: %d event(s) not stored yet, e.g. %s: %s", device.site, device.name,
                    len(checked.retry), first, reason)
    return [{"event_id": event_id, "reason": reason} for event_id, reason in checked.retry.items()]
