"""Events: the immutable facts the visit log is made of.

An event has a globally unique id, the site and device that wrote it, that device's sequence
number and clock (milliseconds since the epoch, UTC: the time people are shown), a kind, the visit
it belongs to, a small JSON-able payload and a hybrid logical clock stamp (kiosk.core.hlc: the
order; 0 in events written before it existed). Events are never changed or deleted; everything else is derived.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any, Mapping

from kiosk.core import hlc as hlc_clock

# Kinds of event. Their payloads are documented where the fold reads them (kiosk.core.visits).
SIGNED_IN = "signed_in"
EXPECTED = "expected"
APPROVAL_REQUESTED = "approval_requested"
APPROVED = "approved"
DENIED = "denied"
BADGE_ISSUED = "badge_issued"
BADGE_PRINTED = "badge_printed"
PRINT_FAILED = "print_failed"
BADGE_LOST = "badge_lost"
HOST_MET = "host_met"
SIGNED_OUT = "signed_out"
RATED = "rated"
COMPLAINT = "complaint"
HOST_NOTIFIED = "host_notified"
NOTIFY_FAILED = "notify_failed"
MESSAGE_LEFT = "message_left"
BLOCKED = "blocked"
# An invitation taken at a kiosk: recorded under the invitation's visit, naming the visit it became.
INVITATION_USED = "invitation_used"
# The visitor's answer to a notice or a request for consent (kiosk.core.consent): the privacy
# notice accepted at sign-in (purpose "notice", with its version), or a separate consent for
# something sensitive (a photo, an ID card), given or declined.
CONSENT = "consent"
# The server's: an admin withdrew a stored event (data: event_id, reason); every fold skips it.
TOMBSTONED = "tombstoned"
# The server's: the visit's personal data was purged (data: scope, reason; kiosk.core.purge):
# every holder strips that visit's stored events and drops what it derived from them.
PURGED = "purged"
# The server's own device name: the writer of expected visits, link decisions and tombstones.
SERVER_DEVICE = "server"

KINDS = frozenset({SIGNED_IN, EXPECTED, APPROVAL_REQUESTED, APPROVED, DENIED, BADGE_ISSUED,
                   BADGE_PRINTED, PRINT_FAILED, BADGE_LOST, HOST_MET, SIGNED_OUT, RATED, COMPLAINT,
                   HOST_NOTIFIED, NOTIFY_FAILED, MESSAGE_LEFT, BLOCKED, INVITATION_USED, TOMBSTONED,
                   PURGED, CONSENT})


def new_id() -> str:
    return uuid.uuid4().hex


@dataclass(frozen=True)
class Event:
    event_id: str
    site: str
    device: str
    seq: int
    ts: int  # device clock, ms since the epoch (UTC)
    kind: str
    visit_id: str
    data: Mapping[str, Any] = field(default_factory=dict)
    hlc: int = 0  # kiosk.core.hlc stamp; 0: none (older event), ordered by ts

    @property
    def order(self) -> int:
        """Its place in the causal order (kiosk.core.hlc.order_stamp)."""
        return hlc_clock.order_stamp(self.ts, self.hlc)

    def order_key(self) -> tuple:
        """A total order that every device computes identically, whatever order it received
        events in: the causal order first (kiosk.core.hlc; the wall clock for events without a
        stamp), then stable tie-breaks."""
        return (self.order, self.device, self.seq, self.event_id)

    def to_dict(self) -> dict[str, Any]:
        raw = {"event_id": self.event_id, "site": self.site, "device": self.device, "seq": self.seq,
               "ts": self.ts, "kind": self.kind, "visit_id": self.visit_id, "data": dict(self.data)}
        if self.hlc:  # an event without one travels as older software wrote it
            raw["hlc"] = self.hlc
        return raw

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> "Event":
        return cls(event_id=raw["event_id"], site=raw["site"], device=raw["device"], seq=int(raw["seq"]),
                   ts=int(raw["ts"]), kind=raw["kind"], visit_id=raw["visit_id"], data=dict(raw.get("data") or {}),
                   hlc=int(raw.get("hlc") or 0))


def encode_data(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


# Payloads are stored as encode_data wrote them, with nothing around the object, so the decoder's
# scanner can read them directly: json.loads also matches whitespace twice, a third of its time
# on payloads this small (and logs are read back one payload per event).
_scan = json.JSONDecoder().raw_decode


def decode_data(text: str) -> dict[str, Any]:
    return _scan(text)[0] if text else {}
