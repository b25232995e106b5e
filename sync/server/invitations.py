"""Invitations: a visitor registered ahead by a host or reception, through the API
(POST /v1/invitations) or ``kiosk-server invite``; both come here.

The server signs each invitation (kiosk.core.invites) with its own key for the site, which GET
/v1/keys lists as device "server", so the site's kiosks check it with the key ring they already
check badges with. The invite id is a fresh visit id, and the server writes an ``expected`` event
under it into the site's log: devices pull it like any event and fold it into an EXPECTED visit.
A kiosk signs the visitor in under a visit id of its own and records ``invitation_used`` under the
invite id, so a second use at a kiosk that knows of the first is refused, and two kiosks cut off
from each other that both take it keep two people (kiosk.core.reuse marks both). When the server has SMTP, the visitor gets the QR by email; an
email that cannot be sent leaves the invitation made, and the answer says why it was not sent.
"""

from __future__ import annotations

import html
import logging
import re
from dataclasses import dataclass, replace
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate
from typing import Any

from kiosk.core import invites, visits
from kiosk.core.events import EXPECTED, INVITATION_USED
from kiosk.core.hosts import Host, host_id_for
from kiosk.core.invites import Invitation
from kiosk.core.tokens import key_id_of, new_visit_id
from kiosk.core.validation import clean_name
from kiosk.errors import ValidationError
from kiosk.notify import BadChannel, DeliveryFailed, channel_from_url
from kiosk.notify.email import SmtpChannel, is_address
from printer.errors import PrinterError
from printer.invitation import INSTRUCTIONS, LABELS, InvitationCard, card_png, window
from sync.server import store
from sync.server.db import Database
from sync.server.errors import Conflict, Invalid, NotFound, ServerError
from sync.server.models import DEFAULT_HOURS, MAX_HOURS, local_time

log = logging.getLogger(__name__)

MAX_AHEAD_DAYS = 365  # how far ahead an invitation may start: further is a typo of the year
SMTP_ENV = "KIOSK_SMTP"
SUBJECT = "您的访客邀请 / Your visitor invitation"
_HOUR_MS = 3_600_000
_HEX_ID = re.compile(r"[0-9a-f]{12}")  # the host ids an invitation's text can carry


@dataclass(frozen=True)
class Made:
    """An invitation made, signed and stored, and what became of its email."""

    invitation: Invitation
    text: str
    department: str
    emailed: bool
    reason: str  # why it was not emailed ("" when it was)

    def answer(self) -> dict[str, Any]:
        i = self.invitation
        return {"invite_id": i.invite_id, "text": self.text, "valid_from": local_time(i.valid_from * 1000),
                "expires": local_time(i.expires * 1000), "emailed": self.emailed, "reason": self.reason}

    def card(self) -> InvitationCard:
        i = self.invitation
        host = f"{i.host} · {self.department}" if self.department else i.host
        return InvitationCard(i.name, i.company, host, i.site, i.purpose, local_time(i.valid_from * 1000),
                              local_time(i.expires * 1000), self.text)


def mailer(url: str) -> SmtpChannel:
    """The SMTP channel invitations are sent through, from ``--smtp`` / KIOSK_SMTP."""
    try:
        channel = channel_from_url(url)
    except BadChannel as e:  # its message never repeats the password
        raise ServerError(f"--smtp: {e}") from None
    if not isinstance(channel, SmtpChannel):
        raise ServerError("--smtp must be an smtp://, smtps:// or smtp+plain:// URL")
    return channel


def invite(db: Database, site: str, now: int, mail: SmtpChannel | None, *, name: str, company: str = "",
           phone: str = "", host_id: str | None = None, host: str | None = None, purpose: str = "",
           visitor_type: str = "guest", valid_from: datetime | None = None, hours: int = DEFAULT_HOURS,
           email: str = "") -> Made:
    """Make, sign and store an invitation to ``site``, then email it when there is an address and
    a mailer. Raises Invalid, naming the field, for anything wrong; nothing is stored then."""
    if not store.known_site(db, site):
        raise Invalid(f"no device is registered at site {site}: check its name (kiosk-server add-device)")
    visited = _host(db, host_id, host)
    start, end = _window(valid_from, hours, now)
    if email and not is_address(email):
        raise Invalid("email must be one address, such as name@example.com")
    key = store.signer(db, site, now)
    try:
        invitation = Invitation(
            invite_id=new_visit_id(), site=site, key_id=key_id_of(key.public_key()), valid_from=start,
            expires=end, visitor_type=visitor_type, name=name, company=company, phone=phone, purpose=purpose,
            host_id=visited.host_id if _HEX_ID.fullmatch(visited.host_id) else "", host=visited.name)
    except ValidationError as e:
        raise Invalid(str(e)) from None
    store.append(db, site, EXPECTED, invitation.invite_id, _expected(invitation, visited), now)
    made = Made(invitation, invites.sign(invitation, key), visited.department, False, "")
    return _emailed(made, email, mail)


