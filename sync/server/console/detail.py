"""One visit as the console shows it: the visit the Projector folded, and its whole stored event
history (which device, when, what kind, the agreement version, the answers), with phone numbers
masked and the visitor's handwritten signature drawn from its strokes as an SVG image.

A visit outside the user's sites is not found, exactly as a visit that does not exist (the page
answers 404 for both, so a user cannot learn which visit ids exist at other sites).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import sqlalchemy as sa

from kiosk.core.events import Event
from kiosk.core.validation import mask_phone
from kiosk.core.visits import Visit
from sync.server import store
from sync.server.db import Database, tombstones
from sync.server.models import local_time

Scope = Sequence[str] | None  # the sites a user may see; None: all of them
MAX_STROKES, MAX_POINTS = 200, 20_000  # a signature's, drawn; beyond is not a signature
_HIDDEN = frozenset({"signature"})
MAX_MS = 253_402_300_800_000  # year 10000: past it a number is no time  # drawn as a picture, never listed as text


@dataclass
class HistoryEntry:
    at: int  # the device's clock, ms
    device: str
    kind: str
    seq: int
    withdrawn: bool  # an admin tombstoned it: it no longer counts
    details: list[tuple[str, str]] = field(default_factory=list)  # (key path, value), phones masked


@dataclass
class Detail:
    visit: Visit
    phone: str  # masked
    history: list[HistoryEntry]
    agreement_version: str
    signature_svg: str  # "" when the visitor did not sign


def visit_detail(db: Database, scope: Scope, site: str, visit_id: str) -> Detail | None:
    """The visit and its history, or None when it does not exist or is outside ``scope``."""
    if scope is not None and site not in scope:
        return None
    visit = store.get_visit(db, site, visit_id)
    if visit is None:
        return None
    events = store.visit_events(db, site, visit_id)
    with db.read() as conn:
        withdrawn = set(conn.execute(sa.select(tombstones.c.event_id).where(
            tombstones.c.site == site, tombstones.c.visit_id == visit_id)).scalars())
    agreement = _agreement(events)
    return Detail(visit=visit, phone=masked(str(visit.visitor.get("phone", "") or "")),
                  history=[_entry(e, e.event_id in withdrawn) for e in events],
                  agreement_version=str(agreement.get("version", "") or ""),
                  signature_svg=signature_svg(agreement.get("signature")))


def masked(phone: str) -> str:
    """A phone number as the console lists it (kiosk.core.validation.mask_phone: 138****5678)."""
    return mask_phone(phone) if phone else ""


def _agreement(events: list[Event]) -> Mapping[str, Any]:
    for event in events:
        agreement = event.data.get("agreement")
        if isinstance(agreement, Mapping):
            return agreement
    return {}


def _entry(event: Event, withdrawn: bool) -> HistoryEntry:
    return HistoryEntry(at=event.ts, device=event.device, kind=event.kind, seq=event.seq, withdrawn=withdrawn,
                        details=list(_flat(event.data)))


def _flat(data: Any, path: str = ""):
    """(dotted key, text) for every leaf of an event's payload; phones masked, signatures left out."""
    if isinstance(data, Mapping):
        for key, value in data.items():
            if key in _HIDDEN:
                continue
            name = f"{path}.{key}" if path else str(key)
            if key == "phone" and isinstance(value, str):
                yield name, masked(value)
            elif str(key).endswith("_at") and type(value) is int and 0 <= value < MAX_MS:
                yield name, _shown(value)  # a time in ms, as the page shows times
            else:
                yield from _flat(value, name)
    elif isinstance(data, list):
        if all(not isinstance(v, (Mapping, list)) for v in data):
            yield path, ", ".join(map(str, data))
        else:
            for n, value in enumerate(data):
                yield from _flat(value, f"{path}[{n}]")
    elif data is not None and data != "":
        yield path, str(data)


def _shown(ms: int) -> str:
    moment = local_time(ms)
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else ""


def signature_strokes(encoded: Any) -> list[list[tuple[int, int]]]:
    """The strokes of a signature as the kiosk's pad records them (kiosk.ui.signature: one
    base64 string per stroke of x, y bytes, 0-255, origin bottom left); what is not that is
    skipped, whatever a device sent."""
    if not isinstance(encoded, list):
        return []
    strokes, points = [], 0
    for text in encoded[:MAX_STROKES]:
        try:
            raw = base64.b64decode(text, validate=True) if isinstance(text, str) else b""
        except (binascii.Error, ValueError):
            continue
        stroke = [(raw[i], raw[i + 1]) for i in range(0, len(raw) - 1, 2)]
        points += len(stroke)
        if stroke and points <= MAX_POINTS:
            strokes.append(stroke)
    return strokes


def signature_svg(encoded: Any) -> str:
    """The signature as a standalone SVG (black ink on white, 2:1 like the pad), or "" when
    there is none. Only numbers from the strokes reach it: nothing a device sent as text."""
    strokes = signature_strokes(encoded)
    if not strokes:
        return ""
    paths = []
    for stroke in strokes:
        # y grows downwards in SVG; the pad's origin is bottom left. A single point is a dot.
        points = [(x * 2, 255 - y) for x, y in stroke] if len(stroke) > 1 else [(stroke[0][0] * 2, 255 - stroke[0][1])] * 2
        d = "M" + " L".join(f"{x} {y}" for x, y in points)
        paths.append(f'<path d="{d}"/>')
    return ('<svg xmlns="http://www.w3.org/2000/svg" viewBox="-6 -6 522 267" width="512" height="261" '
            'role="img"><rect x="-6" y="-6" width="522" height="267" fill="#fff"/>'
            '<g fill="none" stroke="#111" stroke-width="4" stroke-linecap="round" stroke-linejoin="round">'
            + "".join(paths) + "</g></svg>")
