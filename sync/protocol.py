"""The sync wire protocol, shared by the client and the server: paths, limits, and the checks
every event must pass before either side stores it.

Events travel as JSON objects with exactly the fields of :class:`kiosk.core.events.Event`.
The server gives each event it stores a per-server sequence number; a device pulls "the
site's events after cursor N" and keeps N, so catching up after a week offline resumes where
it stopped and every event arrives exactly once however often a batch is retried.
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from kiosk.core.events import Event

API = "/v1"
MAX_BATCH = 500  # events in one push
MAX_BODY_BYTES = 2 * 1024 * 1024
MAX_DATA_BYTES = 8 * 1024  # one event's payload, as compact JSON
PULL_LIMIT = 1000
# A device clock may be wrong; an event stamped further than this from the server's clock is
# refused rather than silently reordered ahead of (or behind) everything else.
MAX_FUTURE_MS = 24 * 3600 * 1000
MAX_PAST_MS = 400 * 24 * 3600 * 1000

ID = re.compile(r"^[0-9a-f]{32}$")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$")
KIND = re.compile(r"^[a-z][a-z_]{0,39}$")
VISIT = re.compile(r"^[A-Z2-7]{16}$")
FIELDS = ("event_id", "site", "device", "seq", "ts", "kind", "visit_id", "data")


class ProtocolError(ValueError):
    """An event or request that does not follow the protocol; the message says which field."""


def check_event(raw: Any, now_ms: int | None) -> Event:
    """An Event from untrusted JSON, or ProtocolError naming what is wrong. With ``now_ms``
    (on arrival at the server), its clock must also be plausible."""
    if not isinstance(raw, Mapping):
        raise ProtocolError("an event must be a JSON object")
    missing = [f for f in FIELDS if f not in raw]
    extra = sorted(set(raw) - set(FIELDS))
    if missing or extra:
        raise ProtocolError(f"event fields: missing {missing}, unknown {extra}" if missing else
                            f"event has unknown fields {extra}")
    _match(raw, "event_id", ID, "32 lowercase hex digits")
    _match(raw, "site", NAME, "a site name")
    _match(raw, "device", NAME, "a device name")
    _match(raw, "kind", KIND, "an event kind")
    _match(raw, "visit_id", VISIT, "16 Base32 characters")
    for field in ("seq", "ts"):
        if type(raw[field]) is not int or raw[field] < 0 or raw[field] >= 2**62:
            raise ProtocolError(f"{field} must be a non-negative integer")
    if now_ms is not None and raw["ts"] > now_ms + MAX_FUTURE_MS:
        raise ProtocolError(f"event {raw['event_id']} is dated in the future: check the device clock")
    if now_ms is not None and raw["ts"] < now_ms - MAX_PAST_MS:
        raise ProtocolError(f"event {raw['event_id']} is dated over {MAX_PAST_MS // 86_400_000} days ago")
    if not isinstance(raw["data"], Mapping):
        raise ProtocolError("data must be a JSON object")
    try:
        # allow_nan=False: NaN and Infinity are not JSON; encode() refuses lone surrogates.
        size = len(json.dumps(raw["data"], ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode())
    except (ValueError, TypeError) as exc:
        raise ProtocolError(f"event {raw['event_id']}: data is not plain JSON (NaN, Infinity or a lone surrogate): "
                            f"{exc}") from None
    if size > MAX_DATA_BYTES:
        raise ProtocolError(f"event {raw['event_id']}: data is larger than {MAX_DATA_BYTES} bytes")
    return Event.from_dict(raw)


def _match(raw: Mapping, field: str, pattern: re.Pattern, what: str) -> None:
    value = raw[field]
    if not isinstance(value, str) or not pattern.fullmatch(value):  # "$" would let a final "\n" in
        raise ProtocolError(f"{field} must be {what}")