def _host(db: Database, host_id: str | None, host: str | None) -> Host:
    """The host visited: from the directory by id, or by name when the server has none."""
    if host_id and host:
        raise Invalid("give host_id or host, not both")
    if host_id:
        found = store.get_host(db, host_id)
        if found is None:
            raise Invalid(f"host_id {host_id} is not in the host directory (GET /v1/hosts)")
        return found
    if not host:
        raise Invalid("name the host: host_id (from the directory), or host when there is no directory")
    if store.has_hosts(db):
        raise Invalid("this server has a host directory: name the host by host_id (GET /v1/hosts)")
    try:
        cleaned = clean_name(host, "host")
    except ValidationError as e:
        raise Invalid(str(e)) from None
    return Host(host_id_for(cleaned), cleaned)  # as a kiosk without a directory names a host


def _window(valid_from: datetime | None, hours: int, now: int) -> tuple[int, int]:
    """(valid from, expires) in seconds since the epoch."""
    if type(hours) is not int or not 1 <= hours <= MAX_HOURS:
        raise Invalid(f"hours must be a whole number from 1 to {MAX_HOURS} (30 days)")
    start = now // 1000 if valid_from is None else int(valid_from.timestamp())
    end = start + hours * 3600
    if end * 1000 <= now:
        raise Invalid("valid_from plus hours is in the past: the invitation would have expired already")
    if start * 1000 > now + MAX_AHEAD_DAYS * 24 * _HOUR_MS:
        raise Invalid(f"valid_from must be within {MAX_AHEAD_DAYS} days from now")
    return start, end


def _expected(i: Invitation, host: Host) -> dict[str, Any]:
    """The expected event's payload: signed_in's visitor and host (kiosk.core.visits), and the
    invitation's own terms."""
    return {"visitor": {"name": i.name, "company": i.company, "phone": i.phone, "purpose": i.purpose},
            "host": {"host_id": host.host_id, "name": host.name, "department": host.department},
            "invite_id": i.invite_id, "valid_from": i.valid_from * 1000, "expires": i.expires * 1000,
            "visitor_type": i.visitor_type}


# -- the email ---------------------------------------------------------------------------------

def _emailed(made: Made, address: str, mail: SmtpChannel | None) -> Made:
    if not address:
        return replace(made, reason="no email address was given")
    if mail is None:
        return replace(made, reason=f"this server sends no email: start it with --smtp URL (or {SMTP_ENV})")
    try:
        mail.send(message(made, mail.sender, address), address)
    except (DeliveryFailed, PrinterError) as e:  # neither message holds a secret
        log.warning("invitation %s was made but not emailed: %s", made.invitation.invite_id, e)
        return replace(made, reason=str(e))
    return replace(made, emailed=True)


def message(made: Made, sender: str, to: str) -> EmailMessage:
    """The invitation email: plain text and HTML, Simplified Chinese first then English, the card
    inline (multipart/related, by Content-ID) and the text for typing in. The visitor's name is
    in the To header only, where the email package encodes it (and refuses a line break)."""
    i = made.invitation
    card = made.card()
    mail = EmailMessage(policy=SMTP)
    mail["Subject"] = SUBJECT
    mail["From"] = sender
    mail["To"] = Address(display_name=i.name, addr_spec=to)
    mail["Date"] = formatdate(localtime=True)
    mail["Message-ID"] = f"<{i.invite_id}@kiosk>"
    shown = (("host", card.host), ("when", window(card.valid_from, card.expires)), ("where", i.site),
             ("purpose", i.purpose))
    rows = [(LABELS[key], value) for key, value in shown if value]
    mail.set_content(_text(i.name, rows, made.text), charset="utf-8")
    cid = f"card.{i.invite_id}@kiosk"
    mail.add_alternative(_html(i.name, rows, made.text, cid), subtype="html", charset="utf-8")
    mail.get_payload()[1].add_related(card_png(card), "image", "png", cid=f"<{cid}>", filename="invitation.png",
                                      disposition="inline")
    return mail


