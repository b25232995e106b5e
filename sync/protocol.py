"""The sync wire protocol, shared by the client and the server: paths, limits, and the checks
every event must pass before either side stores it.

Events travel as JSON objects with exactly the fields of :class:`kiosk.core.events.Event`;
``hlc`` (kiosk.core.hlc) is left out of an event that has none, as older software wrote it, and
the server hands it out only to devices that ask for it (``hlc=1`` on a pull), so that older
devices, which refuse an unknown field, go on syncing. Answers to a push and a pull carry the
server's time (``server_time``, ms), which bounds the devices' clocks (kiosk.core.hlc).
The server gives each event it stores a per-server sequence number; a device pulls "the
site's events after cursor N" and keeps N, so catching up after a week offline resumes where
it stopped and every event arrives exactly once however often a batch is retried.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping  # isinstance against typing.Mapping is several times slower
from typing import Any

from kiosk.core import hlc
from kiosk.core.events import Event

API = "/v1"
MAX_BATCH = 500  # events in one push
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_DATA_BYTES = 8 * 1024  # one event's payload, as compact JSON
PULL_LIMIT = 1000
# Events one device may write to one visit on the server (its live ones). A real visit writes a
# few dozen at most: sign-in, approval, a badge and its print per (re)print, a notice per channel,
# messages, a complaint, host met, sign-out, rating. Past this, the device's events for the visit
# are refused but for its first sign-out (sync.server.bounds), so that no device token can make
# every device of its site fold a visit without end, nor fill a visit for the others.
MAX_VISIT_EVENTS = 300
# A device clock may be wrong; an event stamped further than this from the server's clock is not
# stored rather than silently reordered ahead of (or behind) everything else: one too far ahead
# is asked for again later (TooEarly: the server's clock will catch up), one too far behind refused.
MAX_FUTURE_MS = 24 * 3600 * 1000
MAX_PAST_MS = 400 * 24 * 3600 * 1000

ID = re.compile(r"^[0-9a-f]{32}$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$")
KIND = re.compile(r"^[a-z][a-z_]{0,39}$")
VISIT = re.compile(r"^[A-Z2-7]{16}$")
FIELDS = ("event_id", "site", "device", "seq", "ts", "kind", "visit_id", "data")
_FIELD_SET = frozenset(FIELDS)
_STAMPED_FIELD_SET = _FIELD_SET | {"hlc"}  # an event with a hybrid logical clock stamp
_TEXT_FIELDS = (("event_id", ID, "32 lowercase hex digits"), ("site", NAME, "a site name"),
                ("device", NAME, "a device name"), ("kind", KIND, "an event kind"),
                ("visit_id", VISIT, "16 Base32 characters"))
# A payload as stored and handed out: kiosk.core.events.encode_data's form (compact, sorted
# keys). allow_nan=False: NaN and Infinity are not JSON. One encoder, made once.
_encode_data = json.JSONEncoder(ensure_ascii=False, allow_nan=False, sort_keys=True, separators=(",", ":")).encode


class ProtocolError(ValueError):
    """An event or request that does not follow the protocol; the message says which field."""


class TooEarly(ProtocolError):
    """An event dated further ahead of the server's clock than MAX_FUTURE_MS: not wrong for
    good, since the device's clock jumped and the event becomes acceptable once the server's
    clock catches up. The server asks for it again later (``retry``); it never refuses it."""


def check_event(raw: Any, now_ms: int | None) -> Event:
    """An Event from untrusted JSON, or ProtocolError naming what is wrong. With ``now_ms``
    (on arrival at the server), its clock must also be plausible."""
    return checked_event(raw, now_ms)[0]


def checked_event(raw: Any, now_ms: int | None) -> tuple[Event, str]:
    """check_event's Event and its payload as stored (encode_data's form), so that the server
    encodes each payload once, for the size check and for the database alike."""
    check_envelope(raw)
    return checked_content(raw, now_ms)


def check_envelope(raw: Any) -> None:
    """The event's fields and their forms (ids, names, kind, numbers), not yet its clock or
    payload: what no honest device can get wrong, so a server refuses a whole push for it."""
    if not isinstance(raw, Mapping):
        raise ProtocolError("an event must be a JSON object")
    _check_fields(raw)


def checked_content(raw: Mapping, now_ms: int | None) -> tuple[Event, str]:
    """checked_event for an event whose envelope passed: its clock and its payload's encoding
    and size, which a device's own event can fail (a wrong clock, a long signature)."""
    if now_ms is not None:
        _check_clock(raw, now_ms)
    data = raw["data"]
    text = _payload_text(raw["event_id"], data)
    # Every field is checked, so the Event is built directly rather than by from_dict's conversions.
    event = Event(raw["event_id"], raw["site"], raw["device"], raw["seq"], raw["ts"], raw["kind"], raw["visit_id"],
                  dict(data), raw.get("hlc", 0))
    return event, text


def _check_fields(raw: Mapping) -> None:
    if raw.keys() != _FIELD_SET and raw.keys() != _STAMPED_FIELD_SET:
        missing = [f for f in FIELDS if f not in raw]
        extra = sorted(set(raw) - _STAMPED_FIELD_SET)
        raise ProtocolError(f"event fields: missing {missing}, unknown {extra}" if missing else
                            f"event has unknown fields {extra}")
    for field, pattern, what in _TEXT_FIELDS:
        value = raw[field]
        if not isinstance(value, str) or not pattern.fullmatch(value):  # "$" would let a final "\n" in
            raise ProtocolError(f"{field} must be {what}")
    for field in ("seq", "ts", "hlc"):
        if field in raw and (type(raw[field]) is not int or raw[field] < 0 or raw[field] >= 2**62):
            raise ProtocolError(f"{field} must be a non-negative integer")
    if not isinstance(raw["data"], Mapping):
        raise ProtocolError("data must be a JSON object")


def _check_clock(raw: Mapping, now_ms: int) -> None:
    if raw["ts"] > now_ms + MAX_FUTURE_MS:
        raise TooEarly(f"event {raw['event_id']} is dated more than {MAX_FUTURE_MS // 3_600_000} h ahead of the "
                       f"server's clock: check the device clock; push it again once that time is near")
    if raw["ts"] < now_ms - MAX_PAST_MS:
        raise ProtocolError(f"event {raw['event_id']} is dated over {MAX_PAST_MS // 86_400_000} days ago")
    # A stamp far ahead is stored: its device's clock ran ahead before it heard the server's time
    # (kiosk.core.hlc), and the event, rightly dated, sorts late in its visit only. One far behind
    # would sort before every other event of its visit.
    if raw.get("hlc") and hlc.physical_ms(raw["hlc"]) < now_ms - MAX_PAST_MS:
        raise ProtocolError(f"event {raw['event_id']} has a clock stamp over {MAX_PAST_MS // 86_400_000} days ago")


def _payload_text(event_id: str, data: Mapping) -> str:
    try:
        text = _encode_data(data)
        size = len(text.encode())  # encode() refuses lone surrogates
    except (ValueError, TypeError) as exc:
        raise ProtocolError(f"event {event_id}: data is not plain JSON (NaN, Infinity or a lone surrogate): "
                            f"{exc}") from None
    if size > MAX_DATA_BYTES:
        raise ProtocolError(f"event {event_id}: data is larger than {MAX_DATA_BYTES} bytes")
    return text
