"""The API's request and response bodies, as pydantic models: they validate what comes in and
make the OpenAPI document (/openapi.json) say exactly what each operation takes and answers.

Events are the exception: their checks are sync.protocol's (shared with the client), so the
model takes any JSON object and only the schema below describes an event, built from the
protocol's own patterns so that the document cannot drift from the check.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

from kiosk.core.watchlist import ACTIONS
from kiosk.hostcsv import LANGUAGES, MAX_ALIASES, MAX_CHANNELS
from kiosk.settings import ROLES
from sync import protocol

Role = Literal[ROLES]  # type: ignore[valid-type]  (a tuple subscript is the same as listing them)
Action = Literal[ACTIONS]  # type: ignore[valid-type]
Language = Literal[(*LANGUAGES, "")]  # type: ignore[valid-type]
# Sites and device names travel in every event, so they follow the protocol's rule for them.
NAME_PATTERN = protocol.NAME.pattern
Name = Annotated[str, Field(pattern=NAME_PATTERN)]
HostId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
MAX_CURSOR = 2**63 - 1  # server_seq is a BIGINT: SQLite cannot even compare a larger number

EVENT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "One event, exactly the fields of kiosk.core.events.Event.",
    "required": list(protocol.FIELDS),
    "additionalProperties": False,
    "properties": {
        "event_id": {"type": "string", "pattern": protocol.ID.pattern},
        "site": {"type": "string", "pattern": protocol.NAME.pattern},
        "device": {"type": "string", "pattern": protocol.NAME.pattern},
        # No "maximum" (below 2^62): FastAPI's document model holds bounds as floats, which
        # would round it up to a value the protocol refuses.
        "seq": {"type": "integer", "minimum": 0, "description": "the device's own count, below 2^62"},
        "ts": {"type": "integer", "minimum": 0,
               "description": "the device's clock, ms since the epoch (UTC); not stored yet (retry) when "
                              f"more than {protocol.MAX_FUTURE_MS // 3_600_000} h ahead of the server's clock, "
                              f"refused when {protocol.MAX_PAST_MS // 86_400_000} days behind it"},
        "kind": {"type": "string", "pattern": protocol.KIND.pattern},
        "visit_id": {"type": "string", "pattern": protocol.VISIT.pattern},
        "data": {"type": "object", "description": f"at most {protocol.MAX_DATA_BYTES} bytes as compact JSON"},
        "hlc": {"type": "integer", "minimum": 0,
                "description": "optional: the hybrid logical clock stamp that orders it (kiosk.core.hlc)"},
    },
}
EventJson = Annotated[dict[str, Any], WithJsonSchema(EVENT_SCHEMA)]


def _iso_8601(value: Any) -> Any:
    # pydantic would also take a number of seconds; the document promises ISO 8601 only.
    if not isinstance(value, str) or not re.match(r"\d{4}-\d\d-\d\dT", value):
        raise ValueError("must be an ISO 8601 time with its UTC offset, e.g. 2024-05-01T09:00:00+08:00")
    return value


IsoTime = Annotated[AwareDatetime, BeforeValidator(_iso_8601)]


def local_time(ms: int | None) -> datetime | None:
    """A stored millisecond time as the server's local time with its offset (the office's
    time, unambiguous anywhere), to the second."""
    return None if ms is None else datetime.fromtimestamp(ms // 1000, tz=timezone.utc).astimezone()


class _In(BaseModel):
    # Refuse what we do not know and what is of the wrong type, rather than guess.
    model_config = ConfigDict(extra="forbid", strict=True)


class ErrorBody(BaseModel):
    error: str = Field(description="what is wrong, for the person who has to act on it")


class Health(BaseModel):
    status: Literal["ok"]
    db: Literal["sqlite", "postgresql"]
    events: int = Field(description="events stored: the newest one's server sequence number (on PostgreSQL an upper "
                                    "bound, numbers used up by writes rolled back skipped)")


class PushIn(_In):
    events: list[EventJson] = Field(max_length=protocol.MAX_BATCH)


class RefusedOut(BaseModel):
    event_id: str
    reason: str = Field(description="why this event is not stored; pushing it again changes nothing")


class PushOut(BaseModel):
    accepted: list[str] = Field(description="ids of the events stored by this push")
    known: list[str] = Field(description="ids of the events that were already stored")
    refused: list[RefusedOut] = Field(description="events not stored, each with the reason: their "
                                                              "content is refused, the rest of the batch is stored")
    retry: list[RefusedOut] = Field(default_factory=list, description=(
        "events not stored yet, each with the reason: dated more than "
        f"{protocol.MAX_FUTURE_MS // 3_600_000} h ahead of the server's clock. Not refused: push them "
        "again later (a device stops its push cursor before the first of them), they are stored once "
        "the server's clock is near their time"))
    server_time: int = Field(description="the server's clock, ms since the epoch: bounds the device's (kiosk.core.hlc)")


class TombstoneIn(_In):
    reason: str = Field(max_length=1000, description="why the event is withdrawn, at most 500 characters")


class TombstoneOut(BaseModel):
    event_id: str
    site: str
    visit_id: str
    kind: str
    device: str
    reason: str
    by: str = Field(description="the admin who withdrew it")
    at: datetime


class PullOut(BaseModel):
    events: list[EventJson]
    cursor: int = Field(description="pass as ?after= next time")
    more: bool = Field(description="true when more events follow the cursor")
    server_time: int = Field(description="the server's clock, ms since the epoch: bounds the device's (kiosk.core.hlc)")


class KeyIn(_In):
    key_id: str = Field(pattern=r"^[0-9a-f]{8}$", description="kiosk.core.tokens.key_id_of the key")
    public_key: str = Field(max_length=64, description="base64 of the raw 32-byte Ed25519 public key")


class KeyOut(BaseModel):
    key_id: str
    public_key: str
    site: str
    device: str
    revoked: bool = Field(description="the device was revoked: trust no badge this key signs")
    role: str = Field(description="the role of the device holding the key (visitor, reception, exit; server for the "
                                  "server's own): what its signature counts for (kiosk.core.trust)")


class KeysOut(BaseModel):
    keys: list[KeyOut]


class HostIn(_In):
    host_id: HostId | None = Field(default=None,
                                   description="default: derived from the email, else name and department")
    name: str = Field(max_length=1000)
    department: str = Field(default="", max_length=1000)
    email: str = Field(default="", max_length=1000)
    phone: str = Field(default="", max_length=1000)
    english_name: str = Field(default="", max_length=1000, description="at most 100 characters")
    aliases: list[Annotated[str, Field(max_length=1000)]] = Field(
        default=[], max_length=MAX_ALIASES, description="other names people ask for, each at most 40 characters")
    language: Language = Field(default="", description="the language of the host's notices; \"\": the site's")
    channels: list[Annotated[str, Field(max_length=2000)]] = Field(
        default=[], max_length=MAX_CHANNELS, description="the host's own notification channel URLs "
                                                         "(kiosk.notify.channels); they hold secrets")


class HostsIn(_In):
    hosts: list[HostIn]


class HostOut(BaseModel):
    host_id: str
    name: str
    department: str
    email: str
    phone: str
    english_name: str
    aliases: list[str]
    language: str
    channels: list[str] = Field(description="only visitor and reception devices and admins read these (and the "
                                            "host's email and phone): they deliver notices; exit posts get them empty")


class HostsOut(BaseModel):
    hosts: list[HostOut]


class WatchEntryIn(_In):
    entry_id: HostId | None = Field(default=None, description="default: derived from name, company and phone")
    name: str = Field(default="", max_length=1000, description="at most 64 characters")
    aliases: list[Annotated[str, Field(max_length=1000)]] = Field(
        default=[], max_length=MAX_ALIASES, description="other names or spellings, each at most 40 characters")
    company: str = Field(default="", max_length=1000, description="alone (no name, aliases or phone): everyone from it")
    phone: str = Field(default="", max_length=1000)
    action: Action = Field(default="block", description="block: not let in, security alerted; approve: the host or "
                                                        "reception must approve")
    note: str = Field(default="", max_length=1000, description="for reception's eyes, at most 200 characters")


class WatchlistIn(_In):
    entries: list[WatchEntryIn]


class WatchEntryOut(BaseModel):
    entry_id: str
    name: str
    aliases: list[str]
    company: str
    phone: str
    action: Action
    note: str


class WatchlistOut(BaseModel):
    entries: list[WatchEntryOut]
    replaced_at: datetime | None = Field(description="when it was last uploaded; null: never, and devices keep "
                                                     "a watchlist imported on them")


class VisitOut(BaseModel):
    site: str
    visit_id: str
    state: str
    name: str
    company: str
    host: str
    department: str
    signed_in_at: datetime | None
    signed_out_at: datetime | None


class VisitsOut(BaseModel):
    visits: list[VisitOut]


class ExportRow(BaseModel):
    """One visit in the audit export. No phone numbers: they are confidential (DESIGN.md); any typed
    into the purpose are masked (kiosk.core.masking)."""

    site: str
    visit_id: str
    state: str
    name: str
    company: str
    purpose: str
    host: str
    department: str
    signed_in_at: datetime | None
    host_met_at: datetime | None
    signed_out_at: datetime | None
    signed_out_by: str
    rating: int | None
    invite_id: str = Field(default="", description="the invitation the visit came by (an invitation's visit: its own id)")
    invitation_used_more_than_once: bool = Field(
        default=False, description="two kiosks cut off from each other both accepted its invitation: see reception")
    invitation_also_used_by: list[str] = Field(
        default_factory=list, description="the other visits its invitation became (CSV: separated by spaces)")
    signed_out_twice: bool = Field(
        default=False, description="another device signed the visit out too, after the sign-out kept: see reception")
    also_signed_out_by: list[str] = Field(
        default_factory=list, description="the devices that signed it out after the one kept (CSV: separated by spaces)")
    privacy_notice: str = Field(default="", description="the version of the privacy notice the visitor accepted "
                                                        "(empty: none recorded)")


DEFAULT_HOURS, MAX_HOURS = 12, 30 * 24  # how long an invitation is valid


class InvitationIn(_In):
    site: Name | None = Field(default=None, description="admins name the site; reception devices invite to their own")
    name: str = Field(max_length=1000, description="the visitor's, at most 30 characters")
    company: str = Field(default="", max_length=1000, description="at most 60 characters")
    phone: str = Field(default="", max_length=1000)
    host_id: HostId | None = Field(default=None, description="the host, from the directory (GET /v1/hosts)")
    host: str | None = Field(default=None, max_length=1000,
                             description="the host's name, when the server has no directory")
    purpose: str = Field(default="", max_length=1000, description="at most 60 characters")
    visitor_type: str = Field(default="guest", max_length=1000, description="guest, contractor, interview, ...")
    # Strict mode takes only datetime objects; from JSON, the ISO text is what there is.
    valid_from: IsoTime | None = Field(default=None, strict=False, description="default: now")
    hours: int = Field(default=DEFAULT_HOURS, ge=1, le=MAX_HOURS, description="how long it is valid")
    email: str = Field(default="", max_length=1000, description="the visitor's: the QR is sent there")


class InvitationOut(BaseModel):
    invite_id: str = Field(description="the invitation's visit id: each sign-in with it is a visit of its own, "
                                       "recorded as an invitation_used event under this id")
    text: str = Field(description="the signed invitation (kiosk.core.invites), the QR's content")
    valid_from: datetime
    expires: datetime
    emailed: bool
    reason: str = Field(description="why it was not emailed; empty when it was")


class DeviceIn(_In):
    site: Name
    name: Name
    role: Role = "visitor"


class DeviceOut(BaseModel):
    site: str
    name: str
    role: Role
    token: str = Field(description="shown once; the server keeps only its SHA-256")