_GREETING = ("{name}，您好：", "Dear {name},")
_LEAD = ("您已受邀来访，请凭以下邀请登记。", "You are invited to visit; sign in with the invitation below.")
_TYPING = ("无法扫描时，请在访客机上输入邀请码：", "If the code cannot be scanned, type this invitation code at the kiosk:")


def _text(name: str, rows: list[tuple[str, str]], text: str) -> str:
    return "\n".join([_GREETING[0].format(name=name), _GREETING[1].format(name=name), "", *_LEAD, "",
                      *(f"{label}: {value}" for label, value in rows), "", *INSTRUCTIONS, "", *_TYPING, text, ""])


def _html(name: str, rows: list[tuple[str, str]], text: str, cid: str) -> str:
    e = html.escape
    cells = "".join(f'<tr><th align="left">{e(label)}</th><td>{e(value)}</td></tr>' for label, value in rows)
    greeting = "<br>".join(e(g.format(name=name)) for g in _GREETING)
    return (f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{e(SUBJECT)}</title></head><body>'
            f"<p>{greeting}</p><p>{'<br>'.join(map(e, _LEAD))}</p><table>{cells}</table>"
            f"<p><b>{e(INSTRUCTIONS[0])}</b><br>{e(INSTRUCTIONS[1])}</p>"
            f'<p><img src="cid:{e(cid)}" alt="{e(INSTRUCTIONS[1])}" style="max-width:100%"></p>'
            f"<p>{'<br>'.join(map(e, _TYPING))}<br><code>{e(text)}</code></p></body></html>")


# -- after the invitation is made (the web console's invitations page) ------------------------

def resend(db: Database, site: str, invite_id: str, now: int, mail: SmtpChannel | None, email: str) -> Made:
    """Email an invitation again (to the address given: addresses are not kept). The text is
    signed again from the stored ``expected`` event with the site's key; Ed25519 signatures are
    deterministic, so it is the very text first sent."""
    if not is_address(email):
        raise Invalid("email must be one address, such as name@example.com")
    stored = [e for e in store.visit_events(db, site, invite_id) if e.kind == EXPECTED]
    if not stored:
        raise NotFound("no such invitation")
    data = stored[0].data
    visitor, host = dict(data.get("visitor") or {}), dict(data.get("host") or {})
    key = store.signer(db, site, now)
    invitation = Invitation(
        invite_id=invite_id, site=site, key_id=key_id_of(key.public_key()), valid_from=int(data["valid_from"]) // 1000,
        expires=int(data["expires"]) // 1000, visitor_type=str(data.get("visitor_type") or "guest"),
        name=str(visitor.get("name", "")), company=str(visitor.get("company", "")),
        phone=str(visitor.get("phone", "")), purpose=str(visitor.get("purpose", "")),
        host_id=str(host.get("host_id", "")) if _HEX_ID.fullmatch(str(host.get("host_id", ""))) else "",
        host=str(host.get("name", "")))
    if invitation.expires * 1000 <= now:
        raise Conflict("this invitation has expired: make a new one")
    made = Made(invitation, invites.sign(invitation, key), str(host.get("department", "")), False, "")
    return _emailed(made, email, mail)


def cancel(db: Database, site: str, invite_id: str, now: int) -> None:
    """Withdraw an invitation nobody used yet: the server records it as used up by itself (an
    ``invitation_used`` naming its own id, as kiosks recorded uses before), so every kiosk of the
    site refuses it as used once it has synced. Conflict when it was used (or cancelled) already."""
    def not_open(visit) -> bool:
        return visit is None or visit.state != visits.EXPECTED

    if store.append(db, site, INVITATION_USED, invite_id, {"visit_id": invite_id}, now, unless=not_open) is None:
        if not [e for e in store.visit_events(db, site, invite_id) if e.kind == EXPECTED]:
            raise NotFound("no such invitation")
        raise Conflict("this invitation was used or cancelled already")
