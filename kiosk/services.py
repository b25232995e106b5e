"""What the kiosk does, as plain calls: sign in, sign out by scan, reprint, report a badge
lost, who is on site. The CLI and the UI are thin layers over this.

Order matters here: a sign-in and its badge are committed to the log before anything goes to
the printer, and a printer failure is itself recorded, so a badge never exists on paper
without its record and a visit is never lost to a paper jam.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Mapping

from kiosk.core import events as ev
from kiosk.core import acceptance, invites, recognise, tokens
from kiosk.core.approvals import approval_token
from kiosk.core.invites import Invitation
from kiosk.core.hosts import Host, HostIndex, host_id_for
from kiosk.core.scan_verdict import badge_verdict
from kiosk.core.unconfirmed import NOTE as UNCONFIRMED_NOTE, badge_unconfirmed
from kiosk.core.tokens import Claims, KeyRing, PublicKey, Signer, Verdict
from kiosk.core.validation import MAX_COMPANY, MAX_PURPOSE, clean_name, clean_phone, clean_text, validate_visitor
from kiosk.core.visitor_search import VisitorIndex
from kiosk.core.visits import AWAITING_APPROVAL, BLOCKED, ON_SITE_STATES, SIGNED_OUT, WAITING, WITH_HOST, Badge, Visit
from kiosk import notifier
from kiosk.core.policy import APPROVE, BLOCK, clean_answers
from kiosk.entry import EntryRules, load_policy, matches_for_reception
from kiosk.errors import HostNotFound, InvitationRefused, KioskError, StoreError, ValidationError, VisitorBlocked
from kiosk.notify import notice
from kiosk.settings import Settings
from kiosk.store.db import Database
from kiosk.store.directory import DirectoryTable
from kiosk.store.keys import KeyTable, load_or_create_signer
from kiosk.store.log import EventLog, wall_clock_ms
from kiosk.store.outbox import OutboxTable
from printer.device import Printer
from printer.errors import PrinterError
from printer.fonts import unsupported_chars
from printer.status import Status

DB_FILE = "kiosk.sqlite3"
# Who counts as in the building: also those still waiting for approval (roll call, end of day).
IN_BUILDING = ON_SITE_STATES | {AWAITING_APPROVAL}
APPROVAL_PATH = "/v1/approvals"  # the server's page for an approval link (sync.server)
RECEPTION = {"zh_CN": "前台", "zh_TW": "櫃檯", "en": "Reception"}  # whom an alert greets
UNKNOWN_BADGE = "unknown_badge"  # a typed badge number this device's log has never issued
MAX_PRINTER_URL = 200  # of the printer URL kept with a printed badge


@dataclass(frozen=True)
class CheckIn:
    visit: Visit
    badge: str  # the exact text in the QR
    badge_id: str
    printed: bool
    print_error: str = ""
    # Sent but never confirmed by the printer: the badge may be in the visitor's hand, so
    # nobody may call it "not printed" (print_error says "unknown, check the printer").
    print_unknown: bool = False
    replaced: Badge | None = None  # a reprint: the badge it revoked, as it stood


@dataclass(frozen=True)
class CheckOut:
    """The verdict on one scan; ``ok`` means the visitor is signed out now."""

    reason: str
    visit: Visit | None = None
    claims: Claims | None = None
    detail: str = ""
    signed_out_at: int | None = None  # when, for already_signed_out and ok

    @property
    def ok(self) -> bool:
        return self.reason == tokens.OK


@dataclass(frozen=True)
class Queue:
    """What reception watches: who waits for whom (longest first), who waits for approval, who
    is with their host, and who left today."""

    waiting: list[Visit]
    awaiting_approval: list[Visit]
    with_host: list[Visit]
    signed_out_today: list[Visit]
    blocked_today: list[Visit]  # stopped by the entry policy: never in the building

    @property
    def in_building(self) -> int:
        return len(self.waiting) + len(self.awaiting_approval) + len(self.with_host)


# Reception's search without a date covers this many days (today: 1) and whoever is still in
# the building from before: what it costs then does not grow with the log's history. A date
# searches that day.
SEARCH_INDEX_DAYS = 1


@dataclass
class Kiosk:
    settings: Settings
    log: EventLog
    signer: Signer | None  # None on an exit post: it verifies badges and never mints one
    keys: KeyTable
    directory: DirectoryTable
    printer_factory: Callable[[], Printer]
    entry: EntryRules
    clock: Callable[[], int] = wall_clock_ms
    notices_queued: Callable[[], None] = lambda: None  # the Notifier's poke, when one runs
    _index: HostIndex | None = field(default=None, repr=False)
    _visitor_index: tuple | None = field(default=None, repr=False)  # (window, log position, VisitorIndex)
    _keyring: KeyRing | None = field(default=None, repr=False)
    _printer: Printer | None = field(default=None, repr=False)

    @classmethod
    def open(cls, settings: Settings, printer: Printer | Callable[[], Printer],
             clock: Callable[[], int] = wall_clock_ms, monotonic: Callable[[], float] = time.monotonic) -> "Kiosk":
        """The kiosk on this device's data directory. ``printer`` may be a factory, so that
        commands which never print (an exit post's check-out) never depend on the printer.
        ``monotonic`` measures the time since the server's clock was heard (kiosk.core.hlc)."""
        db = Database(settings.data_path / DB_FILE)
        keys = KeyTable(db)
        signer = None
        if settings.role != "exit":
            signer = load_or_create_signer(settings.data_path)
            keys.add(PublicKey(signer.key_id, signer.public_key.public_bytes_raw(), settings.site, settings.device,
                               role=settings.role))
        log = EventLog(db, settings.site, settings.device, clock, role=settings.role, monotonic=monotonic)
        factory = printer if callable(printer) else (lambda: printer)
        entry = EntryRules(db, load_policy(settings.policy))
        return cls(settings, log, signer, keys, DirectoryTable(db), factory, entry, clock)

    @property
    def printer(self) -> Printer:
        if self._printer is None:
            self._printer = self.printer_factory()
        return self._printer

    @printer.setter
    def printer(self, printer: Printer) -> None:
        self._printer = printer

    # -- hosts ------------------------------------------------------------------------------

    def host_index(self) -> HostIndex:
        if self._index is None:
            self._index = HostIndex(self.directory.all())
        return self._index

    def import_hosts(self, hosts: list[Host]) -> int:
        self.directory.replace_all(hosts)
        self._index = None
        return len(hosts)

    def find_host(self, query: str) -> Host:
        """The one host a free-text answer names. With no directory loaded, any sane name is
        taken as it is (a stand-alone kiosk); with one, it must name exactly one person."""
        index = self.host_index()
        if len(index) == 0:
            name = clean_name(query, "host")
            return Host(host_id_for(name, "", ""), name)
        wanted = " ".join(query.split()).casefold()
        found = index.search(query, limit=10)
        exact = [h for h in found if wanted in (h.name.casefold(), h.email.casefold(), h.host_id)]
        if len(exact) == 1 or (not exact and len(found) == 1):
            return (exact or found)[0]
        candidates = exact or found
        if not candidates:
            raise HostNotFound(f"no host matches {query!r}")
        listed = "; ".join(f"{h.name} ({h.department or '-'}, {h.email or h.host_id})" for h in candidates)
        raise HostNotFound(f"{query!r} matches {len(candidates)} hosts: {listed}", candidates)

    # -- sign in ----------------------------------------------------------------------------

    def read_invitation(self, text: str) -> Invitation:
        """A scanned invitation, checked offline (signature, site, validity) and against this
        log (used already), or InvitationRefused saying why."""
        verdict = invites.read(text, self.keyring(), now=self.clock() // 1000, site=self.settings.site)
        if not verdict.ok:
            raise InvitationRefused(verdict.reason, verdict.detail)
        if _used(self.log.visit(verdict.invitation.invite_id)):
            raise InvitationRefused(invites.USED)
        return verdict.invitation

    def invite(self, *, name: str, host: Host, email: str, company: str = "", phone: str = "", purpose: str = "",
               hours: int = 12) -> dict:
        """Pre-register a visitor through the central server, which signs the invitation, logs
        the expected visit for every device of the site and emails the visitor the QR code;
        its answer (invite_id, text, emailed, reason). Needs the server: invitations are made
        ahead, and the kiosk that will scan one must learn the server's key anyway."""
        from sync.client import SyncClient, SyncError

        if not (self.settings.server and self.settings.token):
            raise KioskError("inviting needs the central server (settings server and token)")
        listed = self.directory.get(host.host_id) is not None
        fields = {"name": clean_name(name), "company": clean_text(company, "company", MAX_COMPANY),
                  "phone": clean_phone(phone), "purpose": clean_text(purpose, "purpose", MAX_PURPOSE),
                  "email": clean_text(email, "email", 254), "hours": hours,
                  **({"host_id": host.host_id} if listed else {"host": host.name})}
        try:
            return SyncClient(self.settings.server, self.settings.token).invite(**fields)
        except SyncError as exc:
            raise KioskError(f"the invitation was not made: {exc}") from None

    def invited_host(self, invitation: Invitation) -> Host:
        """The host an invitation names, as the directory knows them (for their channels)."""
        return self._listed(invitation.host_id) or Host(invitation.host_id or host_id_for(invitation.host),
                                                        invitation.host)

    def check_in(self, *, name: str, host: Host, company: str = "", phone: str = "", purpose: str = "",
                 lang: str | None = None, agreement: Mapping[str, Any] | None = None, visitor_type: str = "guest",
                 answers: Mapping[str, str] | None = None, invitation: Invitation | None = None,
                 consents: Iterable[Mapping[str, Any]] = ()) -> CheckIn:
        """Record the visit and its badge, then print it. ``agreement`` is what the visitor
        accepted on the touchscreen (version, language, signature strokes), kept with the visit;
        ``consents`` the visitor's answers to the privacy notice and to any separate consent
        (kiosk.core.consent.record), each a ``consent`` event in the sign-in's transaction.
        The entry policy decides first: a visit that needs approval is recorded without a badge
        (``issue_badge`` prints it once approved) and the host asked; a blocked visitor is
        recorded, reception and security alerted, and VisitorBlocked raised. With ``invitation``
        the visit is a new one all the same, recorded as a use of the invitation's visit in the
        same transaction: refused if this log has a use already; two kiosks cut off from each
        other may each take it once, and each person keeps a visit of their own."""
        self.log.check_role(ev.SIGNED_IN)  # an exit post: refused before any decision is taken or kept
        visitor = validate_visitor(name, company, phone, purpose)
        for field_name, text in (("name", visitor.name), ("company", visitor.company), ("host", host.name),
                                 ("department", host.department)):
            missing = unsupported_chars(text)
            if missing:
                raise ValidationError(field_name, "unprintable",
                                      f"{field_name} has characters the badge cannot print: {''.join(missing)}")
        vtype = self.entry.policy.visitor_type(visitor_type)
        answers = clean_answers(vtype, answers or {}) if vtype else {}
        decision = self.entry.decide(visitor_type=visitor_type, name=visitor.name, company=visitor.company,
                                     phone=visitor.phone, answers=answers, when_ms=self.clock())
        visit_id = tokens.new_visit_id()
        # After the visit's opening (signed_in or blocked), never before: the log is pushed in
        # order, so the server has the opening by the time it checks the use (same device, same
        # or earlier batch; sync.server.accept.refuse_invitation_uses).
        used = ((ev.INVITATION_USED, invitation.invite_id, {"visit_id": visit_id}),) if invitation else ()
        used += tuple((ev.CONSENT, visit_id, dict(answer)) for answer in consents)
        signed_in = {"visitor": visitor.as_dict(), "lang": lang or self.settings.language,
                     "host": {"host_id": host.host_id, "name": host.name, "department": host.department},
                     "visitor_type": visitor_type, "answers": answers}
        if invitation:
            signed_in["invite_id"] = invitation.invite_id
        judged = {"reasons": list(decision.reasons), "watchlist": matches_for_reception(decision)}
        about = {"visitor_name": visitor.name, "company": visitor.company, "purpose": visitor.purpose,
                 "at": self.clock()}
        if decision.outcome == BLOCK:
            self._record_blocked(visit_id, {**signed_in, **judged}, about, alert=bool(decision.matches), used=used,
                                invitation=invitation)
        if agreement:
            signed_in["agreement"] = dict(agreement)
        if decision.outcome == APPROVE:
            signed_in["needs_approval"] = True
            # A watchlist match is reception's to judge, face to face: the host gets no link.
            ask_host = None if decision.matches else \
                self._notices(host, visit_id, notice.APPROVAL, link=self._approval_link(visit_id), **about,
                              visitor_type=vtype, answers=answers)  # a contractor's permit, area, tools
            self._record_or_explain((ev.SIGNED_IN, visit_id, signed_in), *used,
                                    (ev.APPROVAL_REQUESTED, visit_id, judged), also=ask_host, invitation=invitation)
            return CheckIn(self.log.visit(visit_id), "", "", printed=False)
        badge_id, token, issued = self._new_badge(visit_id, decision.badge_valid_ms)
        self._record_or_explain((ev.SIGNED_IN, visit_id, signed_in), *used, (ev.BADGE_ISSUED, visit_id, issued),
                                also=self._notices(host, visit_id, **about), invitation=invitation)
        return self._print(visit_id, badge_id, token)

    def _record_or_explain(self, *specs, also, invitation: Invitation | None = None) -> None:
        try:
            # An invitation's visit is signed in once: checked again here, where no other
            # sign-in can slip in between (two kiosks apart can still both take it offline).
            recorded = self.log.record(*specs, also=also, unless=_used if invitation else None,
                                       unless_visit=invitation.invite_id if invitation else "")
        except StoreError as exc:
            raise StoreError(f"the visit was NOT recorded and no badge was printed: {exc}") from exc
        if not recorded:
            raise InvitationRefused(invites.USED)
        self.notices_queued()

    def _record_blocked(self, visit_id: str, data: dict, about: dict, *, alert: bool, used: tuple = (),
                        invitation: Invitation | None = None) -> None:
        """Keep the refused registration for reception and, for a watchlist match, alert the
        site's channels (security's group); the visitor learns nothing but "please see
        reception". (A visit refused for the hours alone alarms nobody.)"""
        desk = Host("reception", RECEPTION.get(self.settings.language, RECEPTION["en"]))
        alerts = self._notices(desk, visit_id, notice.ALERT, **about) if alert else None
        self._record_or_explain((ev.BLOCKED, visit_id, data), *used, also=alerts, invitation=invitation)
        raise VisitorBlocked("please see reception")

    def _approval_link(self, visit_id: str) -> str:
        """Where the host approves or denies: the server's page for a link this kiosk signed.
        Stand-alone there is none, and reception decides."""
        if not self.settings.server or self.signer is None:
            return ""
        token = approval_token(self.signer, visit_id=visit_id, site=self.settings.site, now=self.clock() // 1000)
        return f"{self.settings.server.rstrip('/')}{APPROVAL_PATH}/{token}"

    def issue_badge(self, visit_id: str) -> CheckIn:
        """The badge of an approved visit that has none yet (it waited for approval)."""
        visit = self._visit_on_site(visit_id)
        if visit.current_badge is not None:
            raise KioskError(f"visit {visit_id} already has a badge: reprint it instead")
        badge_id, token, issued = self._new_badge(visit_id, self._badge_ms(visit))
        self.log.record((ev.BADGE_ISSUED, visit_id, issued))
        return self._print(visit_id, badge_id, token)

    def _badge_ms(self, visit: Visit) -> int:
        """How long a badge of this visit lasts: its visitor type's hours (see _new_badge)."""
        vtype = self.entry.policy.visitor_type(visit.visitor_type)
        return round((vtype.badge_hours if vtype else self.settings.badge_valid_hours) * 3_600_000)

    def _notices(self, host: Host, visit_id: str, kind: str = notice.ARRIVED, key: str = "", **about):
        """What queues the host's notices in the transaction that records the visit's event."""
        entries = notifier.notices(self.settings, host, visit_id, kind, key=key, **about)
        return lambda conn, _events: OutboxTable.add(conn, entries, self.clock())

    def leave_message(self, visit_id: str, text: str) -> Visit:
        """A note from a visitor whose host is away: kept with the visit (reception sees it) and
        sent to the host on every channel that reaches them."""
        text = clean_text(text, "message", 500, required=True)
        visit = self.log.visit(visit_id)
        if visit is None:
            raise KioskError(f"visit {visit_id} is not in this kiosk's log")
        host = self._host_of(visit)
        queue = self._notices(host, visit_id, notice.MESSAGE, key=f"m{len(visit.messages) + 1}",
                              visitor_name=visit.visitor.get("name", ""), company=visit.visitor.get("company", ""),
                              at=visit.signed_in_at or self.clock(), message=text)
        self.log.record((ev.MESSAGE_LEFT, visit_id, {"text": text}), also=queue)
        self.notices_queued()
        return self.log.visit(visit_id)

    def _host_of(self, visit: Visit) -> Host:
        """The visit's host as the directory knows them now (their channels), else as recorded."""
        host_id = visit.host.get("host_id", "")
        return self._listed(host_id) or Host(host_id, visit.host.get("name", ""), visit.host.get("department", ""))

    def _listed(self, host_id: str) -> Host | None:
        return self.directory.get(host_id) if host_id else None

    def returning_visitor(self, phone: str) -> dict[str, str] | None:
        """Name and company from this phone number's latest visit, for a returning visitor to
        confirm (the screen shows them masked), or None."""
        phone = clean_phone(phone)
        visit = self.log.latest_visit_by_phone(phone) if phone else None
        if visit is None:
            return None
        return {"name": visit.visitor.get("name", ""), "company": visit.visitor.get("company", ""),
                "visit_id": visit.visit_id,  # seeds the names to pick from (name_choices), never shown
                # the last host, offered once the name is confirmed, while still in the directory
                "host": self._listed((visit.host or {}).get("host_id", "")),
                # the last kind of visit and the agreement it accepted, offered likewise
                "visitor_type": visit.visitor_type, "purpose": visit.visitor.get("purpose", ""),
                "accepted": self._accepted(visit)}

    def _accepted(self, visit: Visit) -> dict[str, Any] | None:
        """The agreement ``visit`` accepted and when (kiosk.core.acceptance), from its sign-in."""
        vtype = self.entry.policy.visitor_type(visit.visitor_type or "guest")
        for event in self.log.events(visit.visit_id):
            if event.kind == ev.SIGNED_IN:
                return acceptance.acceptance(event.data.get("agreement"), event.ts,
                                             vtype.agreement if vtype else "default", visit.visit_id)
        return None

    def name_choices(self, phone: str, known: dict | None, lang: str) -> list[str]:
        """The names a visitor who says they have been here picks theirs from: the name of this
        number's latest visit (``known``, from returning_visitor, or None) among made-up ones,
        the same at every look-up on every kiosk of the site (kiosk.core.recognise explains why
        that matters): seeded by the visit's id, which only the site's devices hold."""
        number = clean_phone(phone).encode()
        if known:
            seed = hashlib.sha256(b"kiosk-recognise\0" + known["visit_id"].encode() + b"\0" + number).digest()
        else:  # nothing to give away: this device's own secret keeps the four the same here
            seed = hashlib.sha256(self.signer.signature(b"kiosk-recognise\0" + number)).digest()
        return recognise.name_choices(known["name"] if known else "", seed, lang)

    def reprint(self, visit_id: str) -> CheckIn:
        """A new badge for a visitor on site; the old one stops working. The result names the
        badge revoked (``replaced``), so that whoever reprints can say so when it may be in the
        visitor's hand (printed, or its printing unconfirmed)."""
        visit = self._visit_on_site(visit_id)
        old = visit.current_badge
        badge_id, token, issued = self._new_badge(visit_id, self._badge_ms(visit))
        if old is not None:
            issued["replaces"] = old.badge_id
        self.log.record((ev.BADGE_ISSUED, visit_id, issued))
        return replace(self._print(visit_id, badge_id, token), replaced=old)

    def confirm_printed(self, visit_id: str, by: str = "reception") -> Visit:
        """Reception saw the badge whose printing was not confirmed come out whole: it is
        printed, and no reprint (which would revoke it) is needed."""
        visit = self._visit_on_site(visit_id)
        badge = visit.current_badge
        if badge is None or badge.printed:
            raise KioskError(f"visit {visit_id} has no badge waiting for its printing to be confirmed")
        self.log.record((ev.BADGE_PRINTED, visit_id, {"badge_id": badge.badge_id, "by": clean_text(by, "by", 100)}))
        return self.log.visit(visit_id)

    def mark_lost(self, badge_id: str) -> Visit:
        visits = [v for v in self.log.visits_of_badge(badge_id) if v.badge(badge_id) is not None]
        live = [v for v in visits if not v.badge(badge_id).revoked and v.state != SIGNED_OUT] or visits
        if not live:
            raise KioskError(f"badge {tokens.badge_number(badge_id)} is not in this kiosk's log")
        if len(live) > 1:
            names = ", ".join(v.visitor.get("name", v.visit_id) for v in live)
            raise KioskError(f"badge {tokens.badge_number(badge_id)} was issued to more than one visitor ({names}): "
                             "scan the badge instead of typing its number")
        self.log.record((ev.BADGE_LOST, live[0].visit_id, {"badge_id": badge_id}))
        return self.log.visit(live[0].visit_id)

    def _visit_on_site(self, visit_id: str) -> Visit:
        visit = self.log.visit(visit_id)
        if visit is None or not visit.on_site:
            raise KioskError(f"visit {visit_id} is not on site")
        return visit

    def _new_badge(self, visit_id: str, valid_ms: int) -> tuple[str, str, dict]:
        if self.signer is None:
            raise KioskError("this device is an exit post: it signs visitors out, never in")
        badge_id = tokens.new_badge_id()
        while self.log.visits_of_badge(badge_id):  # keep typed badge numbers unambiguous here
            badge_id = tokens.new_badge_id()
        issued_s = self.clock() // 1000
        # The visitor type's hours, never longer than the operator's badge_valid_hours.
        expires_s = issued_s + min(self.settings.badge_valid_hours * 3600, valid_ms // 1000)
        token = self.signer.sign(badge_id=badge_id, visit_id=visit_id, site=self.settings.site,
                                 issued_at=issued_s, expires_at=expires_s)
        issued = {"badge_id": badge_id, "issued_at": issued_s * 1000, "expires_at": expires_s * 1000,
                  "key_id": self.signer.key_id}
        return badge_id, token, issued

    def _print(self, visit_id: str, badge_id: str, token: str) -> CheckIn:
        # Badge layout (qrcode, Pillow drawing) is imported when first printed (by the printer's
        # print_badge): the touchscreen shows its welcome screen sooner without it.
        visit = self.log.visit(visit_id)
        printer = self.printer
        try:
            printer.print_badge(self._badge_content(visit, badge_id, token), name=f"badge-{badge_id}")
        except Exception as exc:  # noqa: BLE001 - the visit is recorded: no failure may hide that
            reason = str(exc) if isinstance(exc, PrinterError) else f"not printed: {type(exc).__name__}: {exc}"
            code = getattr(exc, "code", "error")
            self._record_quietly((ev.PRINT_FAILED, visit_id, {"badge_id": badge_id, "reason": reason, "code": code}))
            return CheckIn(self.log.visit(visit_id), token, badge_id, printed=False, print_error=reason,
                           print_unknown=code == "unknown")
        # Which printer: with a fallback (printer.fallback) it is not always the first one.
        by = re.sub(r"://[^/@]*@", "://", getattr(printer, "printed_by", printer.url))[:MAX_PRINTER_URL]  # no password
        self._record_quietly((ev.BADGE_PRINTED, visit_id, {"badge_id": badge_id, "printer": by}))
        return CheckIn(self.log.visit(visit_id), token, badge_id, printed=True)

    def warm_up(self) -> None:
        """Prepare one badge the way the configured printer will (our raster, a label's layout,
        or ZPL) without printing it, so that the first visitor's badge does not also pay for
        loading the layout code, the fonts and their glyph tables."""
        from printer.badge import BadgeContent

        now = datetime.now().astimezone()
        self.printer.warm_up(BadgeContent(
            name="张三 Zhang San", company="示例", host_name="李四", host_department="研发部", issued_at=now,
            valid_until=now, badge_number="AAAA-AAAA", qr_text="VB1" + "A" * 150,
            organisation=self.settings.organisation, lang=self.settings.language))

    def _record_quietly(self, spec) -> None:
        # The visit and its badge are already on disk; a print outcome we cannot record (disk
        # full since) must not turn a valid sign-in into an error. Reception sees "not printed".
        try:
            self.log.record(spec)
        except StoreError:
            pass

    def _badge_content(self, visit: Visit, badge_id: str, token: str):
        from printer.badge import BadgeContent, type_labels

        badge = visit.badge(badge_id)
        vtype = self.entry.policy.visitor_type(visit.visitor_type or "guest")
        tz = datetime.now().astimezone().tzinfo
        return BadgeContent(
            name=visit.visitor["name"], company=visit.visitor.get("company", ""),
            host_name=visit.host.get("name", ""), host_department=visit.host.get("department", ""),
            issued_at=datetime.fromtimestamp(badge.issued_at / 1000, tz),
            valid_until=datetime.fromtimestamp(badge.expires_at / 1000, tz),
            badge_number=tokens.badge_number(badge_id), qr_text=token,
            organisation=self.settings.organisation, lang=visit.lang or self.settings.language,
            visitor_type=type_labels(visit.visitor_type or "guest", vtype.labels if vtype else None),
            escort=bool(vtype and vtype.needs_escort))

    # -- sign out ---------------------------------------------------------------------------

    def verdict(self, scan: str) -> CheckOut:
        """What one scan would do, without doing it: the exit post's decision."""
        checked: Verdict = tokens.verify(scan, self.keyring(), self.settings.site, self.clock() / 1000)
        if not checked.ok:
            return self._refused(checked)
        claims = checked.claims
        visit = self.log.visit(claims.visit_id)
        reason, detail = badge_verdict(visit, claims.badge_id)
        if visit is not None and visit.purged:
            return CheckOut(reason, None, claims, detail=detail)  # no one to show
        return CheckOut(reason, visit, claims, detail=detail,
                        signed_out_at=visit.signed_out_at if reason == tokens.ALREADY_SIGNED_OUT else None)

    def _refused(self, checked: Verdict) -> CheckOut:
        """An expired badge (genuine, signed here) whose visit has ended says so: a badge
        signed out yesterday is "already signed out", not "not signed out"."""
        visit = self.log.visit(checked.claims.visit_id) if checked.reason == tokens.EXPIRED else None
        if visit is not None and visit.purged:
            return CheckOut(tokens.EXPIRED, None, checked.claims, detail="purged")
        if visit is not None and visit.state == SIGNED_OUT:
            return CheckOut(tokens.ALREADY_SIGNED_OUT, visit, checked.claims, signed_out_at=visit.signed_out_at)
        return CheckOut(checked.reason, visit, checked.claims, detail=checked.detail)

    def check_out(self, scan: str) -> CheckOut:
        """Sign out whoever this badge belongs to, if the badge says they may leave. A valid
        badge this device has never seen (issued at another kiosk, not yet synced) signs out
        too: the event carries the visit id, and the logs reconcile when they meet."""
        decision = self.verdict(scan)
        if not decision.ok:
            return decision
        return self._sign_out(decision.claims.visit_id, decision.claims.badge_id, "scan", decision.claims)

    def check_out_by_number(self, typed: str) -> CheckOut:
        """Sign out by the badge number a visitor types when the scanner cannot read the badge.
        Only this device's log can answer (the number carries no signature), so a badge issued
        elsewhere and not yet synced is sent to reception."""
        badge_id = tokens.parse_badge_number(typed)
        if badge_id is None:
            return CheckOut(tokens.MALFORMED, detail="not a badge number")
        visits = [v for v in self.log.visits_of_badge(badge_id) if v.badge(badge_id) is not None]
        if not visits:  # never issued here, or withdrawn by the server since
            return CheckOut(UNKNOWN_BADGE)
        visit = next((v for v in visits if v.state != SIGNED_OUT and not v.badge(badge_id).revoked), visits[0])
        badge = visit.badge(badge_id)
        reason, detail = badge_verdict(visit, badge_id)
        if visit.purged:
            return CheckOut(reason, None, detail=detail)
        if reason != tokens.OK:
            return CheckOut(reason, visit, detail=detail,
                            signed_out_at=visit.signed_out_at if reason == tokens.ALREADY_SIGNED_OUT else None)
        if badge.expires_at <= self.clock():
            return CheckOut(tokens.EXPIRED, visit)
        return self._sign_out(visit.visit_id, badge_id, "number")

    def _sign_out(self, visit_id: str, badge_id: str, by: str, claims: Claims | None = None) -> CheckOut:
        # Decided again inside the write transaction: two scans of one badge at once (two
        # threads, two processes) must not both say "signed out".
        recorded = self.log.record((ev.SIGNED_OUT, visit_id, {"by": by, "badge_id": badge_id}),
                                   unless=lambda visit: visit is not None and visit.state == SIGNED_OUT)
        visit = self.log.visit(visit_id)
        if not recorded:
            return CheckOut(tokens.ALREADY_SIGNED_OUT, visit, claims, signed_out_at=visit.signed_out_at)
        # As the fold shows it: never before the sign-in (a clock behind with no server to bound it).
        return CheckOut(tokens.OK, visit, claims, signed_out_at=visit.signed_out_at or recorded[0].ts)

    def rate(self, visit_id: str, rating: int) -> None:
        """The visitor's satisfaction, 1-5, given at sign-out (the front-desk rules record it)."""
        if isinstance(rating, bool) or rating not in range(1, 6):
            raise ValidationError("rating", "range", "a rating is a whole number from 1 to 5")
        self.log.record((ev.RATED, visit_id, {"rating": rating}))

    def sign_out_by_hand(self, visit_id: str, note: str) -> Visit:
        """Reception signs out a visitor who cannot scan (badge expired, lost, taken home)."""
        note = clean_text(note, "reason", 200, required=True)
        visit = self.log.visit(visit_id)
        if visit is None or visit.state not in IN_BUILDING:  # one who waited for approval and left, too
            raise KioskError(f"visit {visit_id} is not on site (nor waiting for approval)")
        self.log.record((ev.SIGNED_OUT, visit_id, {"by": "manual", "note": note}))
        return self.log.visit(visit_id)

    # -- reception --------------------------------------------------------------------------

    def queue(self, day_start_ms: int) -> Queue:
        present = self.log.visits_in(ON_SITE_STATES | {AWAITING_APPROVAL, BLOCKED})  # oldest first
        return Queue(waiting=[v for v in present if v.state == WAITING],
                     awaiting_approval=[v for v in present if v.state == AWAITING_APPROVAL],
                     with_host=[v for v in present if v.state == WITH_HOST],
                     signed_out_today=self.log.signed_out_since(day_start_ms),
                     blocked_today=[v for v in present if v.state == BLOCKED and (v.blocked_at or 0) >= day_start_ms])

    def host_met(self, visit_id: str) -> Visit:
        self._visit_on_site(visit_id)
        self.log.record((ev.HOST_MET, visit_id, {}), unless=lambda visit: visit is not None and
                        visit.host_met_at is not None)
        return self.log.visit(visit_id)

    def decide(self, visit_id: str, approve: bool, by: str, note: str = "") -> Visit:
        """Reception's answer to a visit waiting for approval."""
        visit = self.log.visit(visit_id)
        if visit is None or visit.state != AWAITING_APPROVAL:
            raise KioskError(f"visit {visit_id} is not waiting for approval")
        data = {"by": clean_text(by, "by", 40), "note": clean_text(note, "note", 200)}
        self.log.record((ev.APPROVED if approve else ev.DENIED, visit_id, data))
        return self.log.visit(visit_id)

    def complain(self, visit_id: str, text: str) -> Visit:
        """A complaint about (or from) a visit, kept with it: the front-desk rules record them."""
        text = clean_text(text, "complaint", 500, required=True)
        if self.log.visit(visit_id) is None:
            raise KioskError(f"visit {visit_id} is not in this kiosk's log")
        self.log.record((ev.COMPLAINT, visit_id, {"text": text}))
        return self.log.visit(visit_id)

    def search(self, text: str, since_ms: int | None = None, until_ms: int | None = None,
               limit: int = 200) -> list[Visit]:
        """The log by name, company, host, or the last digits of a phone number (3 or more),
        newest first; with a time range and no text, every visit signed in within it."""
        text = " ".join(clean_text(text, "search", 64).split())
        if not text and since_ms is None and until_ms is None:
            return []
        dated = since_ms is not None or until_ms is not None
        lo, hi = self._search_window(since_ms, until_ms)
        found = self.log.search(text, lo, hi, limit)
        if not dated:
            found += [v for v in self.log.search_in(text, IN_BUILDING, limit) if (v.signed_in_at or 0) < lo]
        if text:  # and as the host search finds hosts: pinyin, initials, company, badge number
            badge_id = tokens.parse_badge_number(text)
            by_badge = self.log.visits_of_badge(badge_id) if badge_id else []
            # Punctuation is literal text (100%), which the index folds away: SQL alone then.
            spelled = self.visitors_index(since_ms, until_ms).search(text, limit) \
                if text.replace(" ", "").isalnum() else []
            more = [v for v in by_badge + spelled
                    if lo <= (v.signed_in_at or 0) < hi or (not dated and v.state in IN_BUILDING)]
            seen = {v.visit_id for v in found}
            found += [v for v in more if v.visit_id not in seen and not seen.add(v.visit_id)]
            found.sort(key=lambda v: -(v.signed_in_at or 0))
        return found[:limit]

    def _search_window(self, since_ms: int | None, until_ms: int | None) -> tuple[int, int]:
        """[from, until) of signing in that a search covers: the range asked for, else from
        local midnight SEARCH_INDEX_DAYS - 1 days ago."""
        if since_ms is None and until_ms is None:
            today = datetime.fromtimestamp(self.clock() / 1000).astimezone()
            midnight = today.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=SEARCH_INDEX_DAYS - 1)
            return int(midnight.timestamp() * 1000), 2**62
        return since_ms or 0, until_ms if until_ms is not None else 2**62

    def visitors_index(self, since_ms: int | None, until_ms: int | None) -> VisitorIndex:
        """The pinyin index over the visits searched (the search window's, and without a date
        whoever is still in the building); kept while the log is unchanged, so typing costs no
        rebuild."""
        window = self._search_window(since_ms, until_ms)
        dated = since_ms is not None or until_ms is not None
        position = self.log.last_change()
        cached = self._visitor_index
        if cached is None or cached[:2] != ((window, dated), position):
            visits = self.log.signed_in_between(*window)
            if not dated:
                visits += [v for v in self.log.visits_in(IN_BUILDING) if (v.signed_in_at or 0) < window[0]]
            cached = self._visitor_index = ((window, dated), position, VisitorIndex(visits))
        return cached[2]

    def keyring(self) -> KeyRing:
        if self._keyring is None:  # read once: the exit post checks it on every scan
            self._keyring = self.keys.keyring()
        return self._keyring

    def trust(self, key: PublicKey) -> None:
        """Accept badges signed by another device's key (normally learnt through sync)."""
        self.keys.add(key)
        self._keyring = None

    # -- who is here ------------------------------------------------------------------------

    def on_site(self) -> list[Visit]:
        return self.log.on_site()

    def in_building(self) -> list[Visit]:
        """Everyone physically here: on site, and those still waiting in the lobby for approval."""
        return self.log.visits_in(IN_BUILDING)

    def count_in_building(self) -> int:
        return self.log.count_in(IN_BUILDING)

    def print_roll_call(self, visits: list[Visit]) -> None:
        """Print the evacuation list from this device's own log, so it works with the network
        down; the caller shows the same list on screen whether or not the printer works."""
        from printer.lists import RollCallEntry, render_roll_call

        tz = datetime.now().astimezone().tzinfo
        entries = [RollCallEntry(name=v.visitor.get("name") or v.visit_id, company=v.visitor.get("company", ""),
                                 host_name=v.host.get("name", ""), host_department=v.host.get("department", ""),
                                 since=datetime.fromtimestamp((v.signed_in_at or 0) / 1000, tz),
                                 state="with_host" if v.state == WITH_HOST else "waiting")
                   for v in visits]
        def pages(width: int):
            return render_roll_call(entries, width=width, printed_at=datetime.fromtimestamp(self.clock() / 1000, tz),
                                    site=self.settings.site, organisation=self.settings.organisation,
                                    lang=self.settings.language)

        self.printer.print_rendered(pages, name="roll-call")

    def auto_sign_out(self, before_ms: int) -> list[Visit]:
        """End of day: sign out everyone still on site who signed in before ``before_ms``."""
        stale = [v for v in self.log.visits_in(IN_BUILDING) if (v.signed_in_at or 0) < before_ms]
        if stale:
            self.log.record(*[(ev.SIGNED_OUT, v.visit_id, self._auto_sign_out_data(v)) for v in stale])
        return [self.log.visit(v.visit_id) for v in stale]

    def _auto_sign_out_data(self, visit: Visit) -> dict[str, str]:
        # A check-in that never finished: the record says its badge may be out there.
        if badge_unconfirmed(visit, self.clock()):
            return {"by": "auto", "note": UNCONFIRMED_NOTE}
        return {"by": "auto"}


def end_of_day_cutoff(at: str, now_ms: int) -> int | None:
    """The most recent moment the daily automatic sign-out (HH:MM, local time) has passed, in
    ms; None when the feature is off."""
    if not at:
        return None
    now = datetime.fromtimestamp(now_ms / 1000).astimezone()
    hour, minute = map(int, at.split(":"))
    cutoff = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if cutoff > now:
        cutoff -= timedelta(days=1)
    return int(cutoff.timestamp() * 1000)


def _used(visit: Visit | None) -> bool:
    """Whether a visit (an invitation's) was used already: a use recorded under it, or (as kiosks
    did before ``invitation_used``) signed in or stopped under the invitation's own id."""
    return visit is not None and (bool(visit.invitation_uses) or visit.signed_in_at is not None
                                  or visit.state == BLOCKED)


def print_test_page(printer: Printer) -> Status:
    """A test page with the printer's own status on it; returns that status."""
    from printer.lists import render_test_page

    status = printer.status()
    page = render_test_page(width=printer.width, profile=printer.profile, status=printer.status_message(status),
                            printed_at=datetime.now().astimezone(), url=printer.url,
                            **({"dpi": printer.dpi} if hasattr(printer, "dpi") else {}))  # label printers: 300
    printer.print_image(page, name="test-page")
    return status
